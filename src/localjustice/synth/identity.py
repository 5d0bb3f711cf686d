"""How each source records a person: its own ids and its own mistakes.

No key is shared across sources. Each source gives each person its own id (occasionally two, so
within-source de-duplication is needed) and records their identity once per id, with noise at
the rates in ``calibration.toml`` ``[noise]``: typos, nicknames, swapped forename and surname,
day and month of birth transposed, dropped middle names, ethnicity not stated, PNC ids missing or
mistyped (a mistyped id keeps the ``YYYY/NNNNNNNL`` format but fails its check letter), and the
postcode of wherever the person lived on the day of the record (moves change it). All of it is
array work over the source's people; no loop visits a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.area import Area
from localjustice.contract import PNC_CHECK_LETTERS
from localjustice.synth.calendar import TEN_YEARS_SAFE, iso, year_of
from localjustice.synth.names import forenames, nicknames, postcode_districts, surnames
from localjustice.synth.parameters import Parameters
from localjustice.synth.population import People

StrArray = NDArray[np.str_]
IntArray = NDArray[np.int64]
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
#: Postcode unit letters (the inward code never uses C, I, K, M, O or V).
_UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))


def _digits(numbers: IntArray, width: int) -> StrArray:
    return np.strings.zfill(numbers.astype(str), width)


def _prefixed(prefix: str, width: int) -> Callable[[IntArray], StrArray]:
    return lambda numbers: np.strings.add(prefix, _digits(numbers, width))


def _prison_number(numbers: IntArray) -> StrArray:
    """NOMIS-style prison number: letter, four digits, two letters (e.g. ``A1234BC``)."""
    head = _LETTERS[numbers % 26]
    body = _digits((numbers // 26) % 10_000, 4)
    tail = np.strings.add(_LETTERS[(numbers // 260_000) % 26], _LETTERS[(numbers // 6_760_000) % 26])
    return np.strings.add(np.strings.add(head, body), tail)


def _case_reference(numbers: IntArray) -> StrArray:
    """Probation case reference number style: letter and six digits."""
    return np.strings.add(_LETTERS[numbers % 26], _digits((numbers // 26) % 1_000_000, 6))


#: Each source's own person-id format and the size of its id space.
SOURCE_IDS: dict[str, tuple[Callable[[IntArray], StrArray], int]] = {
    "police_victims": (_prefixed("PV", 9), 10**9),
    "police_disposals": (_prefixed("PD", 9), 10**9),
    "court_outcomes": (_prefixed("DF", 9), 10**9),
    "prison_custody": (_prison_number, 26 * 10_000 * 26 * 26),
    "probation_supervision": (_case_reference, 26 * 1_000_000),
    "electronic_monitoring": (_prefixed("EM", 8), 10**8),
    "victim_referrals": (_prefixed("VS", 8), 10**8),
    "programme_participants": (_prefixed("PP", 8), 10**8),
}


def pnc_check_letters(year: IntArray, serial: IntArray) -> StrArray:
    """``contract.pnc_check_letter`` over arrays (same rule, same letters)."""
    letters: StrArray = np.array(list(PNC_CHECK_LETTERS))
    checked: StrArray = letters[((year % 100) * 10_000_000 + serial) % 23]
    return checked


def typo(names: StrArray, rng: np.random.Generator) -> StrArray:
    """One keying error per name: substitute, delete, transpose or double a letter.

    Works on the names as a matrix of code points; the first letter is kept (as most real
    typos do) and names shorter than three letters are left alone.
    """
    n = len(names)
    if n == 0:
        return names
    width = int(np.strings.str_len(names).max()) + 2
    text = names.astype(f"U{width}")
    codes = text.view(np.uint32).reshape(n, width).copy()
    length = np.strings.str_len(text)
    rows = np.arange(n)
    cols = np.arange(width)[None, :]
    pos = 1 + (rng.random(n) * np.maximum(length - 1, 1)).astype(np.int64)
    pos = np.minimum(pos, np.maximum(length - 1, 0))
    upper = codes[rows, 0] < ord("a")
    letter = rng.integers(0, 26, n) + np.where(upper & (codes[rows, pos] < ord("a")), ord("A"), ord("a"))

    substituted = codes.copy()
    substituted[rows, pos] = letter
    deleted = np.take_along_axis(codes, np.minimum(cols + (cols >= pos[:, None]), width - 1), axis=1)
    doubled = np.take_along_axis(codes, np.maximum(cols - (cols > pos[:, None]), 0), axis=1)
    tpos = np.clip(np.minimum(pos, length - 2), 0, None)
    transposed = codes.copy()
    transposed[rows, tpos] = codes[rows, tpos + 1]
    transposed[rows, tpos + 1] = codes[rows, tpos]

    op = rng.integers(0, 4, n)[:, None]
    changed = np.where(
        op == 0, substituted, np.where(op == 1, deleted, np.where(op == 2, transposed, doubled))
    )
    changed = np.where((length >= 3)[:, None], changed, codes)
    return changed.astype(np.uint32).view(f"U{width}").reshape(n).astype(str)


@dataclass(frozen=True)
class PersonStrings:
    """Addresses and PNC ids of the people who appear anywhere, made once for all sources."""

    persons: IntArray
    home_postcode: StrArray
    moved_postcode: StrArray
    pnc: StrArray

    def position(self, person: IntArray) -> IntArray:
        return np.searchsorted(self.persons, person)


def _postcodes(rng: np.random.Generator, borough: IntArray, area: Area) -> StrArray:
    districts = postcode_districts()
    codes = [la.code for la in area.local_authorities]
    out = np.zeros(len(borough), dtype="U8")
    for b, code in enumerate(codes):
        who = np.flatnonzero(borough == b)
        options = np.array(districts[code])
        outward = options[rng.integers(0, len(options), len(who))]
        sector = rng.integers(0, 10, len(who)).astype(str)
        unit = np.strings.add(
            _UNIT_LETTERS[rng.integers(0, len(_UNIT_LETTERS), len(who))],
            _UNIT_LETTERS[rng.integers(0, len(_UNIT_LETTERS), len(who))],
        )
        out[who] = np.strings.add(np.strings.add(outward, " "), np.strings.add(sector, unit))
    return out


def person_strings(
    persons: IntArray, first_charge_day: IntArray, people: People, area: Area, rng: np.random.Generator
) -> PersonStrings:
    """Postcodes for both addresses and a PNC id for everyone ever charged or cautioned.

    ``first_charge_day`` is aligned with ``persons`` (-1 when never charged); the PNC id's year is
    the year of that first charge, its serial is random and unique.
    """
    persons = np.asarray(persons, dtype=np.int64)
    home = _postcodes(rng, people.home_borough[persons], area)
    moved = _postcodes(rng, people.new_borough[persons], area)
    has_pnc = first_charge_day >= 0
    year = year_of(np.where(has_pnc, first_charge_day, 0))
    serial = rng.choice(10_000_000, size=len(persons), replace=False)
    pnc = np.strings.add(
        np.strings.add(year.astype(str), "/"),
        np.strings.add(_digits(serial, 7), pnc_check_letters(year, serial)),
    )
    return PersonStrings(
        persons=persons, home_postcode=home, moved_postcode=moved, pnc=np.where(has_pnc, pnc, "")
    )


def _dob_noise(
    dob: IntArray, min_event: IntArray, noise: dict[str, float], rng: np.random.Generator
) -> IntArray:
    """Day and month transposed, or the year out by one; never making a record's age < 10."""
    n = len(dob)
    as_date = dob.astype("datetime64[D]")
    year = as_date.astype("datetime64[Y]")
    month = as_date.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (as_date - as_date.astype("datetime64[M]")).astype(np.int64) + 1
    swappable = (day <= 12) & (day != month)
    swap = swappable & (rng.random(n) < noise["dob_day_month_swapped"] / 0.35)
    # about 35% of birthdays can be transposed, so the rate is corrected to apply to all people
    swapped = (year.astype("datetime64[M]") + (day - 1)).astype("datetime64[D]") + (month - 1)
    shift = ~swap & (rng.random(n) < noise["dob_other_error"])
    step = np.where(rng.random(n) < 0.5, -12, 12)
    shifted = (as_date.astype("datetime64[M]") + step).astype("datetime64[D]") + (day - 1)
    out = np.where(swap, swapped, np.where(shift, shifted, as_date)).astype(np.int64)
    return np.where(min_event - out >= TEN_YEARS_SAFE, out, dob)


def _ethnicity_noise(ethnicity: StrArray, noise: dict[str, float], rng: np.random.Generator) -> StrArray:
    n = len(ethnicity)
    out = ethnicity.copy()
    other = rng.random(n) < noise["ethnicity_other_code"]
    letter = np.strings.slice(ethnicity, 0, 1)
    for head in np.unique(letter):
        members = np.unique(ethnicity[letter == head])
        who = np.flatnonzero(other & (letter == head))
        if len(members) > 1:
            out[who] = members[rng.integers(0, len(members), len(who))]
    return np.where(rng.random(n) < noise["ethnicity_not_stated"], "NS", out)


def _pnc_mistype(pnc: StrArray, rng: np.random.Generator) -> StrArray:
    """Change one serial digit: the format survives, the check letter (almost always) fails."""
    n = len(pnc)
    if n == 0:
        return pnc
    codes = pnc.astype("U13").view(np.uint32).reshape(n, 13).copy()
    pos = rng.integers(5, 12, n)
    rows = np.arange(n)
    old = codes[rows, pos] - ord("0")
    codes[rows, pos] = ord("0") + (old + rng.integers(1, 10, n)) % 10
    return codes.view("U13").reshape(n).astype(str)


def source_identities(
    source: str,
    person: IntArray,
    event_day: IntArray,
    people: People,
    strings: PersonStrings,
    area: Area,
    params: Parameters,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Identity columns for every record of a source, plus ``true_person`` (kept for the truth)."""
    noise = params.section("noise")
    format_id, id_space = SOURCE_IDS[source]
    people_here, record_person = np.unique(person, return_inverse=True)
    k = len(people_here)
    numbers = rng.choice(id_space, size=2 * k, replace=False)
    duplicated = rng.random(k) < noise["duplicate_id"]
    use_second = duplicated[record_person] & (rng.random(len(person)) < 0.5)
    registration = record_person * 2 + use_second
    regs, record_reg = np.unique(registration, return_inverse=True)
    reg_person = people_here[regs // 2]
    r = len(regs)
    min_event = np.full(r, np.iinfo(np.int64).max)
    np.minimum.at(min_event, record_reg, event_day)

    fn_index = people.forename[reg_person]
    forename = forenames().names[fn_index].astype(object).astype(str)
    nick = nicknames()
    use_nick = (nick.count[fn_index] > 0) & (rng.random(r) < noise["nickname"])
    pick = nick.start[fn_index] + (rng.random(r) * np.maximum(nick.count[fn_index], 1)).astype(np.int64)
    forename = np.where(use_nick, nick.names[np.minimum(pick, len(nick.names) - 1)], forename)
    surname = surnames().names[people.surname[reg_person]].astype(str)
    fn_typo = rng.random(r) < noise["forename_typo"]
    forename[fn_typo] = typo(forename[fn_typo], rng)
    sn_typo = rng.random(r) < noise["surname_typo"]
    surname[sn_typo] = typo(surname[sn_typo], rng)
    if params.section("noise")["upper_case_surname"].get(source, False):
        surname = np.strings.upper(surname)
    swap = rng.random(r) < noise["swapped_names"]
    forename, surname = np.where(swap, surname, forename), np.where(swap, forename, surname)
    middle_index = people.middle_name[reg_person]
    keep_middle = (middle_index >= 0) & (rng.random(r) >= noise["middle_name_dropped"])
    middle = np.where(keep_middle, forenames().names[np.maximum(middle_index, 0)], "")

    dob = _dob_noise(people.birth_day[reg_person], min_event, noise, rng)
    sex = np.where(rng.random(r) < noise["sex_unknown"], "U", people.sex[reg_person])
    ethnicity = _ethnicity_noise(people.ethnicity[reg_person], noise, rng)
    at = strings.position(reg_person)
    present = rng.random(r) < params.section("noise")["pnc_present"].get(source, 0.0)
    pnc = np.where(present, strings.pnc[at], "")
    mistyped = (pnc != "") & (rng.random(r) < noise["pnc_mistyped"])
    pnc[mistyped] = _pnc_mistype(pnc[mistyped], rng)
    lower_case = rng.random(r) < 0.1
    no_space = rng.random(r) < 0.1

    record_at = at[record_reg]
    moved = event_day >= people.moved_day[person]
    postcode = np.where(moved, strings.moved_postcode[record_at], strings.home_postcode[record_at])
    postcode = np.where(lower_case[record_reg], np.strings.lower(postcode), postcode)
    postcode = np.where(no_space[record_reg], np.strings.replace(postcode, " ", ""), postcode)
    missing = rng.random(len(person)) < noise["postcode_missing"]
    postcode = np.where(missing, "", postcode)
    borough_codes = np.array([la.code for la in area.local_authorities])
    borough = borough_codes[people.borough_on(person, event_day)]
    borough = np.where(missing & (rng.random(len(person)) < 0.5), "", borough)

    return pd.DataFrame(
        {
            "source_person_id": format_id(numbers[registration].astype(np.int64)),
            "pnc_id": pnc[record_reg],
            "forename": forename[record_reg],
            "middle_names": middle[record_reg],
            "surname": surname[record_reg],
            "date_of_birth": iso(dob[record_reg]),
            "sex": sex[record_reg],
            "ethnicity": ethnicity[record_reg],
            "postcode": postcode,
            "borough_code": borough,
            "true_person": person,
        }
    )
