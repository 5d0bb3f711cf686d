"""Who counts as 'the same person' when a referral arrives, before linkage gives a person_id.

The rule: the same source system and source person id, or the same normalised name and date of
birth. It is kept in this one small module so that linkage's ``person_id`` can replace it later
without touching intake. ``NAME_KEY_SQL`` is the same normalisation for the bulk import, which runs
in DuckDB; a test checks the two agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from localjustice.service.models import Person, PersonIdentifier

_NOT_LETTER = re.compile(r"[^a-z]")


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


def find_same_person(session: Session, claim: PersonClaim) -> int | None:
    """The id of a person the service already knows who is the same as ``claim``, if any."""
    if claim.source_person_id:
        found = session.scalar(select(PersonIdentifier.person_id).where(
            PersonIdentifier.source == claim.source,
            PersonIdentifier.source_person_id == claim.source_person_id))
        if found is not None:
            return int(found)
    if claim.date_of_birth is not None and claim.name_key != "|":
        found = session.scalar(select(Person.id).where(
            Person.name_key == claim.name_key, Person.date_of_birth == claim.date_of_birth,
        ).order_by(Person.id).limit(1))
        if found is not None:
            return int(found)
    return None
