"""Who is acting: the user and role every service call and audit event is made on behalf of.

Kept outside ``web/`` so services can check and record access without importing the web app: the
actor, and the reasons for access a person gives before a record is shown (``AccessReasons``).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from localjustice.audit import AuditEvent, record_event
from localjustice.errors import LocalJusticeError

Role = Literal["analyst", "data_steward", "caseworker", "supervisor", "offender_manager", "iom_officer",
               "yot_worker", "board", "admin", "data_reviewer"]
ROLES: tuple[Role, ...] = ("analyst", "data_steward", "caseworker", "supervisor", "offender_manager",
                           "iom_officer", "yot_worker", "board", "admin", "data_reviewer")
#: ``data_reviewer`` decides data requests under the information-sharing agreements (issue 18).
#: Practitioners who work with offenders (probation, Integrated Offender Management, youth
#: offending teams): what each may see of a person's journey is data (``people/practitioners.toml``).
PRACTITIONER_ROLES: tuple[Role, ...] = ("offender_manager", "iom_officer", "yot_worker")


@dataclass(frozen=True)
class Actor:
    """A signed-in user acting in one role; ``teams`` scopes caseworkers' and supervisors' cases."""

    username: str
    role: Role
    teams: tuple[str, ...] = ()
    display_name: str = ""


# --- reasons for access ---------------------------------------------------------------------------
#
# Opening a person's record needs a reason, and the audit event of the view records it. The
# case's allocated caseworker (its single point of contact) has one by being allocated; anyone else
# chooses one from the list in ``access_reasons.toml``. A reason chosen on the page is itself
# recorded (``purpose.stated``) and, for ``reuse_minutes``, later views of the same record by the
# same user in the same session cite that event instead of asking again: the session holds only
# the event's id, the reason and its time are read back from the audit log, server-side.

RecordKind = Literal["case", "linkage_review", "possible_duplicate", "quarantine", "person_search",
                     "person_journey"]
RECORD_KINDS: tuple[RecordKind, ...] = ("case", "linkage_review", "possible_duplicate", "quarantine",
                                         "person_search", "person_journey")
REASONS_FILE = Path(__file__).with_name("access_reasons.toml")
#: What a reason opens, where "this record" would mislead: a quarantine reason is for a batch's
#: held-back rows and a record's versions, shown as the partner sent them.
_SEEN: dict[RecordKind, str] = {"quarantine": "rows as the partner sent them"}
#: The audit action of a reason given on the page, which later views within the window cite.
STATED = "purpose.stated"
#: The code recorded for the allocated caseworker's own view.
ALLOCATED = "allocated_caseworker"
DETAIL_MAX = 200
#: Control characters and the bidirectional controls (U+202A-202E, U+2066-2069), which can make
#: an audit entry read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class AccessReasonsInvalid(LocalJusticeError):
    """The list of reasons for access is malformed; the message names the entry and what to fix."""


@dataclass(frozen=True)
class AccessReason:
    """One reason a person may give for opening a record of the kinds in ``records``."""

    code: str
    label: str
    records: frozenset[str]
    free_text_required: bool = False
    hint: str = ""

    def public(self) -> dict[str, object]:
        """As the API lists it when a reason is missing or wrong."""
        return {"code": self.code, "label": self.label, "free_text_required": self.free_text_required}


@dataclass(frozen=True)
class Purpose:
    """The reason behind one view: a code from the list (or ``ALLOCATED``), with the words given
    for a free-text reason, and the audit event it was first stated in when it is being reused."""

    code: str
    label: str
    detail: str = ""
    stated_in: int | None = None

    @property
    def text(self) -> str:
        """What the audit event's ``purpose`` column holds."""
        return f"{self.label}: {self.detail}" if self.detail else self.label

    def audit_detail(self) -> dict[str, object]:
        """What the audit event's ``detail`` holds about the reason."""
        detail: dict[str, object] = {"reason": self.code}
        if self.detail:
            detail["reason_detail"] = self.detail
        if self.stated_in is not None:
            detail["stated_in"] = self.stated_in
        return detail


class PurposeRequired(LocalJusticeError):
    """Opening this record needs a reason from the list; nothing was shown."""

    def __init__(self, kind: RecordKind, record_id: object, reasons: tuple[AccessReason, ...]) -> None:
        super().__init__("Say why you are opening this record: choose a reason for access. It is "
                         "recorded in the audit log with your name.")
        self.kind = kind
        self.record_id = record_id
        self.reasons = reasons


class PurposeInvalid(LocalJusticeError):
    """The reason given is not one of the list, or lacks the words it needs; ``errors`` maps the
    field (``purpose`` or ``purpose_detail``) to a message a person can act on."""

    def __init__(self, errors: dict[str, str], reasons: tuple[AccessReason, ...]) -> None:
        self.errors = errors
        self.reasons = reasons
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class AccessReasons:
    """The validated list of reasons for access and how long a stated reason holds."""

    reasons: tuple[AccessReason, ...]
    reuse_minutes: int
    allocated_purpose: str

    def for_record(self, kind: RecordKind) -> tuple[AccessReason, ...]:
        return tuple(r for r in self.reasons if kind in r.records)

    def allocated(self) -> Purpose:
        return Purpose(ALLOCATED, self.allocated_purpose)

    def parse(self, kind: RecordKind, code: str, detail: str = "") -> Purpose:
        """The reason ``code`` for a record of ``kind``, with ``detail`` when the reason needs words.

        Words given with a reason that does not ask for them are not kept: the page offers the box
        only with the reason that needs it, so anything in it belongs to a choice since changed.
        """
        offered = self.for_record(kind)
        code, detail = code.strip(), detail.strip()
        what = _SEEN.get(kind, "this record")
        if not code:
            raise PurposeInvalid({"purpose": f"Select why you need to see {what}"
                                  if kind in _SEEN else "Select why you are opening this record"},
                                 offered)
        reason = next((r for r in offered if r.code == code), None)
        if reason is None:
            codes = ", ".join(r.code for r in offered)
            raise PurposeInvalid({"purpose": f"Select a reason for access from the list ({codes})"},
                                 offered)
        if not reason.free_text_required:
            return Purpose(reason.code, reason.label)
        if not detail:
            raise PurposeInvalid({"purpose_detail": f"Enter why you need to see {what}"}, offered)
        if len(detail) > DETAIL_MAX:
            raise PurposeInvalid({"purpose_detail": f"Why you need to see {what} must be {DETAIL_MAX} "
                                                    "characters or fewer"}, offered)
        if _UNSAFE.search(detail):
            raise PurposeInvalid({"purpose_detail": f"Why you need to see {what} must not contain "
                                                    "control or text-direction characters"}, offered)
        return Purpose(reason.code, reason.label, detail)

    def stated(self, session: Session, actor: Actor, kind: RecordKind, record_id: object,
               purpose: Purpose) -> int:
        """Record a reason given on the page; the id of its audit event, which later views cite."""
        offered = self.for_record(kind)
        if purpose.code not in {r.code for r in offered}:
            raise PurposeInvalid({"purpose": "Select a reason for access from the list"}, offered)
        return record_event(session, actor=actor.username, role=actor.role, action=STATED,
                            subject_type=kind, subject_id=str(record_id), purpose=purpose.text,
                            detail=purpose.audit_detail())

    def resolve(self, session: Session, actor: Actor, kind: RecordKind, record_id: object, *,
                given: Purpose | None, stated_in: int | None, allocated: bool = False,
                now: datetime | None = None) -> Purpose:
        """The purpose to record for this view, or ``PurposeRequired`` when there is none.

        In order: the allocated caseworker's own purpose; a reason given with the request; the
        reason this user stated for this record within ``reuse_minutes`` (``stated_in``, the id the
        session holds, checked against the audit log: same user, role and record, still in time).
        """
        if allocated:
            return self.allocated()
        offered = self.for_record(kind)
        if given is not None:
            if given.code not in {r.code for r in offered}:
                raise PurposeInvalid({"purpose": "Select a reason for access from the list"}, offered)
            return given
        if stated_in is not None:
            reused = self._reuse(session, actor, kind, str(record_id), stated_in,
                                 now or datetime.now(UTC).replace(tzinfo=None))
            if reused is not None:
                return reused
        raise PurposeRequired(kind, record_id, offered)

    def _reuse(self, session: Session, actor: Actor, kind: RecordKind, record_id: str, event_id: int,
               now: datetime) -> Purpose | None:
        event = session.get(AuditEvent, event_id)
        if (event is None or event.action != STATED or event.actor != actor.username
                or event.role != actor.role or event.subject_type != kind or event.subject_id != record_id
                or event.occurred_at < now - timedelta(minutes=self.reuse_minutes)):
            return None
        reason = next((r for r in self.for_record(kind) if r.code == event.detail.get("reason")), None)
        if reason is None:
            return None
        detail = str(event.detail.get("reason_detail", "")) if reason.free_text_required else ""
        return Purpose(reason.code, reason.label, detail, stated_in=event.id)


def parse_access_reasons(text: str, *, source: str = "access_reasons.toml") -> AccessReasons:
    """Validate the list once: unique snake_case codes, a label each, known record kinds, a reason
    for every kind, and at most one free-text reason per kind (the page has one box for it)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessReasonsInvalid(f"{source} is not valid TOML: {exc}") from None
    minutes = raw.get("reuse_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 480:
        raise AccessReasonsInvalid(f"{source}: reuse_minutes must be a whole number of minutes, 0 to 480.")
    allocated = raw.get("allocated_purpose")
    if not isinstance(allocated, str) or not allocated.strip():
        raise AccessReasonsInvalid(f"{source}: allocated_purpose must name the allocated caseworker's "
                                   "purpose.")
    reasons: list[AccessReason] = []
    for n, entry in enumerate(raw.get("reason", []), start=1):
        where = f"{source}: reason {n}"
        if not isinstance(entry, dict):
            raise AccessReasonsInvalid(f"{where}: write it as a [[reason]] table.")
        code, label = entry.get("code"), entry.get("label")
        records, hint = entry.get("records"), entry.get("hint", "")
        free = entry.get("free_text_required", False)
        if not isinstance(code, str) or not _CODE.match(code) or code == ALLOCATED:
            raise AccessReasonsInvalid(f"{where}: code must be lower-case letters, digits and _ (and not "
                                       f"{ALLOCATED!r}).")
        if any(r.code == code for r in reasons):
            raise AccessReasonsInvalid(f"{where}: code {code!r} is used twice.")
        if not isinstance(label, str) or not label.strip():
            raise AccessReasonsInvalid(f"{where} ({code}): give it a label.")
        if (not isinstance(records, list) or not records
                or not set(records) <= set(RECORD_KINDS)):
            raise AccessReasonsInvalid(f"{where} ({code}): records must list some of {list(RECORD_KINDS)}.")
        if not isinstance(free, bool) or not isinstance(hint, str):
            raise AccessReasonsInvalid(f"{where} ({code}): free_text_required is true or false, hint "
                                       "is text.")
        unknown = set(entry) - {"code", "label", "records", "free_text_required", "hint"}
        if unknown:
            raise AccessReasonsInvalid(f"{where} ({code}): unknown keys {sorted(unknown)}.")
        reasons.append(AccessReason(code, label.strip(), frozenset(records), free, hint.strip()))
    for kind in RECORD_KINDS:
        offered = [r for r in reasons if kind in r.records]
        if not offered:
            raise AccessReasonsInvalid(f"{source}: no reason is offered for a {kind} record.")
        if sum(r.free_text_required for r in offered) > 1:
            raise AccessReasonsInvalid(f"{source}: only one reason with free text may be offered for a "
                                       f"{kind} record.")
    return AccessReasons(tuple(reasons), minutes, allocated.strip())


@functools.cache
def load_access_reasons() -> AccessReasons:
    """The packaged list of reasons for access, read and validated once per process."""
    return parse_access_reasons(REASONS_FILE.read_text("utf-8"), source=str(REASONS_FILE.name))
