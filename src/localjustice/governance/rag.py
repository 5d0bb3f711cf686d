"""A commitment's RAG status from the rules in ``rag_rules.toml``: pure, on values given.

Inputs are the commitment (its dates and milestones), the lead's record as at a date (delivered or
not, milestones done, the last update) and what the published outputs say (``evidence``). The
status is the worst of the rules that hold, green when none holds; each rule that holds adds a
reason in words, so the board sees why. A lead's override replaces the status shown, with its
reason beside the computed one (``Rag.status`` and ``Rag.computed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from localjustice.governance.register import Commitment, RagRules, load_rules

ORDER = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class LeadRecord:
    """What the lead has recorded up to the date the status is worked out for."""

    delivered: bool = False
    milestones_done: frozenset[str] = frozenset()
    last_update: date | None = None
    override: str | None = None
    override_reason: str = ""


@dataclass(frozen=True)
class Evidence:
    """What the published measures and evaluations say about the commitment's ties, in words."""

    measures_worse: tuple[str, ...] = ()
    evaluations_harmful: tuple[str, ...] = ()
    evaluations_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rag:
    computed: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    override: str | None = None
    override_reason: str = ""

    @property
    def status(self) -> str:
        """What the board sees: the lead's override where there is one, else the computed status."""
        return self.override or self.computed


def compute_rag(commitment: Commitment, record: LeadRecord, evidence: Evidence, as_at: date,
                rules: RagRules | None = None) -> Rag:
    rules = rules or load_rules()
    if record.delivered:
        return Rag("green", ("Delivered, as its lead records",), record.override, record.override_reason)
    worst, reasons = "green", []
    for rule in rules.rules:
        found = _holds(rule.kind, rule.count, rule.grace_days, rule.days, commitment, record, evidence,
                       as_at)
        if found:
            reasons += [r for r in found if r not in reasons]
            if ORDER[rule.status] > ORDER[worst]:
                worst = rule.status
    return Rag(worst, tuple(reasons), record.override, record.override_reason)


def _holds(kind: str, count: int, grace_days: int, days: int, commitment: Commitment,
           record: LeadRecord, evidence: Evidence, as_at: date) -> list[str]:
    """The reasons a rule holds (empty when it does not)."""
    if kind == "due_missed":
        if commitment.due is not None and as_at > commitment.due:
            return [f"Due {commitment.due_text or commitment.due.isoformat()} and not delivered"]
        return []
    if kind == "milestones_late":
        late = [m for m in commitment.milestones
                if m.name not in record.milestones_done and as_at > m.due + timedelta(days=grace_days)]
        if len(late) >= count:
            return [f"Milestone late: {m.name} (due {m.due.isoformat()})" for m in late]
        return []
    if kind == "measure_worse":
        return [f"Moving the wrong way: {words}" for words in evidence.measures_worse]
    if kind == "evaluation_harmful":
        return [f"Evaluation found harm: {words}" for words in evidence.evaluations_harmful]
    if kind == "evaluation_missing":
        return [f"No evaluation result yet: {words}" for words in evidence.evaluations_missing]
    if kind == "no_update":
        if record.last_update is None:
            return ["No update recorded by its lead"]
        if (as_at - record.last_update).days > days:
            return [f"No update for {(as_at - record.last_update).days} days"]
        return []
    raise ValueError(f"unknown rule kind {kind!r}")
