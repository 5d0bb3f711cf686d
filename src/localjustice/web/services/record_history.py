"""A record's versions for the data steward: which delivery brought each, which is current, what
changed, and the rows of it a delivery held back (``ingest.history``).

The versions are the identity zone's values (names, dates of birth, source ids), so this page is
the quarantine page's kin: the same permission (``quarantine:view``) and the same reason for
access (kind ``quarantine``: a steward checking what deliveries did to the data), and every view
writes an audit event citing the reason, naming the extract and key looked up and how many
versions were shown, before anything is returned. A look-up that finds nothing is audited too:
the key asked for is itself a question about a person. No value is ever logged.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from localjustice.access import Purpose
from localjustice.audit import record_event
from localjustice.contract import load_contract
from localjustice.ingest.history import STATES, RecordHistory, record_histories
from localjustice.web.authorise import SignedIn
from localjustice.web.deps import WarehouseGate
from localjustice.web.services.quarantine import steward_purpose

#: What the audit events of views name: one extract's record key.
SUBJECT = "identity_record"


class VersionOut(BaseModel):
    batch_id: str
    delivery: str
    extract_date: str
    loaded_at: str
    source_row: int
    state: str
    #: the state in words (Current, Superseded, Withdrawn, History only (older extract))
    state_label: str
    ended_by_delivery: str
    #: in the order of ``RecordOut.columns``
    values: list[str]
    changed: list[str]


class HeldBackOut(BaseModel):
    batch_id: str
    delivery: str
    row_number: int
    reasons: str
    corrected_by_delivery: str


class RecordOut(BaseModel):
    key: dict[str, str]
    columns: list[str]
    versions: list[VersionOut]
    held_back: list[HeldBackOut]
    #: False when every version has ended (withdrawn) or none was ever loaded (only held back)
    has_current: bool


class ExtractChoice(BaseModel):
    extract: str
    #: the column a record is looked up by (the first of its key)
    key_column: str
    partner: str


class RecordHistoryView(BaseModel):
    #: the extracts a record can be looked up in, for the form
    choices: list[ExtractChoice]
    extract: str = ""
    key: str = ""
    #: a key was given and looked up (the rest is filled in)
    looked_up: bool = False
    #: what is wrong with the look-up asked for, by field (``extract``, ``key``)
    errors: dict[str, str] = {}
    partner: str = ""
    key_column: str = ""
    records: list[RecordOut] = []


#: The longest key looked up: a source's ids are short; anything longer is a paste gone wrong.
KEY_MAX = 200


def _choices() -> list[ExtractChoice]:
    return [ExtractChoice(extract=f.name, key_column=f.key[0], partner=f.partner)
            for f in load_contract().files.values()]


def record_history_view(gate: WarehouseGate, db: Session, user: SignedIn, extract: str,
                        key: str | None, *, purpose: Purpose | None = None,
                        stated_in: int | None = None) -> RecordHistoryView:
    """The look-up form (``key`` None), the form with what is wrong, or the records of
    ``extract`` with ``key``, audited before they are returned. A look-up needs a reason for
    access, else ``PurposeRequired`` before anything is read."""
    choices = _choices()
    if key is None:
        return RecordHistoryView(choices=choices, extract=extract)
    key = key.strip()
    files = load_contract().files
    errors = {}
    if extract not in files:
        errors["extract"] = "Select the extract the record is in"
    name = "the record's key" if extract not in files else f"the {files[extract].key[0]}"
    if not key:
        errors["key"] = f"Enter {name} of the record" if extract in files else \
            "Enter the record's key"
    elif len(key) > KEY_MAX:
        errors["key"] = f"{name[0].upper()}{name[1:]} must be {KEY_MAX} characters or fewer"
    elif not key.isprintable():
        errors["key"] = f"{name[0].upper()}{name[1:]} must not contain control characters"
    if errors:
        return RecordHistoryView(choices=choices, extract=extract, key=key, errors=errors)
    used = steward_purpose(db, user, purpose, stated_in)
    with gate.open() as warehouse:
        found = record_histories(warehouse, extract, key)
    record_event(db, actor=user.actor.username, role=user.role, action="view", subject_type=SUBJECT,
                 subject_id=f"{extract}:{key}", purpose=used.text,
                 detail={"records": len(found), "versions": sum(len(r.versions) for r in found),
                         **used.audit_detail()})
    db.commit()
    return RecordHistoryView(choices=choices, extract=extract, key=key, looked_up=True,
                             partner=files[extract].partner, key_column=files[extract].key[0],
                             records=[_record(r) for r in found])


def _record(history: RecordHistory) -> RecordOut:
    columns = list(history.columns)
    return RecordOut(
        key=history.key, columns=columns,
        versions=[VersionOut(
            batch_id=v.batch_id, delivery=v.delivery, extract_date=v.extract_date,
            loaded_at=v.loaded_at, source_row=v.source_row, state=v.state,
            state_label=STATES.get(v.state, v.state), ended_by_delivery=v.ended_by_delivery,
            values=[v.values[c] for c in columns], changed=list(v.changed))
            for v in history.versions],
        held_back=[HeldBackOut(batch_id=h.batch_id, delivery=h.delivery, row_number=h.row_number,
                               reasons=h.reasons, corrected_by_delivery=h.corrected_by_delivery)
                   for h in history.held_back],
        has_current=history.current is not None)
