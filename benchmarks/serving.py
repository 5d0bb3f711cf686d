"""Waiting for a benchmark's server to answer, shared by the benchmarks that start one."""

from __future__ import annotations

import time

import httpx


def wait_until_up(base: str, seconds: float) -> None:
    """Return once ``base``/health answers (anything below 500); give up after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(base + "/health", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.2)
