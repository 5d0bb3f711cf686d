"""Regenerate the README's screenshots: ``make screenshots`` (or ``python scripts/screenshots.py``).

Builds a small demo data directory with ``localjustice demo`` (or reuses one given with
``--data-dir`` that already holds published measures), starts the web app on a free loopback
port, adds one account per role it needs, signs in with Playwright in headless Chromium and
saves PNGs to ``docs/screenshots/``: the dashboard's headlines, a measure's trend and borough
ranking, its tile map, and a case list as a supervisor of the demo's teams sees it. Nothing is
drawn by hand, so the pictures follow the code: run it again after changing a page and commit
the PNGs it writes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_demo(data_dir: Path, demo_args: list[str]) -> None:
    """``localjustice demo`` into ``data_dir``: synthesise, load, link, publish, open cases."""
    command = [sys.executable, "-m", "localjustice", "demo", "--data-dir", str(data_dir), *demo_args]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "COLUMNS": "120"})


def _wait_for_charts(page: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while page.locator(".lj-chart:not([data-rendered])").count():  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise RuntimeError("the dashboard's charts did not render")
        time.sleep(0.2)


def capture(data_dir: Path, out: Path) -> list[Path]:
    import uvicorn
    from playwright.sync_api import sync_playwright
    from sqlalchemy import delete, text

    from localjustice.appdb import database_url, upgrade
    from localjustice.web import WebSettings, create_app
    from localjustice.web.accounts import User
    from localjustice.web.accounts.passwords import hash_password
    from localjustice.web.accounts.service import now

    url = database_url(data_dir)  # the demo's own app database: its cases, teams and caseworkers
    upgrade(url)
    app = create_app(WebSettings(data_dir=data_dir, database_url=url,
                                 secret_key=secrets.token_urlsafe(48)), extensions=[])
    password = secrets.token_urlsafe(16)
    with app.state.sessions() as db:
        stamp = now()
        teams = sorted(t for (t,) in db.execute(text("SELECT DISTINCT team FROM svc_case")))
        db.execute(delete(User).where(User.username.like("screenshot-%")))
        for role, name in (("board", "Board member"), ("supervisor", "Team supervisor")):
            db.add(User(username=f"screenshot-{role}", display_name=name, role=role, teams=teams,
                        password_hash=hash_password(password), active=True, failed_logins=0,
                        created_at=stamp, updated_at=stamp))
        db.commit()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM) if CHROMIUM.exists() else None,
                                        args=ARGS)

            def signed_in(role: str) -> object:
                context = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport=VIEWPORT,
                                              device_scale_factor=1)
                page = context.new_page()
                page.goto("/sign-in")
                page.fill("#username", f"screenshot-{role}")
                page.fill("#password", password)
                page.click("button:has-text('Sign in')")
                page.wait_for_url("**/")
                return page

            def shot(target: object, name: str) -> None:
                path = out / name
                target.screenshot(path=str(path))  # type: ignore[attr-defined]
                saved.append(path)
                print("saved", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path, flush=True)

            board = signed_in("board")
            board.goto("/dashboard")  # type: ignore[attr-defined]
            _wait_for_charts(board)
            shot(board, "dashboard-headlines.png")
            reoffending = board.locator("#measure-proven_reoffending")  # type: ignore[attr-defined]
            shot(reoffending.locator("h3", has_text="Trend").locator("xpath=following-sibling::figure[1]"),
                 "dashboard-trend.png")
            for measure in ("repeat_victimisation", "proven_reoffending"):
                section = board.locator(f"#measure-{measure}")  # type: ignore[attr-defined]
                ranked = section.locator(".lj-chart[data-chart='comparison']")
                tiles = section.locator(".lj-chart[data-chart='tiles']")
                if ranked.count() and tiles.count():
                    shot(ranked.locator("xpath=.."), "dashboard-boroughs.png")
                    shot(tiles.locator("xpath=.."), "dashboard-tile-map.png")
                    break
            supervisor = signed_in("supervisor")
            supervisor.goto("/cases")  # type: ignore[attr-defined]
            shot(supervisor, "cases.png")
            browser.close()
    finally:
        server.should_exit = True
        app.state.engine.dispose()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="reuse this demo data directory (built if "
                        "it holds no published measures)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--demo-args", default="--scale 0.02",
                        help="options for `localjustice demo` when a data directory is built")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lj-screenshots-") as scratch:
        data_dir = options.data_dir or Path(scratch) / "data"
        if not (data_dir / "published" / "measures.json").is_file():
            build_demo(data_dir, options.demo_args.split())
        capture(data_dir, options.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
