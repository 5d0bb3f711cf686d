"""Front-end assets: copy the built files of the npm packages into ``static/vendor`` (never committed).

``make assets`` runs ``npm ci`` at the repository root and then ``python -m localjustice.web.assets``,
which copies the files below from ``node_modules``. The app serves ``static/`` at ``/static`` and the
GOV.UK and MoJ fonts and images at ``/assets``, where their stylesheets look for them.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from localjustice.errors import LocalJusticeError

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"

#: (file or folder in node_modules, where it goes under static/vendor)
FILES = (
    ("govuk-frontend/dist/govuk/govuk-frontend.min.css", "govuk/govuk-frontend.min.css"),
    ("govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk/govuk-frontend.min.js"),
    ("govuk-frontend/dist/govuk/assets", "assets"),
    ("@ministryofjustice/frontend/moj/moj-frontend.min.css", "moj/moj-frontend.min.css"),
    ("@ministryofjustice/frontend/moj/assets/images", "assets/images"),
    ("vega/build/vega.min.js", "vega/vega.min.js"),
    ("vega-lite/build/vega-lite.min.js", "vega/vega-lite.min.js"),
    ("vega-embed/build/vega-embed.min.js", "vega/vega-embed.min.js"),
)


def govuk_assets() -> Path:
    return VENDOR / "assets"


def assets_built() -> bool:
    return all((VENDOR / target).exists() for _, target in FILES)


def find_node_modules(start: Path | None = None) -> Path:
    for folder in [(start or Path.cwd()).resolve(), *Path(__file__).resolve().parents]:
        candidate = folder / "node_modules"
        if (candidate / "govuk-frontend").is_dir():
            return candidate
    raise LocalJusticeError("node_modules with govuk-frontend not found: run `npm ci` at the "
                            "repository root first (or `make assets`).")


def build(node_modules: Path) -> list[Path]:
    """Copy every file in ``FILES``; returns what was written."""
    written = []
    for source, target in FILES:
        origin, destination = node_modules / source, VENDOR / target
        if not origin.exists():
            raise LocalJusticeError(f"{origin} is missing: run `npm ci` at the repository root.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(origin, destination)
        written.append(destination)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--node-modules", type=Path, default=None)
    args = parser.parse_args()
    written = build(args.node_modules or find_node_modules())
    print(f"Copied {len(written)} front-end asset(s) into {VENDOR}.")


if __name__ == "__main__":
    main()
