"""The web app's settings, read once from the environment into one typed object (STYLE rule 8).

Sign-in limits (issue 10 finding 4): failures count within the lock time (``LOCKOUT_MINUTES``),
for an account and for a client address alike. An address may fail fewer times in it than it
takes to lock an account (``LOGIN_FAILURES_PER_ADDRESS`` < ``LOCKOUT_FAILURES``, refused at
start-up otherwise), so no one address can lock an account by itself. A lock ends by itself after
the lock time, and an administrator can lift it sooner from the user's page. See
``middleware.login_rate_limit`` and ``accounts.Lockout``.

Production (``LOCALJUSTICE_ENV=production``) fails fast at start-up when a value it needs is
missing: the session secret, the audit signing key, all three OpenID Connect values when any one
of them is set, and (checked by ``localjustice.settings.Settings``, which these build on) the
pseudonym key from ``LOCALJUSTICE_PSEUDONYM_KEY``, with no demo key stored in the data folder.
Development and the demo generate a throwaway secret, so sessions end when the server stops, and a
demo audit signing key stored in the data dir (``localjustice.audit.anchor``).

In every environment the choices that shape what the service does are checked at start-up too: the
area (``LOCALJUSTICE_AREA``) and the risk checklist (``LOCALJUSTICE_RISK_CHECKLIST``, parsed with
``service.risk.parse_checklist``), so a missing or malformed file stops the start, not a save.

| variable | meaning | default |
|---|---|---|
| ``LOCALJUSTICE_ENV`` | ``development`` or ``production`` | ``development`` |
| ``LOCALJUSTICE_DATA_DIR`` | warehouse, app DB and published measures | ``./localjustice-data`` |
| ``LOCALJUSTICE_SECRET_KEY`` | signs session cookies; required in production | random per start |
| ``LOCALJUSTICE_PSEUDONYM_KEY`` | the pseudonym key, 32+ characters; required in production | demo key |
| ``LOCALJUSTICE_SESSION_MINUTES`` | idle session lifetime | ``30`` |
| ``LOCALJUSTICE_SESSION_MAX_HOURS`` | absolute session lifetime, however active | ``8`` |
| ``LOCALJUSTICE_LOGIN_ATTEMPTS`` | sign-in attempts per client address per window | ``10`` |
| ``LOCALJUSTICE_LOGIN_WINDOW_SECONDS`` | the window those attempts are counted in | ``300`` |
| ``LOCALJUSTICE_LOGIN_FAILURES_PER_ADDRESS`` | failed sign-ins per address, any user, per lock time | ``4`` |
| ``LOCALJUSTICE_LOCKOUT_FAILURES`` | failed sign-ins within the lock time that lock an account | ``5`` |
| ``LOCALJUSTICE_LOCKOUT_MINUTES`` | the lock time: a lock ends by itself after it | ``15`` |
| ``LOCALJUSTICE_OIDC_ISSUER`` | OpenID Connect issuer URL (discovery is read) | unset: local only |
| ``LOCALJUSTICE_OIDC_CLIENT_ID`` / ``_CLIENT_SECRET`` | the client registered with the issuer | unset |
| ``LOCALJUSTICE_OIDC_USERNAME_CLAIM`` | the claim matched against usernames | ``email`` |
| ``LOCALJUSTICE_AUDIT_SIGNING_KEY`` | signs audit checkpoints; required in production | a demo key |
| ``LOCALJUSTICE_AUDIT_CHECKPOINTS`` | append-only file of signed checkpoints | in the data dir |
| ``LOCALJUSTICE_AUDIT_CHECKPOINT_SECONDS`` | at most one checkpoint per this many seconds | ``60`` |
| ``LOCALJUSTICE_WAREHOUSE_LINGER_MS`` | pages' warehouse connection kept after the last page | ``500`` |
| ``LOCALJUSTICE_RISK_CHECKLIST`` | a shipped risk checklist's key, or a file's path | ``domestic_abuse`` |
| ``DATABASE_URL`` | the application database (see ``localjustice.appdb``) | SQLite in the data dir |
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from localjustice.appdb import database_url
from localjustice.audit import (
    CHECKPOINTS_ENV,
    CHECKPOINTS_FILE,
    SIGNING_KEY_ENV,
    AuditKeyError,
    checkpoints_path,
    parse_signing_key,
)
from localjustice.service.risk import ChecklistInvalid, RiskChecklist, checklist_from, load_checklist
from localjustice.settings import Environment, Settings, SettingsError

__all__ = ["Environment", "OidcSettings", "SettingsError", "WebSettings"]


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    username_claim: str = "email"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class WebSettings:
    data_dir: Path
    database_url: str
    secret_key: str
    environment: Environment = "development"
    session_idle_minutes: int = 30
    session_max_hours: int = 8
    login_attempts: int = 10
    login_window_seconds: int = 300
    lockout_failures: int = 5
    lockout_minutes: int = 15
    login_failures_per_address: int = 4
    oidc: OidcSettings | None = None
    #: how often the audit sealer links newly written events into the hash chain
    audit_seal_seconds: float = 0.5
    #: worker threads per server process for the routes that query the database (see app.py)
    worker_threads: int = 8
    #: signs the audit chain's checkpoints; None: the demo key in the data dir (development only)
    audit_signing_key: Ed25519PrivateKey | None = field(default=None, repr=False)
    #: the append-only file of signed checkpoints; None: ``audit-checkpoints.jsonl`` in the data dir
    audit_checkpoints: Path | None = None
    #: at most one checkpoint per this many seconds while events are being sealed
    audit_checkpoint_seconds: float = 60.0
    #: how long the pages' shared warehouse connection stays open after the last page is done
    #: (``WarehouseGate``): 0 closes it at once (tests, which open the file themselves after a
    #: page); ``localjustice serve`` reads ``LOCALJUSTICE_WAREHOUSE_LINGER_MS`` (500)
    warehouse_linger_seconds: float = 0.0
    #: the area whose data names the organisation running the service (``LOCALJUSTICE_AREA``)
    area: str = "london"
    #: the risk checklist the case service scores with (``LOCALJUSTICE_RISK_CHECKLIST``)
    risk_checklist: RiskChecklist = field(default_factory=load_checklist, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.login_failures_per_address >= self.lockout_failures:
            raise SettingsError(
                "LOCALJUSTICE_LOGIN_FAILURES_PER_ADDRESS must be below LOCALJUSTICE_LOCKOUT_FAILURES "
                f"(now {self.login_failures_per_address} and {self.lockout_failures}), so that no one "
                "address can lock an account by itself.")

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def audit_checkpoints_path(self) -> Path:
        return self.audit_checkpoints or self.data_dir / CHECKPOINTS_FILE

    @property
    def warehouse_path(self) -> Path:
        return Settings(self.data_dir).warehouse_path

    @property
    def published_dir(self) -> Path:
        """Where the publish package writes the measures the dashboard reads."""
        return self.data_dir / "published"

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> WebSettings:
        source = os.environ
        # the environment, the data folder and, outside development, the pseudonym key
        core = Settings.from_env(data_dir, source)
        production = core.environment == "production"
        chosen_dir = core.data_dir
        secret = source.get("LOCALJUSTICE_SECRET_KEY", "")
        if production and len(secret) < 32:
            raise SettingsError("Set LOCALJUSTICE_SECRET_KEY to a random value of at least 32 "
                                "characters (e.g. `python -c 'import secrets; "
                                "print(secrets.token_urlsafe(48))'`) before serving in production.")
        return cls(
            data_dir=chosen_dir,
            database_url=database_url(chosen_dir),
            secret_key=secret or secrets.token_urlsafe(48),
            environment="production" if production else "development",
            session_idle_minutes=_int(source, "LOCALJUSTICE_SESSION_MINUTES", 30),
            session_max_hours=_int(source, "LOCALJUSTICE_SESSION_MAX_HOURS", 8),
            login_attempts=_int(source, "LOCALJUSTICE_LOGIN_ATTEMPTS", 10),
            login_window_seconds=_int(source, "LOCALJUSTICE_LOGIN_WINDOW_SECONDS", 300),
            lockout_failures=_int(source, "LOCALJUSTICE_LOCKOUT_FAILURES", 5),
            lockout_minutes=_int(source, "LOCALJUSTICE_LOCKOUT_MINUTES", 15),
            login_failures_per_address=_int(source, "LOCALJUSTICE_LOGIN_FAILURES_PER_ADDRESS", 4),
            worker_threads=_int(source, "LOCALJUSTICE_WORKER_THREADS", 8),
            audit_signing_key=_audit_key(source, production=production),
            audit_checkpoints=checkpoints_path(chosen_dir) if source.get(CHECKPOINTS_ENV) else None,
            audit_checkpoint_seconds=_int(source, "LOCALJUSTICE_AUDIT_CHECKPOINT_SECONDS", 60),
            oidc=_oidc(source),
            area=_area(source),
            risk_checklist=_risk_checklist(source),
            warehouse_linger_seconds=_int(source, "LOCALJUSTICE_WAREHOUSE_LINGER_MS", 500) / 1000,
        )


def _area(source: Mapping[str, str]) -> str:
    """``LOCALJUSTICE_AREA``, checked against the areas whose data ship with the package."""
    from localjustice.area import UnknownAreaError, load_area

    slug = source.get("LOCALJUSTICE_AREA", "").strip().lower() or "london"
    try:
        load_area(slug)
    except UnknownAreaError as exc:
        raise SettingsError(f"LOCALJUSTICE_AREA: {exc}") from None
    return slug


def _risk_checklist(source: Mapping[str, str]) -> RiskChecklist:
    """``LOCALJUSTICE_RISK_CHECKLIST``, parsed now so a bad file stops the start, not a caseworker's save."""
    choice = source.get("LOCALJUSTICE_RISK_CHECKLIST", "")
    try:
        return checklist_from(choice)
    except ChecklistInvalid as exc:
        raise SettingsError(f"LOCALJUSTICE_RISK_CHECKLIST ({choice.strip()}): {exc}") from None


def _int(source: Mapping[str, str], name: str, default: int) -> int:
    raw = source.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}.") from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than zero.")
    return value


def _audit_key(source: Mapping[str, str], *, production: bool) -> Ed25519PrivateKey | None:
    raw = source.get(SIGNING_KEY_ENV, "").strip()
    if not raw:
        if production:
            raise SettingsError(f"Set {SIGNING_KEY_ENV} before serving in production: it signs the "
                                "audit log's checkpoints. `localjustice audit keygen` makes a key "
                                "pair; give the public key to whoever verifies the log.")
        return None
    try:
        return parse_signing_key(raw)
    except AuditKeyError as exc:
        raise SettingsError(str(exc)) from None


def _oidc(source: Mapping[str, str]) -> OidcSettings | None:
    names = ("LOCALJUSTICE_OIDC_ISSUER", "LOCALJUSTICE_OIDC_CLIENT_ID", "LOCALJUSTICE_OIDC_CLIENT_SECRET")
    values = [source.get(name, "").strip() for name in names]
    if not any(values):
        return None
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise SettingsError(f"OpenID Connect is half configured: set {', '.join(missing)} too, "
                            "or unset all three to use local accounts only.")
    if not values[0].startswith("https://") and not values[0].startswith("http://127.0.0.1"):
        raise SettingsError("LOCALJUSTICE_OIDC_ISSUER must be an https:// URL.")
    claim = source.get("LOCALJUSTICE_OIDC_USERNAME_CLAIM", "").strip() or "email"
    return OidcSettings(issuer=values[0], client_id=values[1], client_secret=values[2],
                        username_claim=claim)
