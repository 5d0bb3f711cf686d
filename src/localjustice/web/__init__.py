"""The web app: FastAPI and Jinja with the GOV.UK and MoJ design systems.

Public face: ``create_app(settings)`` builds the app from a ``WebSettings`` (read from the
environment by ``WebSettings.from_env``); other packages add their pages through
``localjustice.web.extensions`` (``WebExtension``, ``page``, ``Permit``). Who may open what is data,
in ``roles.toml``, documented in ``docs/roles.md``.
"""

from localjustice.web.app import create_app
from localjustice.web.settings import SettingsError, WebSettings

__all__ = ["SettingsError", "WebSettings", "create_app"]
