"""Keyed pseudonyms: HMAC-SHA256 with the deployment's secret key, computed in the engine.

A ``person_id`` (and the crime, case and event keys of the analysis zone) is an HMAC of a
source-side value, so it is stable across runs for the same input, cannot be reversed or
recomputed without the key, and differs between deployments with different keys. The key comes
from ``LOCALJUSTICE_PSEUDONYM_KEY``; for the demo one is generated and stored beside the data with
a warning, because a key kept next to the data it protects protects nothing in production.

HMAC (RFC 2104) is built from the engine's ``sha256`` so that millions of pseudonyms are
computed set-wise: ``H((K xor opad) || H((K xor ipad) || message))``. The padded keys are bound
into a temporary macro on the connection, never written to a table.
"""

from __future__ import annotations

import logging
import os
import secrets
from hashlib import sha256
from pathlib import Path

import duckdb

from localjustice.errors import LocalJusticeError

logger = logging.getLogger(__name__)

KEY_ENV = "LOCALJUSTICE_PSEUDONYM_KEY"
DEMO_KEY_FILE = "pseudonym.key"
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


def load_pseudonym_key(data_dir: Path | None = None, *, generate_demo_key: bool = False) -> bytes:
    """The key from the environment, else the demo key file, else (when asked) a new demo key.

    Raises ``LocalJusticeError`` when none is available, saying how to provide one.
    """
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return from_env.encode("utf-8")
    if data_dir is not None:
        path = data_dir / DEMO_KEY_FILE
        if path.is_file():
            logger.warning("Using the demo pseudonym key stored in %s; set %s in production.",
                           path, KEY_ENV)
            return path.read_text(encoding="utf-8").strip().encode("utf-8")
        if generate_demo_key:
            data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_hex(32)
            path.write_text(key + "\n", encoding="utf-8")
            path.chmod(0o600)
            logger.warning("Generated a demo pseudonym key and stored it in %s. Anyone who can "
                           "read it can re-identify pseudonyms: set %s in production.",
                           path, KEY_ENV)
            return key.encode("utf-8")
    raise LocalJusticeError(
        f"No pseudonym key. Set {KEY_ENV} to a long random secret (for example the output of "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`), or pass --demo-key to "
        "generate and store one for a demonstration."
    )
