"""Run Alembic programmatically, so ``localjustice`` needs no alembic.ini on the user's machine."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    root = resources.files("localjustice.appdb") / "migrations"
    config = Config()
    config.set_main_option("script_location", str(root))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(root / "versions"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring every branch (web, service, audit) to its newest migration."""
    command.upgrade(alembic_config(url), "heads")
