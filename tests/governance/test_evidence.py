"""What governance reads from the published outputs: a tied measure is "worse" only when the
dashboard's own rule says so against the previous final period; provisional figures never count;
an evaluation is harmful, beneficial, or missing (refused) as its published report says."""

from __future__ import annotations

from pathlib import Path

from localjustice.governance.evidence import Published, evaluation_result, evidence_for, trend
from localjustice.governance.register import MeasureTie, load_register
from tests.governance.published import write_published


def test_a_measure_moving_the_wrong_way_beyond_its_interval_is_worse_and_inside_it_is_not(
        tmp_path: Path) -> None:
    published = Published.read(write_published(tmp_path / "published"))
    women = trend(published, MeasureTie("women_short_sentences"))
    assert women is not None
    assert women["verdict"] == "Worse"
    assert women["latest"] == "2025 Q4"  # 2026 Q1 is provisional
    assert [p["text"] for p in women["series"]] == ["40.0%", "48.0%"]
    community = trend(published, MeasureTie("community_sentences"))
    assert community is not None and community["verdict"] == "No clear change"
    assert trend(published, MeasureTie("youth_custody")) is None  # not published


def test_evaluations_are_read_as_their_reports_say(tmp_path: Path) -> None:
    published = Published.read(write_published(tmp_path / "published"))
    assert evaluation_result(published, "GPS")["result"] == "harmful"
    assert evaluation_result(published, "TTG")["result"] == "beneficial"
    assert evaluation_result(published, "AAMR")["result"] == "missing"
    assert evaluation_result(published, "WOMEN")["result"] == "missing"


def test_the_register_ties_w1_to_womens_sentences_and_r10_to_gps(tmp_path: Path) -> None:
    published = Published.read(write_published(tmp_path / "published"))
    by_id = {c.id: c for c in load_register()}
    w1 = evidence_for(by_id["W1"], published)
    assert len(w1.measures_worse) == 1 and "48.0%" in w1.measures_worse[0]
    r10 = evidence_for(by_id["R10"], published)
    assert r10.evaluations_harmful and not r10.measures_worse
    assert evidence_for(by_id["R8"], published).measures_worse == ()
