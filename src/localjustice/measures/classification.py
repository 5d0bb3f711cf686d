"""Named classifications shared by the measures: age bands, ethnic groups, sex, borough.

Each is a SQL expression (so grouping happens in the engine) and a label lookup. Every
classification covers every value, with a "not known" category, so a table's rows always add up
to its total, which disclosure control relies on.
"""

from __future__ import annotations

from collections.abc import Sequence

from localjustice.area import load_area

NOT_KNOWN = "Not known"

#: Ministry of Justice, "Guide to proven reoffending statistics", section 4 (breakdowns): the
#: age bands of the proven reoffending tables.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("10-14", 10, 14), ("15-17", 15, 17), ("18-20", 18, 20), ("21-24", 21, 24),
    ("25-29", 25, 29), ("30-34", 30, 34), ("35-39", 35, 39), ("40-44", 40, 44),
    ("45-49", 45, 49), ("50+", 50, None),
)

#: The 2011 Census ethnic group headings (ONS), to which the 16+1 codes of the extract contract
#: roll up; "Not stated" is kept as its own group, as the MoJ's "Statistics on Race and the
#: Criminal Justice System" do.
ETHNIC_GROUPS = {"W": "White", "M": "Mixed", "A": "Asian or Asian British",
                 "B": "Black or Black British", "O": "Chinese or other ethnic group"}
NOT_STATED = "Not stated"
WHITE = ETHNIC_GROUPS["W"]

SEX_LABELS = {"M": "Male", "F": "Female"}
OTHER_SEX = "Other or not known"


def age_band_sql(age: str) -> str:
    branches = " ".join(
        f"WHEN {age} BETWEEN {lo} AND {hi} THEN '{label}'" if hi is not None
        else f"WHEN {age} >= {lo} THEN '{label}'"
        for label, lo, hi in AGE_BANDS
    )
    return f"CASE {branches} ELSE '{NOT_KNOWN}' END"


def adult_juvenile_sql(age: str) -> str:
    """Juvenile 10-17, adult 18 and over, at the index date (MoJ guide, section 4)."""
    return (f"CASE WHEN {age} BETWEEN 10 AND 17 THEN 'Juvenile (10-17)' "
            f"WHEN {age} >= 18 THEN 'Adult (18+)' ELSE '{NOT_KNOWN}' END")


def young_adult_sql(age: str) -> str:
    """The MoU's young adults (18-24) against the rest."""
    return (f"CASE WHEN {age} BETWEEN 18 AND 24 THEN 'Young adults (18-24)' "
            f"WHEN {age} >= 25 THEN 'Adults 25 and over' "
            f"WHEN {age} BETWEEN 10 AND 17 THEN 'Juveniles (10-17)' ELSE '{NOT_KNOWN}' END")


def sex_sql(sex: str) -> str:
    return (f"CASE WHEN {sex} = 'M' THEN '{SEX_LABELS['M']}' WHEN {sex} = 'F' THEN "
            f"'{SEX_LABELS['F']}' ELSE '{OTHER_SEX}' END")


def ethnic_group_sql(ethnicity: str) -> str:
    branches = " ".join(f"WHEN substr({ethnicity}, 1, 1) = '{k}' AND {ethnicity} <> 'NS' "
                        f"THEN '{v}'" for k, v in ETHNIC_GROUPS.items())
    return f"CASE {branches} ELSE '{NOT_STATED}' END"


def borough_sql(code: str, area_slug: str = "london") -> str:
    """The local authority's name when it is in the area, else one "outside or not known" group."""
    area = load_area(area_slug)
    branches = " ".join(f"WHEN {code} = '{la.code}' THEN '{la.name.replace(chr(39), chr(39) * 2)}'"
                        for la in area.local_authorities)
    return f"CASE {branches} ELSE 'Outside {area.name} or not known' END"


def offence_group_label(code: str) -> str:
    return code.replace("_", " ").capitalize() if code else NOT_KNOWN


def offence_group_sql(column: str) -> str:
    return f"coalesce({column}, '{NOT_KNOWN}')"


def full_years_sql(born: str, on: str) -> str:
    """Whole years from ``born`` to ``on``. Someone born on 29 February is taken to turn a year
    older on 1 March in a common year (the anniversary is passed only when 1 March arrives)."""
    return (f"(year({on}) - year({born}) - CASE WHEN month({on}) * 100 + day({on}) "
            f"< month({born}) * 100 + day({born}) THEN 1 ELSE 0 END)")


def age_on_sql(known_age: str, known_on: str, on: str, year_of_birth: str) -> str:
    """Age on ``on`` from the exact age on an earlier day ``known_on`` and the year of birth.

    The analysis zone holds no full date of birth: an event's ``age_at_event`` is exact on its
    own date only. The age on that date and the year of birth say whether the birthday had
    passed by then, which places the birthday before or after that day of the year; that fixes
    the age on ``on`` unless ``on`` falls in the uncertain part of the year, where the birthday is
    taken at the middle of its possible range (so the age can be out by one near a birthday).
    Without a known age, the birthday is taken at 2 July (mid-year).
    """
    a, r, d, y = known_age, known_on, on, year_of_birth
    md_r, md_d = f"(month({r}) * 100 + day({r}))", f"(month({d}) * 100 + day({d}))"
    return f"""CASE
        WHEN {a} = year({r}) - {y} THEN year({d}) - {y} - CASE
            WHEN {md_d} >= {md_r} THEN 0
            WHEN 2 * dayofyear({d}) >= dayofyear({r}) THEN 0 ELSE 1 END
        WHEN {a} = year({r}) - {y} - 1 THEN year({d}) - {y} - CASE
            WHEN {md_d} <= {md_r} THEN 1
            WHEN 2 * dayofyear({d}) >= dayofyear({r}) + 366 THEN 0 ELSE 1 END
        WHEN {a} IS NOT NULL THEN {a} + {full_years_sql(r, d)}
        ELSE {full_years_sql(f"make_date({y}, 7, 2)", d)} END"""


def month_day_sql(day: str) -> str:
    """A day's place in the calendar year as month * 100 + day (1 March = 301)."""
    return f"(month({day}) * 100 + day({day}))"


def birthday_evidence_sql(events: str, persons: str, event_types: Sequence[str]) -> str:
    """What a person's records say of their birthday, one row per person: ``born_after``, the
    latest day of the year (month * 100 + day) of the events on which the birthday had not yet
    come, and ``born_by``, the earliest of those on which it had passed (NULL: no such event).

    An event on day e with age a was on or after the birthday in year(e) if a = year(e) - year of
    birth, so with the person's year of birth y: events implying y (the event's year less the
    age recorded on it) bound the birthday from above (on or before the earliest of them) and
    events implying y + 1 bound it from below (after the latest of them); events implying any
    other year come from a mistyped date of birth and say nothing. ``persons`` is a query giving
    the persons wanted (``person_id``, ``year_of_birth``); ``event_types`` the kinds of event
    whose recorded age is trusted. See ``age_within_bounds_sql``.
    """
    md = month_day_sql("e.event_date")
    implied = "year(e.event_date) - e.age_at_event"
    types = ", ".join(f"'{t}'" for t in event_types)
    return f"""
        SELECT e.person_id,
               max(CASE WHEN {implied} = w.year_of_birth + 1 THEN {md} END) AS born_after,
               min(CASE WHEN {implied} = w.year_of_birth THEN {md} END) AS born_by
        FROM {events} AS e
        JOIN ({persons}) AS w ON w.person_id = e.person_id
        WHERE e.event_type IN ({types}) AND e.age_at_event IS NOT NULL
        GROUP BY e.person_id"""


def age_within_bounds_sql(on: str, year_of_birth: str, born_after: str, born_by: str) -> str:
    """Age on ``on`` for a birthday with ``born_after`` < birthday <= ``born_by`` (month * 100 +
    day; NULL = no bound; see ``birthday_evidence_sql``). Exact when ``on`` falls outside the
    range; inside it the birthday is
    taken at the range's middle, so the age can be out by one only there. NULL when there is no
    bound at all or the bounds contradict each other (sources disagree on the date of birth):
    the caller then falls back on ``age_on_sql``.
    """
    md_d = month_day_sql(on)
    after, by = f"coalesce({born_after}, 0)", f"coalesce({born_by}, 1231)"

    def line(md: str) -> str:
        # A day count through the year (month * 31 + day), for the middle of the range, times
        # 100 so that it needs no integer division (``//`` is DuckDB's, ``DIV`` Spark's).
        return f"(31 * ({md}) + 69 * (({md}) % 100))"

    return f"""CASE
        WHEN {born_after} IS NULL AND {born_by} IS NULL THEN NULL
        WHEN {after} >= {by} THEN NULL
        ELSE year({on}) - {year_of_birth} - CASE
            WHEN {md_d} >= {by} THEN 0
            WHEN {md_d} <= {after} THEN 1
            WHEN 2 * {line(md_d)} >= {line(after)} + {line(by)} THEN 0 ELSE 1 END END"""


def area_codes_sql(area_slug: str = "london") -> str:
    """The area's local authority codes as a SQL list, for ``IN (...)``."""
    return ", ".join(f"'{la.code}'" for la in load_area(area_slug).local_authorities)


def age_classes_sql() -> str:
    """Every age 0-120 with its band, adult/juvenile and young-adult groups, as an inline table.

    Joined on the age rather than computed with CASE: the age is itself an expression, and a
    join evaluates it once where a CASE over ten bands would evaluate it ten times.
    """
    rows = []
    for age in range(121):
        band = next((label for label, lo, hi in AGE_BANDS
                     if age >= lo and (hi is None or age <= hi)), NOT_KNOWN)
        adult = "Juvenile (10-17)" if 10 <= age <= 17 else "Adult (18+)" if age >= 18 else NOT_KNOWN
        young = ("Young adults (18-24)" if 18 <= age <= 24 else "Adults 25 and over" if age >= 25
                 else "Juveniles (10-17)" if age >= 10 else NOT_KNOWN)
        rows.append(f"({age}, '{band}', '{adult}', '{young}')")
    return (f"(VALUES {', '.join(rows)}) AS age_class(age, age_band, adult_juvenile, young_adult)")


def boroughs_sql(area_slug: str = "london") -> str:
    """The area's local authorities as an inline table (code, name)."""
    area = load_area(area_slug)
    rows = ", ".join(f"('{la.code}', '{la.name.replace(chr(39), chr(39) * 2)}')"
                     for la in area.local_authorities)
    return f"(VALUES {rows}) AS area_borough(code, name)"


def outside_area_label(area_slug: str = "london") -> str:
    return f"Outside {load_area(area_slug).name} or not known"
