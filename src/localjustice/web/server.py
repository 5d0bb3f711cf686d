"""Start-up for ``localjustice serve``: migrate, make sure someone can sign in, run uvicorn.

Development (the demo): when no account can sign in (none, or only the password-less staff the
demo import creates), one demo account per role is created with random
passwords, kept in ``<data dir>/demo-sign-in.json`` (readable by its owner only) and printed at
every start. Production: never creates accounts; with none it refuses to start and says how to
add an administrator.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from localjustice.appdb import make_engine, session_factory, upgrade
from localjustice.errors import LocalJusticeError
from localjustice.web.accounts import can_anyone_sign_in, count_users, create_demo_users
from localjustice.web.app import create_app
from localjustice.web.assets import assets_built
from localjustice.web.settings import WebSettings

DEMO_FILE = "demo-sign-in.json"


def prepare(settings: WebSettings) -> dict[str, str]:
    """Migrate the app database and return the demo sign-ins to print (empty in production)."""
    if not assets_built():
        raise LocalJusticeError("The web app's styles and scripts are not built: run `make assets` "
                                "(npm ci, then python -m localjustice.web.assets).")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as db:
            if settings.production and count_users(db) == 0:
                raise LocalJusticeError(
                    "No user accounts exist. Add an administrator first: LOCALJUSTICE_ENV="
                    "production localjustice users add USERNAME --role admin --display-name NAME")
            if not settings.production and not can_anyone_sign_in(db):
                passwords = create_demo_users(db)
                db.commit()
                _write_demo_file(settings.data_dir / DEMO_FILE, passwords)
    finally:
        engine.dispose()
    return {} if settings.production else _read_demo_file(settings.data_dir / DEMO_FILE)


def _write_demo_file(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(passwords, handle, indent=2)


def _read_demo_file(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def run(settings: WebSettings, *, host: str, port: int) -> None:
    import uvicorn

    from localjustice.web.logs import configure_logging

    configure_logging()
    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None,
                proxy_headers=settings.production, server_header=False)
