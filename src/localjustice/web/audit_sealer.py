"""The web app's audit sealer: links the events requests wrote into the hash chain, in the background.

Requests only insert their audit events (see ``localjustice.audit.chain``); this task seals them a
moment later, so no request waits on the chain's head. Each server process runs one; when two are
due at once, one seals and the other skips (the head's row lock decides). On shutdown it seals once
more, so a stopped server leaves nothing unsealed that it wrote.

After a seal the ``Anchor`` signs the chain's head as a checkpoint (at most one per its interval,
and always on shutdown) and appends it to the checkpoint file and the log stream: one signature
and one line, in this background task, never on a request's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from localjustice.audit import Anchor, seal_pending

log = logging.getLogger(__name__)


def _seal(sessions: sessionmaker[Session], anchor: Anchor | None, *, wait: bool) -> int:
    with sessions() as session:
        return seal_pending(session, wait=wait, anchor=anchor)


async def _seal_every(sessions: sessionmaker[Session], seconds: float, anchor: Anchor | None) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(_seal, sessions, anchor, wait=False)
        except Exception as exc:  # keep sealing: the events wait safely in the table until it works
            log.error("audit sealing failed; will retry", extra={"error": type(exc).__name__})


def audit_sealer(sessions: sessionmaker[Session], seconds: float, anchor: Anchor | None = None,
                 ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that seals every ``seconds`` while the app serves, signing checkpoints with ``anchor``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_seal_every(sessions, seconds, anchor))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await run_in_threadpool(_seal, sessions, anchor, wait=True)

    return lifespan
