"""The response status of a request as it passes through, for middlewares that report on it."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusRecorder:
    """Wraps ``send``: records the status the app started its response with (500 until then, so
    a request that fails before responding counts as a server error)."""

    def __init__(self, send: Send) -> None:
        self.status = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self._send(message)
