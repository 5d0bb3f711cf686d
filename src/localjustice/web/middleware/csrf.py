"""CSRF protection for every form: a synchroniser token kept in the session.

Every POST, PUT, PATCH and DELETE must carry the session's token, in the ``csrf_token`` field of
a URL-encoded or multipart form (the layout's forms include it; a multipart form is a file upload)
or in an ``X-CSRF-Token`` header (scripts). Anything else is refused with 403 before it reaches a
route. The body is read here and replayed to the app, so routes read their forms as usual. Bodies
are capped at ``MAX_BODY`` bytes, a multipart upload at ``MAX_UPLOAD`` (a case document's limit,
``service/casework.toml``, sits below it).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = b"x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_BODY = 1024 * 1024
MAX_UPLOAD = 12 * 1024 * 1024
MULTIPART = b"multipart/form-data"

Reject = Callable[[Scope, int, str], Response]


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, reject: Reject) -> None:
        self.app = app
        self.reject = reject

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        session: dict[str, Any] = scope.get("session", {})
        expected = session.get("csrf")
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip()
        limit = MAX_UPLOAD if content_type == MULTIPART else MAX_BODY
        body, complete = b"", False
        while not complete:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            complete = not message.get("more_body", False)
            if len(body) > limit:
                await self.reject(scope, 413, "The form was too large to accept.")(scope, receive, send)
                return
        supplied = headers.get(HEADER, b"").decode("latin-1")
        if not supplied and content_type == b"application/x-www-form-urlencoded":
            values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=1000).get(FIELD, [""])
            supplied = values[0]
        elif not supplied and content_type == MULTIPART:
            supplied = multipart_field(headers.get(b"content-type", b""), body, FIELD)
        if not isinstance(expected, str) or not supplied or not hmac.compare_digest(
                expected.encode(), supplied.encode()):
            message_text = ("The form had expired or did not come from this service. "
                            "Go back, reload the page and try again.")
            await self.reject(scope, 403, message_text)(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def multipart_field(content_type: bytes, body: bytes, name: str) -> str:
    """One plain field of a multipart form (RFC 7578), or "" when it is not there."""
    boundary = next((p.strip().split(b"=", 1)[1].strip(b'"') for p in content_type.split(b";")[1:]
                     if p.strip().startswith(b"boundary=")), b"")
    if not boundary:
        return ""
    wanted = f'name="{name}"'.encode()
    for part in body.split(b"--" + boundary):
        head, _, value = part.partition(b"\r\n\r\n")
        disposition = next((line for line in head.split(b"\r\n") if line.lower().startswith(
            b"content-disposition:")), b"")
        if wanted in disposition and b"filename=" not in disposition:
            return value.removesuffix(b"\r\n").decode("utf-8", "replace")
    return ""
