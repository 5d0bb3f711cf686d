"""The rules of ``casework.toml``: approvals, closure outcomes, feedback, flags and documents.

Loaded once and validated (STYLE rule 7): a service changes which actions a supervisor approves,
the outcomes a case closes with or the flags it can carry by editing the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from localjustice.service.errors import CaseServiceError

APPROVABLE = frozenset({"close_case", "lower_risk", "onward_referral"})
DOCUMENT_KINDS = frozenset({"pdf", "png", "jpeg", "docx"})


class CaseworkRulesInvalid(CaseServiceError):
    """``casework.toml`` is malformed; the message names the entry to fix."""


@dataclass(frozen=True)
class FlagKind:
    key: str
    label: str
    alert: bool
    right: int | None
    event: str | None


@dataclass(frozen=True)
class CaseworkRules:
    approval_actions: frozenset[str]
    approval_services: frozenset[str]
    approver_roles: frozenset[str]
    outcomes: dict[str, str]
    feedback_scale: tuple[str, ...]
    feedback_questions: dict[str, str]
    feedback_minimum_count: int
    flags: dict[str, FlagKind]
    document_max_bytes: int
    document_types: frozenset[str]

    def needs_approval(self, role: str, action: str, *, service: str | None = None) -> bool:
        """Whether ``role`` doing ``action`` waits for a supervisor (their own never does)."""
        if role in self.approver_roles or action not in self.approval_actions:
            return False
        return action != "onward_referral" or service in self.approval_services


def parse_casework_rules(text: str, *, events: frozenset[str] | None = None) -> CaseworkRules:
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseworkRulesInvalid(f"casework.toml is not valid TOML: {exc}") from None
    approvals = raw.get("approvals", {})
    actions = frozenset(approvals.get("actions", []))
    if not actions <= APPROVABLE:
        raise CaseworkRulesInvalid(f"[approvals] actions must be among {sorted(APPROVABLE)}")
    roles = frozenset(approvals.get("approver_roles", []))
    if not roles:
        raise CaseworkRulesInvalid("[approvals] approver_roles must name at least one role")
    outcomes = {str(k): str(v) for k, v in raw.get("outcomes", {}).items()}
    if not outcomes:
        raise CaseworkRulesInvalid("[outcomes] must list at least one outcome")
    feedback = raw.get("feedback", {})
    scale = tuple(str(s) for s in feedback.get("scale", []))
    questions = {str(q["key"]): str(q["text"]) for q in feedback.get("questions", [])}
    if len(scale) < 2 or not questions:
        raise CaseworkRulesInvalid("[feedback] needs a scale of 2 or more labels and some questions")
    flags: dict[str, FlagKind] = {}
    for key, f in raw.get("flags", {}).items():
        event = f.get("event")
        if (f.get("right") is None) != (event is None) or (events is not None and event is not None
                                                           and event not in events):
            raise CaseworkRulesInvalid(f"flag {key}: give right and event (a Victims' Code event) together")
        flags[key] = FlagKind(key, str(f.get("label", key)), bool(f.get("alert", False)), f.get("right"),
                              event)
    documents = raw.get("documents", {})
    types = frozenset(documents.get("types", []))
    if not types or not types <= DOCUMENT_KINDS:
        raise CaseworkRulesInvalid(f"[documents] types must be among {sorted(DOCUMENT_KINDS)}")
    return CaseworkRules(
        approval_actions=actions, approval_services=frozenset(approvals.get("onward_referral_services", [])),
        approver_roles=roles, outcomes=outcomes, feedback_scale=scale, feedback_questions=questions,
        feedback_minimum_count=int(feedback.get("minimum_count", 5)), flags=flags,
        document_max_bytes=int(documents.get("max_bytes", 10 * 1024 * 1024)), document_types=types)


@cache
def load_casework_rules() -> CaseworkRules:
    from localjustice.service.rules import load_victims_code

    text = (resources.files("localjustice.service") / "casework.toml").read_text(encoding="utf-8")
    return parse_casework_rules(text, events=frozenset(load_victims_code().events))
