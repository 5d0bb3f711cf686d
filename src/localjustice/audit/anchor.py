"""Anchor the hash chain outside the database: signed checkpoints of its head.

The chain alone convinces only someone who cannot recompute it: whoever can write to the database
can rewrite an event and recompute every hash after it, and the chain verifies again. A checkpoint
is the chain's head (its position and hash) at a moment, signed with a key the database never
holds, and written where the database cannot reach: appended to a file (by default in the data
dir; in production put it on other, append-only storage) and to the JSON log stream, which is
shipped off the host. ``verify_chain`` recomputes the chain and checks that it passes through every
checkpoint: a rewritten event changes the hash at every later position, so the first checkpoint
after the rewrite no longer matches, and says where.

Ed25519 signatures (RFC 8032), not an HMAC: checking a checkpoint needs only the public key, which
can be published, given to auditors and to whoever reads the log stream, and none of them can
forge a checkpoint with it. With an HMAC everyone able to verify could also sign, so the key
would have to be as secret where it is checked as where it signs.

The signing key comes from ``LOCALJUSTICE_AUDIT_SIGNING_KEY`` (the 32-byte Ed25519 seed in hex;
``localjustice audit keygen`` makes one); a verifier needs only ``LOCALJUSTICE_AUDIT_PUBLIC_KEY``
(one or more public keys in hex, comma-separated, so checkpoints signed before a key rotation still
verify). For the demo a signing key is generated and stored in the data dir with a warning: a key
stored beside the database it anchors does not stop someone who can read both.

A server signs at most one checkpoint per ``every_seconds`` (and always when asked, as on
shutdown), in the sealer's thread, never on a request's path: one signature and one appended line.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.audit.models import AuditEvent
from localjustice.errors import LocalJusticeError

log = logging.getLogger(__name__)

SIGNING_KEY_ENV = "LOCALJUSTICE_AUDIT_SIGNING_KEY"
PUBLIC_KEY_ENV = "LOCALJUSTICE_AUDIT_PUBLIC_KEY"
CHECKPOINTS_ENV = "LOCALJUSTICE_AUDIT_CHECKPOINTS"
DEMO_KEY_FILE = "audit-signing.key"
CHECKPOINTS_FILE = "audit-checkpoints.jsonl"
#: what is signed starts with this, so a signature over anything else never passes for a checkpoint
DOMAIN = "localjustice-audit-checkpoint/1"
#: the log record's ``event`` for a checkpoint (its fields are under ``checkpoint``)
LOG_EVENT = "audit_checkpoint"


class AuditKeyError(LocalJusticeError):
    """No usable audit signing or public key; the message says which variable to set."""


class CheckpointRefused(LocalJusticeError):
    """The chain no longer passes through the last checkpoint this process signed: not signed."""


def _hex_key(raw: str, name: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise AuditKeyError(f"{name} must be 64 hexadecimal characters (a 32-byte Ed25519 key); "
                            "`localjustice audit keygen` makes a pair.")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key, stored with each checkpoint so rotation needs no guessing."""
    return hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def public_hex(public: Ed25519PublicKey) -> str:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def new_key_pair() -> tuple[str, str]:
    """(signing key, public key), each in hex, for ``localjustice audit keygen``."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
    return seed, public_hex(key.public_key())


def parse_signing_key(raw: str, name: str = SIGNING_KEY_ENV) -> Ed25519PrivateKey:
    """An Ed25519 signing key from its 32-byte seed in hex; ``AuditKeyError`` naming ``name`` if not."""
    return Ed25519PrivateKey.from_private_bytes(_hex_key(raw, name))


def load_signing_key(data_dir: Path | None, *, allow_demo_key: bool = True,
                     generate_demo_key: bool = False) -> Ed25519PrivateKey | None:
    """The signing key from the environment, else the demo key file (when allowed), else a new
    demo key (when asked), else None."""
    from_env = os.environ.get(SIGNING_KEY_ENV, "").strip()
    if from_env:
        return parse_signing_key(from_env)
    if data_dir is None or not allow_demo_key:
        return None
    return demo_signing_key(data_dir, generate=generate_demo_key)


def demo_signing_key(data_dir: Path, *, generate: bool) -> Ed25519PrivateKey | None:
    """The demo key stored in the data dir; with ``generate``, made and stored when missing."""
    path = data_dir / DEMO_KEY_FILE
    if path.is_file():
        return parse_signing_key(path.read_text(encoding="utf-8"), str(path))
    if not generate:
        return None
    seed, _ = new_key_pair()
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(seed + "\n")
    log.warning("Generated a demo audit signing key in the data dir; set %s in production.",
                SIGNING_KEY_ENV)
    return parse_signing_key(seed)


def load_public_keys(data_dir: Path | None, *, allow_demo_key: bool = True) -> dict[str, Ed25519PublicKey]:
    """The keys checkpoints are checked with, by key id: ``LOCALJUSTICE_AUDIT_PUBLIC_KEY`` when
    set, else the public half of the signing key (environment, or the demo file when allowed)."""
    listed = [part for part in os.environ.get(PUBLIC_KEY_ENV, "").split(",") if part.strip()]
    if listed:
        keys = [Ed25519PublicKey.from_public_bytes(_hex_key(part, PUBLIC_KEY_ENV)) for part in listed]
    else:
        signing = load_signing_key(data_dir, allow_demo_key=allow_demo_key)
        if signing is None:
            raise AuditKeyError(f"No key to check the audit checkpoints with. Set {PUBLIC_KEY_ENV} to "
                                "the audit public key (or the server's "
                                f"{SIGNING_KEY_ENV}).")
        keys = [signing.public_key()]
    return {key_id(key): key for key in keys}


def checkpoints_path(data_dir: Path) -> Path:
    """``LOCALJUSTICE_AUDIT_CHECKPOINTS`` when set, else ``audit-checkpoints.jsonl`` in the data dir."""
    chosen = os.environ.get(CHECKPOINTS_ENV, "").strip()
    return Path(chosen) if chosen else data_dir / CHECKPOINTS_FILE


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed: event ``seq`` has hash ``head``."""

    seq: int
    head: str
    at: str
    key_id: str
    signature: str

    @staticmethod
    def message(seq: int, head: str, at: str) -> bytes:
        return f"{DOMAIN}|{seq}|{head}|{at}".encode("ascii")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sign_checkpoint(key: Ed25519PrivateKey, seq: int, head: str, at: datetime | None = None) -> Checkpoint:
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    signature = key.sign(Checkpoint.message(seq, head, stamp))
    return Checkpoint(seq=seq, head=head, at=stamp, key_id=key_id(key.public_key()),
                      signature=signature.hex())


@dataclass(frozen=True)
class ReadCheckpoints:
    """The checkpoints of a file whose signatures verify, and the lines that do not."""

    #: (line number, checkpoint), in the file's order
    good: list[tuple[int, Checkpoint]]
    #: (line number, why it fails)
    bad: list[tuple[int, str]]


def _parse(line: str) -> dict[str, Any] | None:
    """A checkpoint's fields from a checkpoint line or from a JSON log line carrying one."""
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not an object")
    if "checkpoint" in record or "logger" in record:  # a line of the JSON log stream
        found = record.get("checkpoint") if record.get("event") == LOG_EVENT else None
        return found if isinstance(found, dict) else None
    return record


def read_checkpoints(lines: Iterable[str], public_keys: dict[str, Ed25519PublicKey]) -> ReadCheckpoints:
    """Check the signature of every checkpoint in ``lines`` (a checkpoint file, or the JSON log
    stream, whose other lines are skipped)."""
    good: list[tuple[int, Checkpoint]] = []
    bad: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            fields = _parse(line)
            if fields is None:
                continue
            checkpoint = Checkpoint(seq=int(fields["seq"]), head=str(fields["head"]), at=str(fields["at"]),
                                    key_id=str(fields["key_id"]), signature=str(fields["signature"]))
        except (ValueError, KeyError, TypeError):
            bad.append((number, "it is not a checkpoint (damaged or edited)"))
            continue
        key = public_keys.get(checkpoint.key_id)
        if key is None:
            bad.append((number, f"it is signed by key {checkpoint.key_id}, which is not a trusted "
                        f"audit key ({PUBLIC_KEY_ENV})"))
            continue
        try:
            key.verify(binascii.unhexlify(checkpoint.signature),
                       Checkpoint.message(checkpoint.seq, checkpoint.head, checkpoint.at))
        except (InvalidSignature, binascii.Error, ValueError):
            bad.append((number, "its signature does not verify (forged, or edited after signing)"))
            continue
        good.append((number, checkpoint))
    return ReadCheckpoints(good, bad)


def read_checkpoint_file(path: Path, public_keys: dict[str, Ed25519PublicKey]) -> ReadCheckpoints:
    if not path.is_file():
        return ReadCheckpoints([], [])
    with path.open(encoding="utf-8", errors="replace") as lines:
        return read_checkpoints(lines, public_keys)


def _append(path: Path, line: str) -> None:
    """One ``write`` of one line on a descriptor opened for appending: lines from several server
    processes never interleave, and nothing earlier in the file is touched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Anchor:
    """Signs the chain's head after a seal and writes the checkpoint to the file and the log.

    Before signing it checks that the event at the last position it signed still has the hash it
    signed (one indexed read): a chain rewritten under a running server is refused and logged as
    an error, rather than signed.
    """

    def __init__(self, key: Ed25519PrivateKey, path: Path, *, every_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.key, self.path, self.every_seconds, self._clock = key, path, every_seconds, clock
        self._lock = threading.Lock()
        self._last: Checkpoint | None = None
        self._last_at: float | None = None

    @property
    def last(self) -> Checkpoint | None:
        return self._last

    def read(self) -> ReadCheckpoints:
        """The checkpoints in this anchor's file, checked with its own public key."""
        public = self.key.public_key()
        return read_checkpoint_file(self.path, {key_id(public): public})

    def after_seal(self, session: Session, seq: int, head: str, *, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint of the head (``seq``, ``head``) when one is due; the one written, if any."""
        with self._lock:
            if seq == 0 or (self._last is not None and self._last.seq == seq):
                return None
            due = force or self._last_at is None or self._clock() - self._last_at >= self.every_seconds
            if not due:
                return None
            if self._last is not None and not self._unchanged(session, self._last, seq):
                self._last_at = self._clock()  # check again next interval, not on every seal
                log.error("the audit chain no longer matches the checkpoint this server signed; not "
                          "signing (run `localjustice audit verify`)",
                          extra={"event": "audit_chain_rewritten"})
                raise CheckpointRefused(f"The audit chain no longer passes through checkpoint "
                                        f"{self._last.seq} this server signed: run `localjustice "
                                        "audit verify`.")
            checkpoint = sign_checkpoint(self.key, seq, head)
            self.write(checkpoint)
            self._last, self._last_at = checkpoint, self._clock()
            return checkpoint

    def write(self, checkpoint: Checkpoint) -> None:
        _append(self.path, json.dumps(checkpoint.as_dict(), separators=(",", ":")) + "\n")
        log.info("audit checkpoint", extra={"event": LOG_EVENT, "checkpoint": checkpoint.as_dict()})

    @staticmethod
    def _unchanged(session: Session, last: Checkpoint, seq: int) -> bool:
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == last.seq))
        return seq >= last.seq and stored == last.head
