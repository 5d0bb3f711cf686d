"""Every command's help keeps the defaults and environment variables its options state.

Typer renders help with Rich, which reads ``[...]`` as markup and silently drops a bracketed
``[env: ...]`` or ``[default: ...]`` it does not know as a style; the options' help escapes it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from localjustice.cli import app


def _commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if hasattr(group, "commands"):  # a group (Typer vendors its own click)
        for name, command in group.commands.items():
            found += _commands(command, (*path, name))
    return found


def _stated(command: Any) -> list[str]:
    """The bracketed notes an option's help text states, as written."""
    return [note for p in command.params if p.param_type_name == "option"
            for note in re.findall(r"\[(?:env|default): [^\]]*\]", (p.help or "").replace("\\[", "["))]


ROOT = get_command(app)
COMMANDS = [path for path in _commands(ROOT) if path]
assert len(COMMANDS) > 20, "the command tree was not walked"


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_shows_every_stated_default_and_environment_variable(path: tuple[str, ...]) -> None:
    command: Any = ROOT
    for name in path:
        command = command.commands[name]
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    for note in _stated(command):
        assert " ".join(note.split()) in shown, f"{' '.join(path)}: {note} missing from --help"


def test_the_data_dir_help_names_its_environment_variable() -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "400"})
    assert "[env: LOCALJUSTICE_DATA_DIR; default: ./localjustice-data]" in result.output
