"""Who counts as 'the same person' when a referral arrives, before linkage gives a person_id.

The rule: within the team receiving the referral, the same source system and source person id,
or the same normalised name and date of birth. Matching never looks beyond that team: what a
client sends must not select, or reveal, another team's record. The same rule across teams only
finds *possible duplicates* (``other_teams_matches``), which a supervisor of both teams reviews.
It is kept in this one small module so that linkage's ``person_id`` can replace it later without
touching intake. ``NAME_KEY_SQL`` is the same normalisation for the bulk import, which runs in
DuckDB; a test checks the two agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from localjustice.service.models import Person, PersonIdentifier

_NOT_LETTER = re.compile(r"[^a-z]")
BY_SOURCE_ID = "source_id"
BY_NAME_AND_DATE_OF_BIRTH = "name_and_date_of_birth"


def normalise_name(forename: str, surname: str) -> str:
    """Letters only, lower case, accents removed: 'Zoë O'Brien-Smith' -> 'zoe|obriensmith'."""
    def part(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        return _NOT_LETTER.sub("", plain.lower())
    return f"{part(forename)}|{part(surname)}"


def name_key_sql(forename: str, surname: str) -> str:
    """The DuckDB expression computing ``normalise_name`` for two column expressions."""
    def part(column: str) -> str:
        return f"regexp_replace(lower(strip_accents(coalesce({column}, ''))), '[^a-z]', '', 'g')"
    return f"{part(forename)} || '|' || {part(surname)}"


@dataclass(frozen=True)
class PersonClaim:
    """Who a referral says the person is."""

    source: str
    source_person_id: str | None
    forename: str
    surname: str
    date_of_birth: date | None

    @property
    def name_key(self) -> str:
        return normalise_name(self.forename, self.surname)

    @property
    def has_name_and_date_of_birth(self) -> bool:
        return self.date_of_birth is not None and self.name_key != "|"


def _by_name(claim: PersonClaim) -> ColumnElement[bool]:
    return and_(Person.name_key == claim.name_key, Person.date_of_birth == claim.date_of_birth)


def find_same_person(session: Session, claim: PersonClaim, team: str) -> int | None:
    """The id of a person ``team`` already knows who is the same as ``claim``, if any."""
    if claim.source_person_id:
        found = session.scalar(select(PersonIdentifier.person_id).where(
            PersonIdentifier.team == team, PersonIdentifier.source == claim.source,
            PersonIdentifier.source_person_id == claim.source_person_id))
        if found is not None:
            return int(found)
    if claim.has_name_and_date_of_birth:
        found = session.scalar(select(Person.id).where(Person.team == team, _by_name(claim))
                               .order_by(Person.id).limit(1))
        if found is not None:
            return int(found)
    return None


def other_teams_matches(session: Session, claim: PersonClaim, team: str) -> list[tuple[int, str, str]]:
    """People other teams hold who may be the same as ``claim``: (person id, team, matched on).

    For flagging a possible duplicate only; never to choose a record for the caller.
    """
    found: dict[int, tuple[int, str, str]] = {}
    if claim.source_person_id:
        for person_id, other in session.execute(
                select(PersonIdentifier.person_id, PersonIdentifier.team).where(
                    PersonIdentifier.team != team, PersonIdentifier.source == claim.source,
                    PersonIdentifier.source_person_id == claim.source_person_id)).all():
            found[int(person_id)] = (int(person_id), str(other), BY_SOURCE_ID)
    if claim.has_name_and_date_of_birth:
        for person_id, other in session.execute(
                select(Person.id, Person.team).where(Person.team != team, _by_name(claim))).all():
            found.setdefault(int(person_id), (int(person_id), str(other), BY_NAME_AND_DATE_OF_BIRTH))
    return sorted(found.values())
