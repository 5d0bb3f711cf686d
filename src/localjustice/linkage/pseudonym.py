"""Keyed pseudonyms: HMAC-SHA256 with the deployment's secret key, computed in the engine.

A ``person_id`` (and the crime, case and event keys of the analysis zone) is an HMAC of a
source-side value, so it is stable across runs for the same input, cannot be reversed or
recomputed without the key, and differs between deployments with different keys. The key comes
from ``LOCALJUSTICE_PSEUDONYM_KEY`` (read once, into ``localjustice.settings.Settings``); in
development the demo generates one and stores it beside the data with a warning, and outside
development such a stored key is refused, because a key kept next to the data it protects
protects nothing.

HMAC (RFC 2104) is built from the engine's SHA-256 so that millions of pseudonyms are computed
set-wise: ``H((K xor opad) || H((K xor ipad) || message))``. The engine's dialect defines it as
the session function ``lj_pseudonym(prefix, message)`` (a temporary macro on DuckDB, a temporary
SQL function on Spark), with the padded keys bound into it and never written to a table; both
engines give the same value for the same key and input, so ids do not depend on the engine.
"""

from __future__ import annotations

import logging
import secrets

from localjustice.errors import LocalJusticeError
from localjustice.settings import PSEUDONYM_KEY_ENV, Settings, SettingsError
from localjustice.warehouse import Warehouse
from localjustice.warehouse.dialect import PSEUDONYM_HEX_CHARS

logger = logging.getLogger(__name__)

KEY_ENV = PSEUDONYM_KEY_ENV
__all__ = ["KEY_ENV", "PSEUDONYM_HEX_CHARS", "install_pseudonym", "load_pseudonym_key"]


def install_pseudonym(warehouse: Warehouse, key: bytes) -> None:
    """Define ``lj_pseudonym(prefix, message)`` (prefix and the first ``PSEUDONYM_HEX_CHARS`` hex
    characters of HMAC-SHA256(key, message)) in this warehouse session only.

    Defined again after ``Warehouse.released`` (which ends the session's temporary objects).
    The statements hold the padded key, so they run as secret: an error never shows them."""
    if not key:
        raise LocalJusticeError(f"The pseudonym key is empty. Set {KEY_ENV} to a long secret.")
    for statement in warehouse.dialect.pseudonym_statements(key):
        warehouse.execute(statement, step="pseudonym function", secret=True)


def load_pseudonym_key(settings: Settings, *, generate_demo_key: bool = False) -> bytes:
    """The key from the environment; in development only, else the demo key file (with a
    warning), else (when asked) a new demo key stored there.

    Outside development a demo key is refused, not warned about, and so is having no key
    (``SettingsError``, which ``Settings.from_env`` already raises at start-up; checked again here
    for settings built by hand). Raises ``LocalJusticeError`` when no key is available, saying
    how to provide one.
    """
    if not settings.development:
        if generate_demo_key:
            raise SettingsError("--demo-key is for development only: outside development set "
                                f"{KEY_ENV} to the deployment's key.")
        settings.refuse_demo_keys()
        if not settings.pseudonym_key:
            raise SettingsError(f"No pseudonym key: outside development set {KEY_ENV} to the "
                                "deployment's key.")
        return settings.pseudonym_key
    if settings.pseudonym_key:
        return settings.pseudonym_key
    path = settings.demo_key_path
    if path.is_file():
        logger.warning("Using the demo pseudonym key stored in %s; outside development it is "
                       "refused: set %s.", path, KEY_ENV)
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    if generate_demo_key:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key + "\n", encoding="utf-8")
        path.chmod(0o600)
        logger.warning("Generated a demo pseudonym key and stored it in %s. Anyone who can "
                       "read it can re-identify pseudonyms; outside development it is refused: "
                       "set %s.", path, KEY_ENV)
        return key.encode("utf-8")
    raise LocalJusticeError(
        f"No pseudonym key. Set {KEY_ENV} to a long random secret (for example the output of "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`), or pass --demo-key to "
        "generate and store one for a demonstration."
    )
