"""Keyed pseudonyms: HMAC-SHA256 with the deployment's secret key, computed in the engine.

A ``person_id`` (and the crime, case and event keys of the analysis zone) is an HMAC of a
source-side value, so it is stable across runs for the same input, cannot be reversed or
recomputed without the key, and differs between deployments with different keys. The key comes
from ``LOCALJUSTICE_PSEUDONYM_KEY`` (read once, into ``localjustice.settings.Settings``); in
development the demo generates one and stores it beside the data with a warning, and outside
development such a stored key is refused, because a key kept next to the data it protects
protects nothing.

HMAC (RFC 2104) is built from the engine's ``sha256`` so that millions of pseudonyms are
computed set-wise: ``H((K xor opad) || H((K xor ipad) || message))``. The padded keys are bound
into a temporary macro on the connection, never written to a table.
"""

from __future__ import annotations

import logging
import secrets
from hashlib import sha256

import duckdb

from localjustice.errors import LocalJusticeError
from localjustice.settings import PSEUDONYM_KEY_ENV, Settings, SettingsError

logger = logging.getLogger(__name__)

KEY_ENV = PSEUDONYM_KEY_ENV
#: Hex characters kept from the HMAC: 80 bits, so collisions are negligible for any city region.
PSEUDONYM_HEX_CHARS = 20
_BLOCK = 64


def _padded(key: bytes) -> tuple[bytes, bytes]:
    if len(key) > _BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def install_pseudonym_macro(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Define ``lj_pseudonym(prefix, message)`` on this connection for this session only."""
    if not key:
        raise LocalJusticeError(f"The pseudonym key is empty. Set {KEY_ENV} to a long secret.")
    inner, outer = _padded(key)
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO lj_hmac(message) AS
            sha256(unhex('{outer.hex()}') ||
                   unhex(sha256(unhex('{inner.hex()}') || encode(message))))
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP MACRO lj_pseudonym(prefix, message) AS
            prefix || left(lj_hmac(message), {PSEUDONYM_HEX_CHARS})
    """)


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
