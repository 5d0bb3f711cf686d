"""The CLI's tables print text cells as written: Rich read ``[c]`` (a suppressed cell's marker) as
markup and printed nothing, so a suppressed count read as missing data."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from localjustice.cli_table import Table


def _printed(table: Table) -> str:
    console = Console(width=100, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_square_brackets_in_cells_headers_and_title_are_printed_not_read_as_markup() -> None:
    table = Table(title="Orders [u] of [bold]partner[/]")
    table.add_column("group")
    table.add_column("rate [z]")
    table.add_row("Male", "[c]")
    table.add_row("[red]Female[/red]", "[u]")
    printed = _printed(table)
    assert "Orders [u] of [bold]partner[/]" in printed
    assert "rate [z]" in printed
    assert "[c]" in printed and "[u]" in printed
    assert "[red]Female[/red]" in printed


def test_a_cell_passed_as_text_keeps_its_style() -> None:
    table = Table()
    table.add_column("what")
    table.add_row(Text("total", style="bold"))
    console = Console(width=40, record=True, color_system="standard", force_terminal=True)
    console.print(table)
    assert "\x1b[1mtotal" in console.export_text(styles=True)


def test_control_characters_from_a_partner_are_shown_as_codes_not_sent_to_the_terminal() -> None:
    """A header named with ESC sequences would clear or retitle the steward's terminal."""
    from localjustice.cli_table import escape

    table = Table(title="extra columns")
    table.add_column("name")
    table.add_row("\x1b]0;pwned\x07\x1b[2JEVIL\rX")
    printed = _printed(table)
    assert "\x1b" not in printed and "\x07" not in printed and "\r" not in printed
    assert "\\x1b]0;pwned\\x07\\x1b[2JEVIL\\x0dX" in printed
    assert escape("tab\tand\nline") == "tab\tand\nline"
