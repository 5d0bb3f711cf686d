"""Cross-cutting concerns, one module each, applied once in ``web.app`` in this order (outermost
first): request id, access log, metrics, security headers, session, current user, sign-in rate
limit, CSRF."""
