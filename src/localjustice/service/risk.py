"""Risk checklists as data (``risk_checklists/*.toml``): questions, scores, thresholds, tasks.

A checklist is scored the same way whatever it asks (after the DASH checklist's method, SafeLives
2009): the score is the sum of the scores of the questions answered "yes"; the level is the highest
whose threshold the score reaches, raised to any question's ``at_least``. Professional judgement
may then raise the level with a reason; a level below the score's (or below the level in force)
needs a supervisor's approval (``casework.toml``). Levels are ordered standard < medium < high.

A deployment chooses its checklist with ``LOCALJUSTICE_RISK_CHECKLIST`` (read by the web app's
settings through ``checklist_from``): the key of a shipped one, or the path of its own file of the
same shape (for example the licensed copy of the checklist its area uses).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from localjustice.service.errors import CaseServiceError

LEVELS = ("standard", "medium", "high")
#: The checklist used when a deployment names none.
SHIPPED = "domestic_abuse"


class ChecklistInvalid(CaseServiceError):
    """A risk checklist file is malformed; the message names the entry to fix."""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    score: int
    at_least: str | None


@dataclass(frozen=True)
class RiskTask:
    level: str
    key: str
    summary: str
    working_days: int
    citation: str


@dataclass(frozen=True)
class RiskChecklist:
    key: str
    title: str
    version: str
    citation: str
    reassess_after: str
    reassess_within_working_days: int
    thresholds: Mapping[str, int]
    questions: tuple[Question, ...]
    tasks: tuple[RiskTask, ...]

    def score(self, answers: Mapping[str, bool]) -> tuple[int, str]:
        """The score of the "yes" answers and the level it gives (thresholds, then ``at_least``)."""
        yes = [q for q in self.questions if answers.get(q.key)]
        total = sum(q.score for q in yes)
        level = "standard"
        for name in LEVELS[1:]:
            if total >= self.thresholds[name]:
                level = name
        for q in yes:
            if q.at_least is not None:
                level = higher(level, q.at_least)
        return total, level

    def tasks_for(self, level: str) -> list[RiskTask]:
        return [t for t in self.tasks if t.level == level]


def rank(level: str) -> int:
    return LEVELS.index(level)


def higher(a: str, b: str) -> str:
    return a if rank(a) >= rank(b) else b


def parse_checklist(text: str, *, events: frozenset[str] | None = None) -> RiskChecklist:
    """Parse and validate one checklist; every problem names what to fix."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistInvalid(f"The risk checklist is not valid TOML: {exc}") from None
    for name in ("key", "title", "version", "citation", "reassess_after"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise ChecklistInvalid(f"The risk checklist needs {name} (text)")
    if events is not None and raw["reassess_after"] not in events:
        raise ChecklistInvalid(f"reassess_after must be one of the Victims' Code events: {sorted(events)}")
    thresholds = raw.get("thresholds", {})
    if set(thresholds) != {"medium", "high"} or not 0 < thresholds["medium"] <= thresholds["high"]:
        raise ChecklistInvalid("[thresholds] needs medium and high, with 0 < medium <= high")
    questions: list[Question] = []
    for i, q in enumerate(raw.get("questions", []), start=1):
        where = f"question {i} ({q.get('key', '?')})"
        if not q.get("key") or not q.get("text") or q["key"] in {x.key for x in questions}:
            raise ChecklistInvalid(f"{where}: key (unique) and text are required")
        score = q.get("score", 1)
        if not isinstance(score, int) or isinstance(score, bool) or score < 0:
            raise ChecklistInvalid(f"{where}: score must be a whole number, 0 or more")
        if q.get("at_least") not in (None, *LEVELS):
            raise ChecklistInvalid(f"{where}: at_least must be one of {LEVELS}")
        questions.append(Question(str(q["key"]), str(q["text"]), score, q.get("at_least")))
    if not questions:
        raise ChecklistInvalid("The risk checklist has no questions")
    tasks: list[RiskTask] = []
    for i, t in enumerate(raw.get("tasks", []), start=1):
        days = t.get("working_days")
        if (t.get("level") not in LEVELS or not t.get("key") or not t.get("summary")
                or not isinstance(days, int)):
            raise ChecklistInvalid(f"task {i}: level, key, summary and working_days are required")
        tasks.append(RiskTask(str(t["level"]), str(t["key"]), str(t["summary"]), days,
                              " ".join(str(t.get("citation", "")).split())))
    within = raw.get("reassess_within_working_days")
    if not isinstance(within, int) or within < 0:
        raise ChecklistInvalid("reassess_within_working_days must be a whole number of working days")
    return RiskChecklist(
        key=raw["key"], title=raw["title"], version=raw["version"],
        citation=" ".join(raw["citation"].split()), reassess_after=raw["reassess_after"],
        reassess_within_working_days=within, thresholds={k: int(v) for k, v in thresholds.items()},
        questions=tuple(questions), tasks=tuple(tasks))


def shipped_checklists() -> list[str]:
    """The keys of the checklists in ``service/risk_checklists/``."""
    folder = resources.files("localjustice.service") / "risk_checklists"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def _code_events() -> frozenset[str]:
    from localjustice.service.rules import load_victims_code

    return frozenset(load_victims_code().events)


def load_checklist(key: str = SHIPPED) -> RiskChecklist:
    """A checklist shipped in ``service/risk_checklists/`` (``<key>.toml``), read once: called by
    key or with none, the same checklist is the same object."""
    return _shipped(key)


@cache
def _shipped(key: str) -> RiskChecklist:
    names = shipped_checklists()
    if key not in names:
        raise ChecklistInvalid(f"No risk checklist {key!r}: choose one of {names}")
    folder = resources.files("localjustice.service") / "risk_checklists"
    return parse_checklist((folder / f"{key}.toml").read_text(encoding="utf-8"), events=_code_events())


def read_checklist(path: Path) -> RiskChecklist:
    """A deployment's own checklist file, checked as a shipped one is.

    Each assessment keeps only its checklist's key and version, so a file that takes a shipped
    checklist's key and version but asks or scores differently is refused: the stored pair would
    then name two checklists."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChecklistInvalid(f"No risk checklist file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistInvalid(f"Cannot read the risk checklist file {path}: {exc}") from None
    checklist = parse_checklist(text, events=_code_events())
    if checklist.key in shipped_checklists():
        shipped = load_checklist(checklist.key)
        if shipped.version == checklist.version and shipped != checklist:
            raise ChecklistInvalid(
                f"{path} has the key and version of the shipped checklist ({checklist.key!r}, "
                f"{checklist.version!r}) but differs from it: give it a version of its own, so each "
                "assessment says which checklist scored it")
    return checklist


def checklist_path(choice: str) -> Path | None:
    """The file ``LOCALJUSTICE_RISK_CHECKLIST`` names, if it names one (a slash, or ending ``.toml``)
    rather than a shipped checklist's key."""
    choice = choice.strip()
    if "/" in choice or "\\" in choice or choice.endswith(".toml"):
        return Path(choice).expanduser()
    return None


def checklist_from(choice: str) -> RiskChecklist:
    """What ``LOCALJUSTICE_RISK_CHECKLIST`` names: a shipped checklist's key, or a path to a file."""
    path = checklist_path(choice)
    return read_checklist(path) if path is not None else load_checklist(choice.strip() or SHIPPED)
