"""Prometheus metrics: requests and latency by method, route template and status.

Each app has its own registry (so tests can build many apps); ``/metrics`` renders it for
administrators. Labels are route templates, never filled-in paths, so cardinality stays bounded.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

from localjustice.web.middleware.access_log import route_template
from localjustice.web.middleware.response_status import StatusRecorder


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("localjustice_http_requests", "HTTP requests handled",
                                ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram("localjustice_http_request_seconds", "Time to handle a request",
                                 ("method", "route"), registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5))


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            route = route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(recorder.status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
