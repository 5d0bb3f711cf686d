"""Governance: the MoU commitments register, its RAG status, and the board's quarterly pack.

The public face, for the web app and the CLI:

``seed_register(session, actor)``, ``assign_lead(session, actor, id, username, name)``
    Load ``commitments.toml`` into the app database; name a commitment's lead.
``record_update(session, actor, id, UpdateForm(...))``, ``history(session, id)``
    A lead's status update (a new numbered row, audited); every update, newest first.
``register_status(session, published_dir, as_at)``
    Every commitment with its RAG (``rag_rules.toml``) as at a date.
``draft_pack``, ``approve``, ``visible_packs``, ``get_pack``, ``latest_approved``,
``record_decision``, ``decisions``
    The board pack: drafted, approved by two people other than its drafter, then the board's.
``seed_demo(settings)``
    What ``localjustice demo`` adds: the register, leads, a few updates and one approved pack.
"""

from localjustice.governance.commitments import (
    CommitmentStatus,
    UpdateForm,
    as_commitment,
    assign_lead,
    get_row,
    history,
    record_update,
    register_status,
    seed_register,
)
from localjustice.governance.demo import seed_demo
from localjustice.governance.errors import Conflict, GovernanceError, Invalid, NotAllowed, NotFound
from localjustice.governance.evidence import Published, evaluation_result, trend
from localjustice.governance.models import PROGRESS, CommitmentUpdate, Decision, Pack, PackApproval
from localjustice.governance.pack import (
    approvals,
    approve,
    decisions,
    draft_pack,
    get_pack,
    latest_approved,
    load_pack_rules,
    quarter_bounds,
    record_decision,
    visible_packs,
)
from localjustice.governance.rag import Rag

__all__ = [
    "PROGRESS",
    "CommitmentStatus",
    "CommitmentUpdate",
    "Conflict",
    "Decision",
    "GovernanceError",
    "Invalid",
    "NotAllowed",
    "NotFound",
    "Pack",
    "PackApproval",
    "Published",
    "Rag",
    "UpdateForm",
    "approvals",
    "approve",
    "as_commitment",
    "assign_lead",
    "decisions",
    "draft_pack",
    "evaluation_result",
    "get_pack",
    "get_row",
    "history",
    "latest_approved",
    "load_pack_rules",
    "quarter_bounds",
    "record_decision",
    "record_update",
    "register_status",
    "seed_demo",
    "seed_register",
    "trend",
    "visible_packs",
]
