"""A cell is read as the contract says: trimmed, and empty means missing (``ingest.sql.value``).

``value`` skips ``TRIM`` for cells with nothing to trim, for speed; it must give what ``TRIM``
gives for every cell. Each form below puts every Unicode code point at the start or the end of a
cell, alone, doubled, or behind a character that DuckDB groups with the next one into a single
grapheme (U+0600, a "prepend" character), so that a test for the last character by grapheme
instead of by code point would fail.
"""

from __future__ import annotations

import duckdb
import pytest

from localjustice.ingest.sql import SPACE_SEPARATORS, value

FORMS = ["chr(cp)", "chr(cp) || 'a'", "'a' || chr(cp)", "'ab' || chr(cp) || chr(cp)",
         "'a' || chr(1536) || chr(cp)", "chr(cp) || chr(769) || ' '", "' ' || chr(cp) || ' '"]


@pytest.mark.parametrize("form", FORMS)
def test_a_cell_reads_as_trim_gives_it_for_every_code_point(form: str) -> None:
    con = duckdb.connect()
    cell = form.replace("cp", "CAST(cp AS INTEGER)")
    differing, cells = con.execute(f"""
        SELECT count(*) FILTER (WHERE {value('x')} IS DISTINCT FROM NULLIF(TRIM(x), '')),
               count(*)
        FROM (SELECT {cell} AS x FROM range(1, 1114112) AS t(cp)
              WHERE cp < 55296 OR cp > 57343)""").fetchone()  # type: ignore[misc]
    assert cells == 1_112_063  # every code point but the surrogates
    assert differing == 0


def test_the_space_separators_are_what_trim_removes() -> None:
    con = duckdb.connect()
    trimmed = con.execute("""SELECT list(cp ORDER BY cp) FROM range(1, 1114112) AS t(cp)
        WHERE (cp < 55296 OR cp > 57343)
          AND length(trim(chr(CAST(cp AS INTEGER)) || 'a' || chr(CAST(cp AS INTEGER)))) = 1
        """).fetchone()[0]  # type: ignore[index]
    assert tuple(trimmed) == SPACE_SEPARATORS


@pytest.mark.parametrize(("cell", "expected"), [
    ("", None), ("   ", None), (" a ", "a"), ("a", "a"), ("\u00a0a\u3000", "a"), ("\ta", "\ta"),
    ("Zoë ", "Zoë"), ("Zoë", "Zoë"), (None, None)])
def test_hand_picked_cells(cell: str | None, expected: str | None) -> None:
    con = duckdb.connect()
    got = con.execute(f"SELECT {value('x')} FROM (SELECT CAST(? AS VARCHAR) AS x)",
                      [cell]).fetchone()[0]  # type: ignore[index]
    assert got == expected
