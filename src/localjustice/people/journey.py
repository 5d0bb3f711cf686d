"""One person's journey across agencies: who they are and every event, in time order.

A journey is read from the identity zone (the agencies' current records, with names) through
linkage's map of source persons to persons (``linkage.unit_person``), so each event keeps what the
practitioner needs that the analysis zone drops: the agency's own record, the delivery it arrived
in (``ingest.batch``: partner, delivery, extract date, load time) and the source person it belongs
to. Linkage uncertainty is carried per source person: the strongest link (``linkage.pair``) that
ties it to the rest of the person; below the review ceiling of ``LinkageOptions`` the model was
not sure, and the page marks every event of that record so the practitioner can say "not the
same person" (which queues the pair for a data steward, ``linkage.flag_pair``).

What a role sees is data (``practitioners.toml``): the extracts shown, the disposals hidden (youth
orders are the youth offending team's), and whether victimisations and referrals are shown. The
agency and period filters only mark rows; the identity panel always shows every record's details.
Read in three small reads, each through an index (``linkage/lookups.py``): the person's source persons,
the crimes of their victim records, then every record with its delivery and links in one query
by constants. One query joining the person's units to the extracts scanned them all (0.5-1 s a
page at scale 1; ``benchmarks/bench_people.py``).

Nothing here writes the audit log: ``people.access`` records the view before this is called.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from localjustice.area import load_area
from localjustice.linkage import LinkageOptions
from localjustice.linkage.store import UNIT_PERSON_TABLE
from localjustice.people.practitioners import PractitionerRole
from localjustice.warehouse import Warehouse, current_table

#: Below this, a source person's strongest link into the person was one the model doubted (the
#: linkage review band's ceiling, ``LinkageOptions.review_ceiling``: one rule, one place).
UNCERTAIN_BELOW = LinkageOptions().review_ceiling
AGENCIES = {"police_victims": "Police (victims)", "police_disposals": "Police (disposals)",
            "court_outcomes": "Courts", "prison_custody": "Prisons",
            "probation_supervision": "Probation", "electronic_monitoring": "Electronic monitoring",
            "victim_referrals": "Victim services", "programme_participants": "Programmes"}

_DETAIL = ("offence_group", "disposal_type", "outcome", "sentence_type", "custody_days",
           "requirements", "establishment_code", "custody_type", "youth_estate", "order_type",
           "provider", "termination", "monitoring_type", "violations", "source_order", "role",
           "service", "referrer", "programme_code", "completed")
_TYPES = {"custody_days": "BIGINT", "violations": "BIGINT", "requirements": "VARCHAR[]",
          "completed": "VARCHAR"}
#: Per extract: its record id, event date, end date and its own detail columns.
_SPECS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "police_victims": ("crime_id", "c.committed_date", "NULL", {"offence_group": "c.offence_group",
                                                                  "role": "'victim'"}),
    "police_disposals": ("disposal_id", "t.disposal_date", "NULL", {
        "offence_group": "t.offence_group", "disposal_type": "t.disposal_type"}),
    "court_outcomes": ("outcome_id", "t.outcome_date", "NULL", {
        "offence_group": "t.offence_group", "outcome": "t.outcome", "sentence_type": "t.sentence_type",
        "custody_days": "t.custody_days", "requirements": "t.requirements"}),
    "prison_custody": ("custody_id", "t.reception_date", "t.release_date", {
        "establishment_code": "t.establishment_code", "custody_type": "t.custody_type",
        "youth_estate": "t.youth_estate"}),
    "probation_supervision": ("supervision_id", "t.start_date", "t.end_date", {
        "order_type": "t.order_type", "provider": "t.provider", "termination": "t.termination"}),
    "electronic_monitoring": ("order_id", "t.start_date", "t.end_date", {
        "monitoring_type": "t.monitoring_type", "violations": "t.violations",
        "source_order": "t.source_order"}),
    "victim_referrals": ("referral_id", "t.referral_date", "NULL", {
        "role": "t.role", "service": "t.service", "referrer": "t.referrer"}),
    "programme_participants": ("participation_id", "t.start_date", "t.end_date", {
        "programme_code": "t.programme_code", "completed": "t.completed"}),
}
_CRIMES = "LEFT JOIN crimes AS c ON c.crime_id = t.crime_id"


class JourneyFilters(BaseModel):
    agency: str = ""
    period_from: date | None = None
    period_to: date | None = None


class IdentityRecord(BaseModel):
    """One agency's record of the person: the names and dates it holds (identity zone)."""

    unit_id: str
    agency: str
    forename: str
    surname: str
    date_of_birth: date | None
    postcode: str | None
    link_probability: float | None
    uncertain: bool
    link_partner: str | None


class JourneyEvent(BaseModel):
    unit_id: str
    source: str
    agency: str
    record_id: str
    event_date: date | None
    end_date: date | None
    title: str
    details: list[str]
    delivery: str | None
    arrived: date | None
    extract_date: date | None
    uncertain: bool


class Journey(BaseModel):
    person_id: str
    #: the heading: the name most of the person's records give (``heading_name``)
    name: str
    #: the other spellings the records give, most frequent first
    also_recorded_as: list[str]
    identities: list[IdentityRecord]
    events: list[JourneyEvent]
    #: events the filters hide (the identity panel still lists every record)
    hidden_by_filters: int
    filters: JourneyFilters
    agencies: list[tuple[str, str]]


def _marks(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def _branch(source: str, persons: int) -> str:
    key, start, end, own = _SPECS[source]
    details = ", ".join(f"CAST({own.get(c, 'NULL')} AS {_TYPES.get(c, 'VARCHAR')}) AS {c}"
                        for c in _DETAIL)
    return f"""
        SELECT '{source}:' || t.source_person_id AS unit_id, '{source}' AS source,
               CAST(t.{key} AS VARCHAR) AS record_id, CAST({start} AS DATE) AS event_date,
               CAST({end} AS DATE) AS end_date, t.batch_id, t.forename, t.surname, t.date_of_birth,
               t.postcode, {details}
        FROM {current_table(source)} AS t
        {_CRIMES if source == 'police_victims' else ''}
        WHERE t.source_person_id IN ({_marks(persons)})"""


def person_units(warehouse: Warehouse, person_id: str) -> list[tuple[str, str, str]]:
    """The person's source persons (unit id, extract, source person id): an index read."""
    return [(str(u), str(s), str(p)) for u, s, p in warehouse.execute(
        f"SELECT unit_id, source, source_person_id FROM {UNIT_PERSON_TABLE} WHERE person_id = ? "
        "ORDER BY unit_id", [person_id], step="people: journey units").fetchall()]


def journey_sql(role: PractitionerRole, persons: dict[str, int], crimes: int) -> str:
    """The page's records query: the person's records from the extracts the role sees, each with
    its delivery and its record's strongest link into the person (the role's hidden disposals
    still in: ``_journey_rows`` drops them).

    Every table is read by constants (``?`` lists), not joined to a table of the person's units,
    so DuckDB reads each through its index (``linkage/lookups.py``) instead of scanning it: the unit ids
    (twice: the pairs starting at one, kept where they end at one; materialised, or DuckDB plans
    both lists as one join and scans the pairs), the ``crimes`` victim crime ids, then each extract's source
    person ids, ``persons`` giving how many per extract in ``role.sources`` order."""
    sources = [s for s in role.sources if s in _SPECS and persons.get(s)]
    branches = "\nUNION ALL\n".join(_branch(s, persons[s]) for s in sources)
    units = _marks(sum(persons.values()))
    crime_ids = _marks(crimes) if crimes else "NULL"
    return f"""
        WITH starting AS MATERIALIZED (
            SELECT p.unit_id_l, p.unit_id_r, p.match_probability FROM linkage.pair AS p
            WHERE p.unit_id_l IN ({units})),
        inside AS (SELECT * FROM starting WHERE unit_id_r IN ({units})),
        ends AS (SELECT unit_id_l AS unit_id, unit_id_r AS other, match_probability FROM inside
                 UNION ALL SELECT unit_id_r, unit_id_l, match_probability FROM inside),
        best AS (SELECT unit_id, max(match_probability) AS probability,
                        arg_max(other, match_probability) AS partner
                 FROM ends GROUP BY unit_id),
        crimes AS (SELECT crime_id, min(offence_group) AS offence_group,
                          min(committed_date) AS committed_date
                   FROM {current_table('police_crimes')} WHERE crime_id IN ({crime_ids})
                   GROUP BY crime_id),
        records AS ({branches})
        SELECT r.*, b.probability, b.partner, d.delivery, CAST(d.finished_at AS DATE) AS arrived,
               d.extract_date
        FROM records AS r
        LEFT JOIN best AS b ON b.unit_id = r.unit_id
        LEFT JOIN ingest.batch AS d ON d.batch_id = r.batch_id
        ORDER BY r.event_date NULLS LAST, r.source, r.record_id"""


def _journey_rows(warehouse: Warehouse, person_id: str,
                  role: PractitionerRole) -> tuple[int, list[dict[str, Any]]]:
    """How many source persons linkage gave the person, and the records the role sees: three
    small reads by index (units, victim crime ids, records), not one query that scans."""
    units = person_units(warehouse, person_id)
    by_source: dict[str, list[str]] = {}
    for _, source, source_person in units:
        if source in role.sources and source in _SPECS:
            by_source.setdefault(source, []).append(source_person)
    if not by_source:
        return len(units), []
    victims = by_source.get("police_victims", [])
    crimes = [str(c) for (c,) in warehouse.execute(
        f"SELECT DISTINCT crime_id FROM {current_table('police_victims')} "
        f"WHERE source_person_id IN ({_marks(len(victims))}) ORDER BY crime_id", victims,
        step="people: journey victim crimes").fetchall()] if victims else []
    sources = [s for s in role.sources if s in by_source]
    seen = [u for u, s, _ in units if s in by_source]
    params: list[Any] = [*seen, *seen, *crimes]
    for source in sources:
        params += by_source[source]
    sql = journey_sql(role, {s: len(by_source[s]) for s in sources}, len(crimes))
    rows = warehouse.execute(sql, params, step="people: journey").dicts()
    # the role's hidden disposals are dropped here, from tens of rows: in the query DuckDB pushes
    # the condition into each extract's read, which then scans instead of using the index
    return len(units), [r for r in rows
                        if (r["sentence_type"] or r["disposal_type"] or "") not in role.hidden_sentences]


def _words(code: object) -> str:
    return str(code).replace("_", " ")


def _title_and_details(row: dict[str, Any], in_area: dict[str, tuple[str, bool]]) -> tuple[str, list[str]]:
    source = row["source"]
    details: list[str] = []
    if source == "police_victims":
        return f"Victim of {_words(row['offence_group'] or 'a crime')}", details
    if source == "police_disposals":
        return f"{_words(row['disposal_type']).capitalize()} for {_words(row['offence_group'])}", details
    if source == "court_outcomes":
        title = f"Court: {_words(row['outcome'])} of {_words(row['offence_group'])}"
        if row["sentence_type"]:
            details.append(f"Sentence: {_words(row['sentence_type'])}")
        if row["custody_days"]:
            details.append(f"Custody: {row['custody_days']} days")
        if row["requirements"]:
            details.append("Requirements: " + ", ".join(_words(r) for r in row["requirements"]))
        return title, details
    if source == "prison_custody":
        name, inside = in_area.get(row["establishment_code"], (row["establishment_code"], True))
        title = f"Custody ({_words(row['custody_type'])}) at {name}"
        details.append("In the area" if inside else "Outside the area")
        if row["youth_estate"]:
            details.append(f"Youth estate: {row['youth_estate'].upper()}")
        details.append(f"Released {row['end_date']:%-d %B %Y}" if row["end_date"] else "Not released")
        return title, details
    if source == "probation_supervision":
        title = f"Probation: {_words(row['order_type'])} ({str(row['provider']).upper()})"
        if row["end_date"]:
            details.append(f"Ended {row['end_date']:%-d %B %Y}"
                           + (f": {_words(row['termination'])}" if row["termination"] else ""))
        return title, details
    if source == "electronic_monitoring":
        title = (f"Electronic monitoring: {_words(row['monitoring_type'])} "
                 f"({_words(row['source_order'])} order)")
        details.append(f"Violations: {row['violations']}")
        if row["end_date"]:
            details.append(f"Ended {row['end_date']:%-d %B %Y}")
        return title, details
    if source == "victim_referrals":
        return (f"Referred as a {row['role']} to {_words(row['service'])}",
                [f"Referred by: {_words(row['referrer'])}"])
    completed = {"Y": "completed", "N": "not completed"}.get(str(row["completed"]), "")
    return f"Programme {row['programme_code']}", [completed] if completed else []


def read_journey(warehouse: Warehouse, person_id: str, role: PractitionerRole,
                 filters: JourneyFilters, area: str = "london") -> Journey | None:
    """The person's journey as ``role`` may see it, or ``None`` when linkage knows no such person."""
    count, rows = _journey_rows(warehouse, person_id, role)
    if not rows:
        return None
    in_area = {e.code: (e.name, e.in_area) for e in load_area(area).establishments}
    several = count > 1
    identities: dict[str, IdentityRecord] = {}
    events: list[JourneyEvent] = []
    hidden = 0
    for row in rows:  # one person's records: tens, not a table
        probability = row["probability"]
        uncertain = several and probability is not None and probability < UNCERTAIN_BELOW
        identities.setdefault(row["unit_id"], IdentityRecord(
            unit_id=row["unit_id"], agency=AGENCIES[row["source"]], forename=row["forename"],
            surname=row["surname"], date_of_birth=row["date_of_birth"], postcode=row["postcode"],
            link_probability=probability, uncertain=uncertain, link_partner=row["partner"]))
        if not _passes(row, filters):
            hidden += 1
            continue
        title, details = _title_and_details(row, in_area)
        arrived = row["arrived"]
        events.append(JourneyEvent(
            unit_id=row["unit_id"], source=row["source"], agency=AGENCIES[row["source"]],
            record_id=row["record_id"], event_date=row["event_date"], end_date=row["end_date"],
            title=title, details=details, delivery=row["delivery"],
            arrived=arrived.date() if isinstance(arrived, datetime) else arrived,
            extract_date=row["extract_date"], uncertain=uncertain))
    name, others = heading_name(rows)
    return Journey(person_id=person_id, name=name, also_recorded_as=others,
                   identities=list(identities.values()), events=events,
                   hidden_by_filters=hidden, filters=filters,
                   agencies=[(s, AGENCIES[s]) for s in role.sources if s in AGENCIES])


def heading_name(rows: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The name to head the page with, and the other names the records give.

    Agencies spell a person's name differently (linkage joins "Robyn Exampel" to "Robin
    Example"), so the heading is the spelling most of the person's records give; a tie goes to the
    spelling of the most recent record (by event date), then to alphabetical order, so the same
    records always give the same heading. The others are shown as "also recorded as", most
    frequent first, in the same order."""
    seen: dict[str, tuple[int, date]] = {}
    for row in rows:
        name = " ".join(p for p in (row["forename"], row["surname"]) if p)
        count, latest = seen.get(name, (0, date.min))
        seen[name] = (count + 1, max(latest, row["event_date"] or date.min))
    ordered = sorted(seen, key=lambda n: (-seen[n][0], -seen[n][1].toordinal(), n))
    return ordered[0], ordered[1:]


def _passes(row: dict[str, Any], filters: JourneyFilters) -> bool:
    day = row["event_date"]
    if filters.agency and row["source"] != filters.agency:
        return False
    if filters.period_from and (day is None or day < filters.period_from):
        return False
    return not (filters.period_to and (day is None or day > filters.period_to))
