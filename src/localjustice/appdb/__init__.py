"""The application database: the case service's records, users and the audit log.

SQLite file by default (``<data dir>/app.db``); PostgreSQL when ``DATABASE_URL`` is set. One
Alembic environment with one branch per owning package (``web``, ``service``, ``audit``), so
each package migrates its own tables; ``upgrade`` brings every branch to its head.
"""

from localjustice.appdb.engine import Base, database_url, make_engine, session_factory
from localjustice.appdb.migrate import upgrade

__all__ = ["Base", "database_url", "make_engine", "session_factory", "upgrade"]
