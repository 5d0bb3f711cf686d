"""Each source records people with the kinds of noise real extracts have, at plausible rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from localjustice.contract import load_contract, pnc_check_letter
from localjustice.synth import SynthSummary
from localjustice.synth.identity import pnc_check_letters, typo
from localjustice.synth.names import nickname_pairs
from tests.synth.contract_rules import pnc_pattern, read_delivery


@pytest.fixture(scope="module")
def registrations(clean_delivery: tuple[Path, SynthSummary]) -> pd.DataFrame:
    """One row per (source, source_person_id) with its recorded and true identity."""
    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    people = pd.read_parquet(out / "truth" / "people.parquet")
    parts = []
    for extract in load_contract().person_bearing_files:
        table = read_delivery(out / "delivery")[extract.name]
        parts.append(table.drop_duplicates("source_person_id").assign(source=extract.name))
    recorded = pd.concat(parts, ignore_index=True)
    recorded = recorded.merge(person_map, on=["source", "source_person_id"])
    return recorded.merge(people, on="true_person_id", suffixes=("", "_true"))


def _share(mask: pd.Series) -> float:
    return float(mask.mean())


def test_names_have_typos_nicknames_and_swaps(registrations: pd.DataFrame) -> None:
    r = registrations
    fore, sur = r["forename"].str.lower(), r["surname"].str.lower()
    true_fore, true_sur = r["forename_true"].str.lower(), r["surname_true"].str.lower()
    swapped = (fore == true_sur) & (sur == true_fore) & (true_fore != true_sur)
    known = {(f.lower(), n.lower()) for f, n in nickname_pairs()}
    nickname = pd.Series([(t, f) in known for t, f in zip(true_fore, fore, strict=True)], index=r.index)
    typo_like = (fore != true_fore) & ~swapped & ~nickname & (fore.str[0] == true_fore.str[0])
    assert 0.003 <= _share(swapped) <= 0.03
    assert 0.005 <= _share(nickname) <= 0.08
    assert 0.01 <= _share(typo_like) <= 0.06
    assert 0.01 <= _share((sur != true_sur) & ~swapped) <= 0.06


def test_dates_of_birth_sometimes_have_day_and_month_transposed(registrations: pd.DataFrame) -> None:
    r = registrations
    truth = r["date_of_birth_true"]
    transposed = truth.str.slice(0, 5) + truth.str.slice(8, 10) + "-" + truth.str.slice(5, 7)
    share = _share((r["date_of_birth"] == transposed) & (r["date_of_birth"] != truth))
    assert 0.005 <= share <= 0.04
    assert _share(r["date_of_birth"] == truth) > 0.95


def test_pnc_ids_are_held_by_justice_agencies_never_by_victims_services(registrations: pd.DataFrame) -> None:
    held = registrations.assign(has=registrations["pnc_id"] != "").groupby("source")["has"].mean()
    assert held["police_victims"] == 0 and held["victim_referrals"] == 0
    for source in ("police_disposals", "court_outcomes", "prison_custody"):
        assert held[source] > 0.75, source
    assert 0.25 < held["probation_supervision"] < 0.65


def test_some_pnc_ids_are_mistyped_so_their_check_letter_fails(registrations: pd.DataFrame) -> None:
    pnc = registrations.loc[registrations["pnc_id"] != "", "pnc_id"]
    assert pnc.str.match(pnc_pattern()).all()
    expected = [pnc_check_letter(int(p[:4]), int(p[5:12])) for p in pnc]
    failing = _share(pd.Series([p[-1] != e for p, e in zip(pnc, expected, strict=True)]))
    assert 0.005 <= failing <= 0.05


def test_the_same_person_sometimes_has_two_ids_in_one_source(
        registrations: pd.DataFrame, clean_delivery: tuple[Path, SynthSummary]) -> None:
    """As often as the generator's rule says, worked out from the data's own record counts: a
    person's registration in a source is doubled with probability ``duplicate_id``, and then each
    of their n records takes the second id with probability 1/2, so they show two ids with
    probability ``duplicate_id * (1 - 0.5 ** (n - 1))``. (A fixed band, 0.002 to 0.03, failed
    whenever unrelated changes moved the share of people with one record.)"""
    from localjustice.synth.parameters import load_parameters

    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    parts = [read_delivery(out / "delivery")[e.name][["source_person_id"]].assign(source=e.name)
             for e in load_contract().person_bearing_files]
    records = pd.concat(parts).merge(person_map, on=["source", "source_person_id"])
    n = records.groupby(["source", "true_person_id"]).size()
    chance = load_parameters().section("noise")["duplicate_id"] * (1 - 0.5 ** (n - 1))
    ids_per_person = registrations.groupby(["source", "true_person_id"]).size()
    observed = float((ids_per_person.reindex(n.index, fill_value=1) > 1).mean())
    expected = float(chance.mean())
    spread = float(np.sqrt((chance * (1 - chance)).sum())) / len(n)
    assert observed > 0
    assert abs(observed - expected) <= 4 * spread, (observed, expected, spread)


def test_postcodes_change_after_moves_and_are_sometimes_missing(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    parts = []
    for extract in load_contract().person_bearing_files:
        table = read_delivery(out / "delivery")[extract.name].assign(source=extract.name)
        parts.append(table[["source", "source_person_id", "postcode"]])
    rows = pd.concat(parts).merge(person_map, on=["source", "source_person_id"])
    assert 0.02 <= _share(rows["postcode"] == "") <= 0.12
    normal = rows.loc[rows["postcode"] != "", "postcode"].str.upper().str.replace(" ", "")
    distinct = rows.loc[normal.index].assign(pc=normal).groupby("true_person_id")["pc"].nunique()
    assert (distinct > 1).sum() > 0


def test_ethnicity_is_the_persons_own_or_not_stated(registrations: pd.DataFrame) -> None:
    r = registrations
    same = r["ethnicity"] == r["ethnicity_true"]
    not_stated = r["ethnicity"] == "NS"
    same_group = r["ethnicity"].str[0] == r["ethnicity_true"].str[0]
    assert _share(same) > 0.9
    assert 0.02 <= _share(not_stated) <= 0.12
    assert (same | not_stated | same_group).all()


def test_vectorised_pnc_check_letters_agree_with_the_contract() -> None:
    years = np.array([1998, 2005, 2018, 2019, 2020])
    serials = np.array([1, 1234567, 9999999, 42, 7654321])
    letters = pnc_check_letters(years, serials)
    assert list(letters) == [pnc_check_letter(int(y), int(s)) for y, s in zip(years, serials, strict=True)]


def test_a_typo_is_one_keystroke_and_keeps_the_first_letter() -> None:
    names = np.array(["Jonathan", "Okonkwo", "Smith", "Li"] * 50)
    changed = typo(names, np.random.default_rng(0))
    assert all(c[0] == n[0] for c, n in zip(changed, names, strict=True))
    assert all(abs(len(c) - len(n)) <= 1 for c, n in zip(changed, names, strict=True))
    assert (changed[names == "Li"] == "Li").all()
    assert (changed != names).mean() > 0.6
