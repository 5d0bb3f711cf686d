"""Dependencies declared once: the database session and the warehouse, for routes to ask for."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi import Path as PathParam
from sqlalchemy.orm import Session

from localjustice.errors import LocalJusticeError
from localjustice.warehouse import Warehouse, open_warehouse


class WarehouseGate:
    """Opens the DuckDB warehouse for pages, shared while they overlap, and closes it after.

    Holding it open would lock out the command line (``localjustice ingest`` / ``link``) while the
    server runs; DuckDB also refuses a read-only and a read-write connection to one file in one
    process. So pages open it read-only (no write lock: a command may write between two page
    reads), and pages that overlap share that one connection, each reading through its own cursor
    (``Warehouse.reader``: DuckDB runs one connection's cursors concurrently): they neither queue
    behind one another nor each pay the file's open (about 35 ms of CPU at scale 1,
    ``benchmarks/bench_people.py``). The connection closes ``linger_seconds`` after the last page
    in flight is done (0: at once, so one page at a time behaves as before; the server lingers
    half a second, ``WebSettings.warehouse_linger_seconds``), so pages close together share it.
    Under constant load it is held at most ``hold_seconds``: then new pages wait while those in
    flight finish, it is closed, and the file is left alone for ``release_seconds``, longer than a
    waiting command's retry (50 ms), so a command that wants to write gets the file. A write (a
    review decision) waits for the pages in flight and opens the file for writing, alone. While
    another process writes, a page waits up to ``wait_seconds`` and then answers 503 with
    ``WarehouseBusy``'s message.
    """

    def __init__(self, path: Path, *, wait_seconds: float = 5.0, hold_seconds: float = 2.0,
                 release_seconds: float = 0.1, linger_seconds: float = 0.0) -> None:
        self.path = path
        self.linger_seconds = linger_seconds
        self._idle_since = 0.0
        self.wait_seconds = wait_seconds
        self.hold_seconds = hold_seconds
        self.release_seconds = release_seconds
        self._state = threading.Condition()
        self._shared: Warehouse | None = None
        self._opened_at = 0.0
        self._closed_at = -release_seconds
        self._readers = 0
        self._writing = False

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def _close_shared(self, *, release: bool = False) -> None:
        """Close the shared connection; ``release``: and leave the file alone for a moment."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None
            if release:
                self._closed_at = time.monotonic()

    def _acquire_reader(self) -> Warehouse:
        with self._state:
            while True:
                now = time.monotonic()
                if self._writing:
                    self._state.wait()
                elif self._shared is not None and now - self._opened_at > self.hold_seconds:
                    if self._readers == 0:
                        self._close_shared(release=True)
                    else:
                        self._state.wait()
                elif self._shared is None and now - self._closed_at < self.release_seconds:
                    self._state.wait(self.release_seconds - (now - self._closed_at))
                else:
                    break
            if self._shared is None:
                self._shared = open_warehouse(self.path, read_only=True, wait_seconds=self.wait_seconds)
                self._opened_at = time.monotonic()
            self._readers += 1
            shared = self._shared
        try:
            return shared.reader()
        except BaseException:
            self._release_reader()
            raise

    def _release_reader(self) -> None:
        with self._state:
            self._readers -= 1
            if self._readers == 0:
                if self.linger_seconds > 0 and self._shared is not None:
                    self._idle_since = idle = time.monotonic()
                    timer = threading.Timer(self.linger_seconds, self._close_if_idle, args=(idle,))
                    timer.daemon = True
                    timer.start()
                else:
                    self._close_shared()
            self._state.notify_all()

    def _close_if_idle(self, since: float) -> None:
        """The linger's end: close the connection if no page has used it since ``since``."""
        with self._state:
            if self._readers == 0 and self._idle_since == since:
                self._close_shared()  # a page waiting for the held connection to close, or a write

    @contextmanager
    def open(self, *, write: bool = False) -> Iterator[Warehouse]:
        if not self.exists:
            raise WarehouseMissing("No data has been loaded yet. Run `localjustice demo`, or "
                                   "`localjustice ingest DIR`, then reload this page.")
        if write:
            with self._state:
                self._state.wait_for(lambda: self._readers == 0 and not self._writing)
                self._writing = True
                self._close_shared()
            try:
                with open_warehouse(self.path, read_only=False,
                                    wait_seconds=self.wait_seconds) as warehouse:
                    yield warehouse
            finally:
                with self._state:
                    self._writing = False
                    self._state.notify_all()
            return
        reader = self._acquire_reader()
        try:
            yield reader
        finally:
            try:
                if reader is not self._shared:
                    reader.close()
            finally:
                self._release_reader()


class WarehouseMissing(LocalJusticeError):
    """Nothing has been loaded, so there is no warehouse to read."""


def db_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def warehouse_gate(request: Request) -> WarehouseGate:
    gate: WarehouseGate = request.app.state.warehouse
    return gate


#: Text a route passes on to a database: no control characters (PostgreSQL refuses NUL outright).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

DbSession = Annotated[Session, Depends(db_session)]
Warehouses = Annotated[WarehouseGate, Depends(warehouse_gate)]


#: A record id in a path: a positive integer the databases can hold (both store ids as 32-bit
#: integers), so an out-of-range id is a 422 for the client, not an overflow in the driver.
RecordId = Annotated[int, PathParam(ge=1, le=2_147_483_647)]
