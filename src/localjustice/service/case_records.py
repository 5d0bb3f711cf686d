"""Statements that read one case's records, built once for every case read (``:case_id``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, exists, select

from localjustice.service.models import Case


def of_case(model: Any, *order: Any) -> Select[Any]:
    """The case's rows of ``model``, in ``order``."""
    return select(model).where(model.case_id == bindparam("case_id")).order_by(*order)


@functools.cache
def with_case_for_change(model: Any) -> Select[Any]:
    """A record of ``model`` by id (``:record_id``) with its case, the case's row locked (``FOR
    UPDATE OF`` the case alone, as a change to the case locks it), in one statement where reading
    the record and then locking its case were two. The record is read as the case's lock is asked
    for, as it was before: a change still checks the version seen against it."""
    return (select(model, Case).join(Case, Case.id == model.case_id)
            .where(model.id == bindparam("record_id")).with_for_update(of=Case))


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
