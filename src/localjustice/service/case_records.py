"""Statements that read one case's records, built once for every case read (``:case_id``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, exists, select


def of_case(model: Any, *order: Any) -> Select[Any]:
    """The case's rows of ``model``, in ``order``."""
    return select(model).where(model.case_id == bindparam("case_id")).order_by(*order)


def presence(models: dict[str, Any], prefix: str = "") -> list[Any]:
    """Columns saying, for each named model, whether the case has any of its rows (labelled
    ``prefix`` + name).

    Most cases have none of most kinds of record (court dates, expenses, flags...): asking once
    which kinds it has, then reading only those, is one query where there were a dozen, on every
    case read. The columns go into the statement that reads the case itself, so the asking costs
    no statement of its own (each statement costs the server more CPU than its rows). The rows
    read are the same, in the same transaction.
    """
    return [exists().where(model.case_id == bindparam("case_id")).label(prefix + name)
            for name, model in models.items()]


def present_in(row: Mapping[Any, Any], models: dict[str, Any], prefix: str = "") -> dict[str, bool]:
    """Which of ``models`` the case has, read back from a row holding ``presence``'s columns."""
    return {name: bool(row[prefix + name]) for name in models}
