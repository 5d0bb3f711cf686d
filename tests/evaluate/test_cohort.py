"""Who a programme evaluation analyses, worked by hand on a small analysis zone."""

from __future__ import annotations

from datetime import date

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.evaluate.cohort import analysed_people
from localjustice.evaluate.programmes import check_filter, parse_programmes
from tests.measures.zone import Zone

TTG = parse_programmes("""
[programmes.TTG]
name = "Through the Gate"
commissioner = "MOPAC"
index_event = "release"
joins_within_days = 90
eligibility = ["age_at_index >= 18"]
matching = ["age_at_index", "previous_offences"]
exact = ["sex"]
""")["TTG"]


def participation(zone: Zone, person: str, on: date, code: str = "TTG") -> None:
    zone.event(person, "participation", on, programme_code=code, completed=True)


def build(zone: Zone) -> None:
    # A: released 2019-03-01, joined 10 days later; two convictions before (one of them the
    # custody's own), one breach; reoffends 2019-06-01 (proven 2019-07-01, sent to custody)
    zone.person("A", year_of_birth=1990)
    zone.conviction("A", date(2017, 5, 1), offence_date=date(2017, 4, 1), offence_group="theft")
    zone.conviction("A", date(2018, 1, 10), offence_date=date(2018, 1, 1), offence_group="breach")
    zone.conviction("A", date(2018, 6, 1), offence_date=date(2018, 5, 1), sentence_type="immediate_custody",
                    custody_days=365, offence_group="burglary")
    zone.custody("A", date(2018, 6, 1), date(2019, 3, 1))
    participation(zone, "A", date(2019, 3, 11))
    zone.conviction("A", date(2019, 7, 1), offence_date=date(2019, 6, 1),
                    sentence_type="immediate_custody", custody_days=100)
    # B: released 2019-02-01 but joined 200 days later: not found
    zone.person("B", year_of_birth=1985)
    zone.conviction("B", date(2018, 1, 5), sentence_type="immediate_custody", custody_days=200)
    zone.custody("B", date(2018, 1, 5), date(2019, 2, 1))
    participation(zone, "B", date(2019, 8, 20))
    # C: never took part, released 2019-04-01, first offence 2015-04-01; does not reoffend
    zone.person("C", year_of_birth=1992)
    zone.caution("C", date(2015, 4, 10), offence_date=date(2015, 4, 1))
    zone.conviction("C", date(2018, 9, 1), sentence_type="immediate_custody", custody_days=300)
    zone.custody("C", date(2018, 9, 1), date(2019, 4, 1))
    # D: never took part but is 16 at release: not eligible
    zone.person("D", year_of_birth=2003)
    zone.conviction("D", date(2018, 11, 1), sentence_type="immediate_custody", custody_days=100)
    zone.custody("D", date(2018, 11, 1), date(2019, 5, 1))
    # E: took part, released 2021-06-01: follow-up not complete by the data's end
    zone.person("E", year_of_birth=1980)
    zone.conviction("E", date(2021, 1, 1), sentence_type="immediate_custody", custody_days=200)
    zone.custody("E", date(2021, 1, 1), date(2021, 6, 1))
    participation(zone, "E", date(2021, 6, 5))
    # the data run to the end of 2021
    zone.person("Z", year_of_birth=1970)
    zone.caution("Z", date(2021, 12, 31))


def test_who_is_analysed_and_who_is_not_and_why(zone: Zone) -> None:
    build(zone)
    frame, counts = analysed_people(zone.warehouse, TTG, date(2019, 1, 1), date(2022, 1, 1),
                                    date(2021, 12, 31))
    assert counts.participants == 3
    assert counts.not_found == 1  # B joined 200 days after release
    assert counts.not_followed_up == 1  # E's follow-up runs past the data's end
    assert counts.treated == 1 and counts.pool == 1  # A; C (D is 16)
    rows = {r.person_id: r for r in frame.itertuples()}
    assert set(rows) == {"A", "C"}
    a, c = rows["A"], rows["C"]
    assert a.treated == 1 and c.treated == 0
    assert a.previous_offences == 3 and a.previous_convictions == 3
    assert a.previous_breaches == 1 and a.previous_custody == 1
    assert a.index_offence == "burglary" and a.index_disposal == "Custody"
    assert a.age_at_index == 29
    assert a.years_since_first_offence == pytest.approx((date(2019, 3, 1) - date(2017, 4, 1)).days / 365.25)
    assert a.reoffended == 1 and a.proven_reoffences == 1 and a.custodial_reoffence == 1
    assert a.days_to_first_reoffence == (date(2019, 6, 1) - date(2019, 3, 1)).days
    assert c.previous_offences == 2 and c.reoffended == 0
    assert c.years_since_first_offence == pytest.approx((date(2019, 4, 1) - date(2015, 4, 1)).days / 365.25)


def test_a_reoffence_proven_after_the_waiting_period_does_not_count(zone: Zone) -> None:
    build(zone)
    zone.conviction("C", date(2020, 11, 1), offence_date=date(2020, 3, 1))  # proven > 18 months
    frame, _ = analysed_people(zone.warehouse, TTG, date(2019, 1, 1), date(2022, 1, 1),
                               date(2021, 12, 31))
    assert frame.set_index("person_id").loc["C", "reoffended"] == 0


@pytest.mark.parametrize(("text", "message"), [
    ("age_at_index >= 18; DROP TABLE analysis.event", "is not a condition|uses"),
    ("salary > 3", "names 'salary'"),
    ("lower(sex) = 'f'", "uses LOWER"),
])
def test_a_programme_filter_may_only_compare_cohort_columns(text: str, message: str) -> None:
    with pytest.raises(LocalJusticeError, match=message):
        check_filter("X", text)


def test_a_programme_naming_an_unknown_index_event_is_refused() -> None:
    with pytest.raises(LocalJusticeError, match="no index event 'arrest'"):
        parse_programmes('[programmes.X]\nname="x"\ncommissioner="y"\nindex_event="arrest"\n'
                         'joins_within_days=5\nmatching=["age_at_index"]\n')
