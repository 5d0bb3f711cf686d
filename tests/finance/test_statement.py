"""Deal statements worked by hand: the payment rule at, below and above the threshold, the cap,
the upfront model's clawback, and the errors a bad deal file gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from localjustice.finance.deals import DealError, find_deal, load_deal
from localjustice.finance.statement import payment, period_statement

LJRP = dict(threshold_pct=5.0, share_at_threshold=0.5, share_above_threshold=1.0, cap_pct=20.0)


def test_threshold_just_met_pays_half_the_savings_to_it() -> None:
    # 1,000 nights at £100 = £100,000; 950 nights is a 5% fall: half of £5,000.
    paid = payment(5.0, 100_000.0, **LJRP)
    assert paid.threshold_met and paid.payment == pytest.approx(2_500.0)


def test_threshold_just_missed_pays_nothing() -> None:
    paid = payment(4.99, 100_000.0, **LJRP)
    assert not paid.threshold_met and paid.payment == 0.0


def test_reduction_beyond_the_threshold_is_paid_in_full_up_to_the_cap() -> None:
    # 12%: half of 5% (£2,500) + all of 7% (£7,000).
    assert payment(12.0, 100_000.0, **LJRP).payment == pytest.approx(9_500.0)
    # 30% is counted as 20%: £2,500 + £15,000.
    assert payment(30.0, 100_000.0, **LJRP).payment == pytest.approx(17_500.0)


def _deal(tmp_path: Path, **overrides: object) -> Path:
    body = {"cohort": '"youth"', "metric": '"custody_bed_nights"', "baseline": '"2023"',
            "test": '["2024"]', "threshold_pct": "10", "share_at_threshold": "0.5",
            "share_above_threshold": "1.0", "cap_pct": "40", "model": '"upfront"',
            "unit_cost": "200", "price_year": '"2023-24"'}
    body.update({k: str(v) for k, v in overrides.items()})
    path = tmp_path / "deal.toml"
    path.write_text("".join(f"{k} = {v}\n" for k, v in body.items() if v != "DROP"),
                    encoding="utf-8")
    return path


def test_upfront_deal_claws_back_when_the_target_is_missed(tmp_path: Path) -> None:
    deal = load_deal(_deal(tmp_path))
    # Baseline 1,000 nights at £200: upfront is half of a 10% fall = £10,000. A 4% fall misses.
    missed = period_statement(deal, "2024", 1000, 960, 1000, 200.0)
    assert missed.upfront == pytest.approx(10_000.0)
    assert not missed.threshold_met
    assert missed.clawback == pytest.approx(10_000.0) and missed.payment == pytest.approx(-10_000)
    assert missed.savings == pytest.approx(8_000.0)
    # A 25% fall: due £10,000 + £30,000; £10,000 already paid, £30,000 more.
    met = period_statement(deal, "2024", 1000, 750, 1000, 200.0)
    assert met.threshold_met and met.clawback == 0.0
    assert met.payment == pytest.approx(30_000.0)


def test_counterfactual_moves_the_reduction(tmp_path: Path) -> None:
    deal = load_deal(_deal(tmp_path, model='"reward"'))
    # Demand fell 20% from the baseline, but the comparator expected 900: an 11.1% reduction.
    line = period_statement(deal, "2024", 1000, 800, 900, 200.0)
    assert line.reduction_pct == pytest.approx(100 * 100 / 900)
    assert line.savings == pytest.approx(100 * 200.0)


@pytest.mark.parametrize(("override", "key"), [
    ({"cohort": "DROP"}, "cohort"),
    ({"cohort": '"men"'}, "cohort"),
    ({"metric": '"arrests"'}, "metric"),
    ({"baseline": '"2023Q5"'}, "baseline"),
    ({"test": '["2022"]'}, "test"),
    ({"model": '"loan"'}, "model"),
    ({"unit_cost": '"gold_place"'}, "unit_cost"),
])
def test_a_bad_deal_file_names_the_file_and_the_key(tmp_path: Path, override: dict[str, str],
                                                    key: str) -> None:
    path = _deal(tmp_path, **override)
    with pytest.raises(DealError) as raised:
        load_deal(path)
    assert str(path) in str(raised.value) and f"'{key}'" in str(raised.value)


def test_shipped_deals_load() -> None:
    assert find_deal("local_justice_reinvestment_pilot").model == "reward"
    pathfinder = find_deal("youth_custody_pathfinder")
    assert pathfinder.model == "upfront" and pathfinder.counterfactual == "projection"
