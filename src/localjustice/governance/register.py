"""The commitments register and the RAG rules as data: ``commitments.toml`` and ``rag_rules.toml``.

Both files sit beside this module and are validated once when loaded; a mistake names the entry
and what to fix. The register follows the London justice devolution MoU (March 2018), sections
4.1 to 4.4 and 5; the rules say when the board should see a commitment as off track.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from localjustice.errors import LocalJusticeError

HERE = Path(__file__).parent
REGISTER_FILE = HERE / "commitments.toml"
RULES_FILE = HERE / "rag_rules.toml"
STATUSES = ("green", "amber", "red")
RULE_KINDS = ("due_missed", "milestones_late", "measure_worse", "evaluation_harmful",
              "evaluation_missing", "no_update")
_ID = re.compile(r"^[A-Z][0-9]{1,2}$")


class RegisterInvalid(LocalJusticeError):
    """``commitments.toml`` or ``rag_rules.toml`` is malformed; the message says where."""


@dataclass(frozen=True)
class Milestone:
    name: str
    due: date


@dataclass(frozen=True)
class MeasureTie:
    """A published measure (and cohort) the commitment should move."""

    measure: str
    cohort: str = "all"


@dataclass(frozen=True)
class Commitment:
    id: str
    section: str
    title: str
    text: str
    owners: tuple[str, ...]
    lead: str
    due: date | None = None
    due_text: str = ""
    milestones: tuple[Milestone, ...] = ()
    measures: tuple[MeasureTie, ...] = ()
    evaluations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RagRule:
    kind: str
    status: str
    count: int = 1
    grace_days: int = 0
    days: int = 0


@dataclass(frozen=True)
class RagRules:
    rules: tuple[RagRule, ...]
    #: what the pack asks the board to decide: "red" and "override" templates
    decisions: dict[str, str]


def _date(value: Any, where: str) -> date:
    if not isinstance(value, date):
        raise RegisterInvalid(f"{where}: a date is written 2019-04-30, without quotes.")
    return value


def parse_register(text: str) -> tuple[Commitment, ...]:
    raw = tomllib.loads(text)
    out: list[Commitment] = []
    seen: set[str] = set()
    for i, item in enumerate(raw.get("commitment", []), start=1):
        where = f"commitments.toml, commitment {i} ({item.get('id', '?')})"
        cid = str(item.get("id", ""))
        if not _ID.match(cid) or cid in seen:
            raise RegisterInvalid(f"{where}: id must be a letter and a number (W1, R10), once only.")
        seen.add(cid)
        for key in ("section", "title", "text", "lead"):
            if not str(item.get(key, "")).strip():
                raise RegisterInvalid(f"{where}: {key} is required.")
        if not item.get("owners"):
            raise RegisterInvalid(f"{where}: owners names at least one organisation.")
        due = item.get("due")
        out.append(Commitment(
            id=cid, section=str(item["section"]), title=str(item["title"]), text=str(item["text"]),
            owners=tuple(str(o) for o in item["owners"]), lead=str(item["lead"]),
            due=None if due is None else _date(due, f"{where}, due"),
            due_text=str(item.get("due_text", "")),
            milestones=tuple(Milestone(str(m["name"]), _date(m.get("due"), f"{where}, milestone"))
                             for m in item.get("milestones", [])),
            measures=tuple(MeasureTie(str(m["measure"]), str(m.get("cohort", "all")))
                           for m in item.get("measures", [])),
            evaluations=tuple(str(e) for e in item.get("evaluations", []))))
    return tuple(out)


def parse_rules(text: str) -> RagRules:
    raw = tomllib.loads(text)
    rules = []
    for i, item in enumerate(raw.get("rule", []), start=1):
        where = f"rag_rules.toml, rule {i}"
        if item.get("kind") not in RULE_KINDS:
            raise RegisterInvalid(f"{where}: kind must be one of {', '.join(RULE_KINDS)}.")
        if item.get("status") not in STATUSES:
            raise RegisterInvalid(f"{where}: status must be one of {', '.join(STATUSES)}.")
        rules.append(RagRule(kind=str(item["kind"]), status=str(item["status"]),
                             count=int(item.get("count", 1)), grace_days=int(item.get("grace_days", 0)),
                             days=int(item.get("days", 0))))
    decisions = {str(k): str(v) for k, v in raw.get("decisions", {}).items()}
    return RagRules(tuple(rules), decisions)


@cache
def load_register() -> tuple[Commitment, ...]:
    """The register as ``commitments.toml`` holds it, in its order."""
    return parse_register(REGISTER_FILE.read_text(encoding="utf-8"))


@cache
def load_rules() -> RagRules:
    return parse_rules(RULES_FILE.read_text(encoding="utf-8"))
