"""Request ids: taken from a well-formed ``X-Request-ID`` (a proxy's) or made here; echoed back.

The id goes into ``scope["state"]["request_id"]`` and a context variable, so every log line of the
request carries it, and error pages quote it. A client can send anything in the header, so only a
short id of safe characters is kept (1-64 of ``A-Za-z0-9._-``, matched in full: ``$`` would let a
trailing newline through); anything else is replaced by an id made here, never cleaned up and
kept, so a forged log line or a megabyte of padding never reaches the logs.
"""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: bytes of the header read at most: a longer value is refused without decoding it
_MAX_BYTES = 64
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
#: Ids need to be unique, not secret: a generator seeded once from the OS, not a system call per request.
_ids = random.Random()


def request_id_of(scope: Scope) -> str:
    return str(scope.get("state", {}).get("request_id", "-"))


def _accepted(incoming: bytes) -> str:
    """The client's id when it is short and safe, else a new one."""
    if 0 < len(incoming) <= _MAX_BYTES:
        text = incoming.decode("latin-1")
        if _WELL_FORMED.fullmatch(text):
            return text
    return f"{_ids.getrandbits(128):032x}"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _accepted(dict(scope["headers"]).get(HEADER.lower().encode(), b""))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
