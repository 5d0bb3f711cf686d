"""Dependencies declared once: the database session and the warehouse, for routes to ask for."""

from __future__ import annotations

import threading
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
    """Opens the DuckDB warehouse for one piece of work at a time, and closes it after.

    Holding it open would lock out the command line (``localjustice ingest`` / ``link``) while the
    server runs; DuckDB also refuses a read-only and a read-write connection to one file in one
    process, so all use goes through one lock. Pages open it read-only (no write lock: a command
    may write between two page reads); only a write (a review decision) opens it for writing.
    While another process writes, a page waits up to ``wait_seconds`` and then answers 503 with
    ``WarehouseBusy``'s message.
    """

    def __init__(self, path: Path, *, wait_seconds: float = 5.0) -> None:
        self.path = path
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def open(self, *, write: bool = False) -> Iterator[Warehouse]:
        if not self.exists:
            raise WarehouseMissing("No data has been loaded yet. Run `localjustice demo`, or "
                                   "`localjustice ingest DIR`, then reload this page.")
        with self._lock, open_warehouse(self.path, read_only=not write,
                                        wait_seconds=self.wait_seconds) as warehouse:
            yield warehouse


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
