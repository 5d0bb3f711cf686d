"""Statements that read one case's records, built once for every case read (``:case_id``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, exists, select


def of_case(model: Any, *order: Any) -> Select[Any]:
    """The case's rows of ``model``, in ``order``."""
    return select(model).where(model.case_id == bindparam("case_id")).order_by(*order)


def records_present(models: dict[str, Any]) -> Select[Any]:
    """One row saying, for each named model, whether the case has any of its rows.

    Most cases have none of most kinds of record (court dates, expenses, flags...): asking once
    which kinds it has, then reading only those, is one query where there were a dozen, on every
    case read. The rows read are the same, in the same transaction.
    """
    columns: list[Any] = [exists().where(model.case_id == bindparam("case_id")).label(name)
                          for name, model in models.items()]
    return select(*columns)
