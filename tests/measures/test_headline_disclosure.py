"""Disclosure finding: a headline rate revealed a suppressed count.

A measure's headline was copied from its raw figures, so ``women_short_sentences`` printed a
share of 14.3% of 7 sentences beside a suppressed count of 1 (14.3% x 7 = 1), and printed a
count its by-sex table had suppressed as a secondary cell (sentences minus it minus the others
gave a suppressed 2 back). The headline must print what the tables print.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rich.console import Console

from localjustice.measures import (
    LOW_BASE,
    NOT_APPLICABLE,
    SUPPRESSED,
    MeasureResult,
    MeasureTable,
    compute_measure,
    measure_names,
    parse_period,
    publish_measure,
    published_measure,
    rate_marker,
)
from localjustice.measures.tables import CountColumn
from localjustice.publish.formats import as_rich
from tests.measures.zone import Zone

PERIOD = "2018Q1"


def sentence_women_and_men(zone: Zone, women: tuple[int, int, int], men: tuple[int, int, int]) -> None:
    """(short custody, longer custody, fines) passed on women and on men in 2018Q1."""
    for sex, (short, longer, fines) in (("F", women), ("M", men)):
        for i in range(short + longer + fines):
            person = zone.person(f"{sex}{i}", sex=sex)
            custody = i < short + longer
            zone.conviction(person, date(2018, 2, 1),
                            sentence_type="immediate_custody" if custody else "fine",
                            custody_days=(100 if i < short else 500) if custody else None)


def by_sex_row(body: dict[str, Any], sex: str) -> dict[str, Any]:
    table = next(t for t in body["breakdowns"] if t["name"] == "women_short_sentences_by_sex")
    return next(r for r in table["rows"] if r["category"] == sex)


def test_disclosure_finding_a_headline_share_of_a_suppressed_count_is_withheld(zone: Zone) -> None:
    """Disclosure finding: a headline rate revealed a suppressed count.

    7 women sentenced, 1 to short custody: the count is suppressed, so the share (14.3%) is
    withheld as [c], never printed as a number or as zero, in JSON and in the console table."""
    sentence_women_and_men(zone, women=(1, 0, 6), men=(10, 0, 30))
    measure = published_measure(zone.warehouse, "women_short_sentences", PERIOD)
    body = measure.as_json()
    assert body["women_sentences"] == 7 and body["women_short_custody"] == SUPPRESSED
    assert body["women_short_share"] == SUPPRESSED
    console = Console(width=250, record=True)
    console.print(as_rich(measure))
    text = " ".join(console.export_text().split())
    assert "women short share: [c]" in text and "14.3" not in text
    # the men's figures are printed, and are the by-sex row's
    assert (body["men_sentences"], body["men_short_custody"], body["men_short_share"]) == (40, 10, 25.0)


def test_disclosure_finding_a_headline_count_suppressed_in_its_table_is_suppressed(zone: Zone) -> None:
    """Disclosure finding: a headline rate revealed a suppressed count.

    40 women: 10 short custody, 2 longer, 28 fines. The by-sex table suppresses the 2 and, as its
    secondary cell, the 10 (else 40 - 10 - 28 = 2). The headline printed 10 and 25.0%; it must
    print each figure exactly as the by-sex row does."""
    sentence_women_and_men(zone, women=(10, 2, 28), men=(12, 8, 40))
    body = published_measure(zone.warehouse, "women_short_sentences", PERIOD).as_json()
    for sex, key in (("Female", "women"), ("Male", "men")):
        row = by_sex_row(body, sex)
        assert [body[f"{key}_{c}"] for c in ("sentences", "short_custody", "short_share")] == [
            row[c] for c in ("sentences", "short_custody", "short_share")]
    female = by_sex_row(body, "Female")
    assert female["longer_custody"] == SUPPRESSED and female["short_custody"] == SUPPRESSED
    assert body["women_short_custody"] == SUPPRESSED and body["women_short_share"] == SUPPRESSED


def test_every_measures_headline_is_its_published_cells(zone: Zone) -> None:
    """Disclosure finding: a headline rate revealed a suppressed count.

    On a zone with small counts everywhere, no measure's headline prints a number where the
    tables print a marker: each headline figure equals a printed Total cell or its own cell."""
    sentence_women_and_men(zone, women=(1, 2, 6), men=(3, 1, 30))
    for name in measure_names():
        result = compute_measure(zone.warehouse, name, PERIOD)
        body = publish_measure(result).as_json()
        rows = {(t["name"], r["category"]): r for t in body["breakdowns"] for r in t["rows"]}
        totals = next((r for (_, c), r in rows.items() if c == "Total"), {})
        for key in result.headline:
            cell = result.headline_cells.get(key)
            expected = rows[(cell.table, cell.category)][cell.column] if cell and (
                cell.table, cell.category) in rows else totals.get(key, body[key])
            assert body[key] == expected, (name, key)
            if isinstance(body[key], int) and not isinstance(body[key], bool):
                assert not 1 <= body[key] <= 4, (name, key)  # a count of 1 to 4 is never printed


def test_the_rate_rule_by_hand() -> None:
    """Rule 3 as one function, worked by hand: 1 of 7 is [c]; 10 of 29 is [u]; 10 of 30 prints."""
    assert rate_marker(1, 7) == SUPPRESSED
    assert rate_marker(SUPPRESSED, 40) == SUPPRESSED
    assert rate_marker(12, SUPPRESSED) == SUPPRESSED
    assert rate_marker(10, 29) == LOW_BASE
    assert rate_marker(10, 30) is None
    assert rate_marker(10, 40, min_base=50) == LOW_BASE
    assert rate_marker(0, 0) == NOT_APPLICABLE
    assert rate_marker(0, 45) is None


def test_a_headline_number_traced_to_no_printed_cell_is_refused() -> None:
    """A headline figure disclosure control cannot check is an error, not a guess."""
    counts = (CountColumn("n", "N"),)
    table = MeasureTable("t", "t", "category", "Group", counts,
                         rows=[{"category": "A", "n": 40}], total={"category": "Total", "n": 40})
    result = MeasureResult("m", "m", parse_period(PERIOD), {"n": 40, "share_of_a": 14.3},
                           [table], "")
    with pytest.raises(RuntimeError, match="share_of_a"):
        publish_measure(result)
    assert publish_measure(result, unsuppressed=True).headline["share_of_a"] == 14.3
