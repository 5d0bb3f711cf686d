"""The rules of data sharing as data: the datasets a request may name (``datasets.toml``), the
agreements seeded into the register (``agreements.toml``) and the workflow's steps with their
deadlines in working days (``workflow.toml``). Loaded and checked once; a malformed file fails with
a message naming the entry.

MoU (March 2018) section 5.1: information-sharing agreements, and data requests kept
"proportionate and resolved in a timely manner" by the joint data and research group.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from localjustice.errors import LocalJusticeError

HERE = Path(__file__).parent
Level = Literal["aggregate", "pseudonymous"]
LEVELS: tuple[Level, ...] = ("aggregate", "pseudonymous")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_TABLE = re.compile(r"^analysis\.[a-z_]+$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")


class SharingRulesInvalid(LocalJusticeError):
    """A sharing rules file is malformed; the message names the file, the entry and what to fix."""


@dataclass(frozen=True)
class Dataset:
    """A pseudonymous slice of one analysis-zone table that a grant may serve."""

    name: str
    title: str
    description: str
    table: str
    columns: tuple[str, ...]
    event_type: str | None = None


@dataclass(frozen=True)
class AgreementTerms:
    """One information-sharing agreement as the register is seeded with it."""

    code: str
    title: str
    parties: tuple[str, ...]
    datasets: tuple[str, ...]
    purposes: tuple[str, ...]
    levels: tuple[str, ...]
    legal_basis: str
    starts_on: date
    expires_on: date
    illustrative: bool = True


@dataclass(frozen=True)
class Step:
    """A step of the workflow: who acts, and by when (working days from entering it)."""

    status: str
    name: str
    who: str
    working_days: int
    remind_within: int
    escalate_to: str


@dataclass(frozen=True)
class Workflow:
    steps: dict[str, Step]
    max_duration_days: int
    comment_max: int
    purpose_detail_max: int

    def step(self, status: str) -> Step:
        return self.steps[status]


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SharingRulesInvalid(f"{path.name}: cannot be read ({exc}).") from None


def parse_datasets(raw: dict[str, Any], where: str = "datasets.toml") -> dict[str, Dataset]:
    found: dict[str, Dataset] = {}
    for name, entry in raw.get("dataset", {}).items():
        columns = tuple(entry.get("columns", ()))
        table = str(entry.get("table", ""))
        if not _NAME.match(name) or not _TABLE.match(table) or not columns or not all(
                _NAME.match(c) for c in columns):
            raise SharingRulesInvalid(f"{where}: dataset {name!r} needs a lower-case name, a table "
                                      "analysis.<name> and lower-case column names.")
        event_type = entry.get("event_type")
        found[name] = Dataset(name=name, title=str(entry["title"]), description=str(entry.get(
            "description", "")), table=table, columns=columns,
            event_type=str(event_type) if event_type is not None else None)
    if not found:
        raise SharingRulesInvalid(f"{where}: no [dataset.<name>] entries.")
    return found


def parse_agreements(raw: dict[str, Any], datasets: dict[str, Dataset],
                     where: str = "agreements.toml") -> tuple[dict[str, str], list[AgreementTerms]]:
    """The purposes (code -> label) and the agreements, each checked against the datasets."""
    purposes = {str(code): str(label) for code, label in raw.get("purposes", {}).items()}
    illustrative = bool(raw.get("illustrative", True))
    agreements = []
    for entry in raw.get("agreement", []):
        code = str(entry.get("code", ""))
        if not _CODE.match(code):
            raise SharingRulesInvalid(f"{where}: agreement code {code!r} must be upper-case letters, "
                                      "digits and hyphens.")
        unknown = [d for d in entry["datasets"] if d not in datasets]
        unknown += [p for p in entry["purposes"] if p not in purposes]
        unknown += [level for level in entry["levels"] if level not in LEVELS]
        if unknown:
            raise SharingRulesInvalid(f"{where}: agreement {code} names unknown datasets, purposes or "
                                      f"levels {unknown}; add them to datasets.toml or [purposes].")
        starts, expires = entry["starts_on"], entry["expires_on"]
        if not isinstance(starts, date) or not isinstance(expires, date) or expires < starts:
            raise SharingRulesInvalid(f"{where}: agreement {code} needs dates starts_on <= expires_on.")
        agreements.append(AgreementTerms(
            code=code, title=str(entry["title"]), parties=tuple(entry["parties"]),
            datasets=tuple(entry["datasets"]), purposes=tuple(entry["purposes"]),
            levels=tuple(entry["levels"]), legal_basis=" ".join(str(entry["legal_basis"]).split()),
            starts_on=starts, expires_on=expires, illustrative=illustrative))
    return purposes, agreements


def parse_workflow(raw: dict[str, Any], where: str = "workflow.toml") -> Workflow:
    steps = {}
    for entry in raw.get("step", []):
        days, remind = int(entry["working_days"]), int(entry.get("remind_within", 0))
        if days < 1 or not 0 <= remind <= days:
            raise SharingRulesInvalid(f"{where}: step {entry.get('status')!r} needs working_days >= 1 "
                                      "and 0 <= remind_within <= working_days.")
        steps[str(entry["status"])] = Step(status=str(entry["status"]), name=str(entry["name"]),
                                           who=str(entry["who"]), working_days=days,
                                           remind_within=remind, escalate_to=str(entry["escalate_to"]))
    if set(steps) != {"submitted", "returned"}:
        raise SharingRulesInvalid(f"{where}: needs exactly the steps 'submitted' and 'returned'.")
    limits = raw.get("limits", {})
    return Workflow(steps=steps, max_duration_days=int(limits.get("max_duration_days", 365)),
                    comment_max=int(limits.get("comment_max", 2000)),
                    purpose_detail_max=int(limits.get("purpose_detail_max", 2000)))


@functools.cache
def load_datasets() -> dict[str, Dataset]:
    return parse_datasets(_read(HERE / "datasets.toml"))


@functools.cache
def load_purposes() -> dict[str, str]:
    return parse_agreements(_read(HERE / "agreements.toml"), load_datasets())[0]


def load_agreement_terms(path: Path | None = None) -> list[AgreementTerms]:
    """The agreements to seed the register with (``agreements.toml`` unless another file)."""
    return parse_agreements(_read(path or HERE / "agreements.toml"), load_datasets())[1]


@functools.cache
def load_workflow() -> Workflow:
    return parse_workflow(_read(HERE / "workflow.toml"))
