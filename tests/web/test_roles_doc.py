"""docs/roles.md is generated from roles.toml and the routes; they must agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from localjustice.errors import LocalJusticeError
from localjustice.web.authorise import route_permissions
from localjustice.web.roles import Permission, load_matrix, render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def test_the_written_matrix_agrees_with_the_data_and_the_routes(app: FastAPI) -> None:
    expected = render_markdown(app.state.matrix, route_permissions(app))
    assert DOC.read_text("utf-8") == expected, \
        "docs/roles.md is stale: python -m localjustice.web.roles > docs/roles.md"


def test_a_permission_showing_the_identity_zone_to_analysts_is_refused() -> None:
    with pytest.raises(LocalJusticeError, match="never see"):
        load_matrix().merged([Permission("people:view", "names", frozenset({"analyst"}), identity_zone=True)])


def test_unknown_roles_and_duplicate_permissions_are_refused() -> None:
    with pytest.raises(LocalJusticeError, match="unknown roles"):
        load_matrix().merged([Permission("x:y", "x", frozenset({"janitor"}))])
    with pytest.raises(LocalJusticeError, match="declared twice"):
        load_matrix().merged([Permission("loads:view", "again", frozenset({"admin"}))])
