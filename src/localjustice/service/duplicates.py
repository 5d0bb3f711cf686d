"""Possible matches at intake: the open cases in the caller's teams a new referral may belong to.

A caseworker adding a referral is shown the open cases of their own teams whose person may be the
one referred, and chooses: join one of them, or open a new case with a reason (``MatchDecision``).
Nothing is joined unseen. The rule (``duplicates.toml``): the linkage's person id decides when
both carry one; otherwise the date of birth, exact or one transposition, blocks the candidates in
SQL and Jaro-Winkler similarity on forename and surname scores the few it returns (the way Splink
blocks and then compares). Only the caller's teams are searched, so the answer is the same whether
or not another team holds the person (that case is the supervisors' possible duplicate, elsewhere).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import jellyfish
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from localjustice.service.errors import InvalidInput
from localjustice.service.identity import normalise_name
from localjustice.service.models import Case, Person
from localjustice.service.schemas import case_reference

MatchedOn = Literal["linkage_person", "name_and_date_of_birth"]


@dataclass(frozen=True)
class MatchRules:
    name_threshold: float


@cache
def load_match_rules() -> MatchRules:
    raw = tomllib.loads((resources.files("localjustice.service") / "duplicates.toml").read_text("utf-8"))
    threshold = float(raw["name_threshold"])
    if not 0 < threshold <= 1:
        raise ValueError("duplicates.toml: name_threshold must be in (0, 1]")
    return MatchRules(name_threshold=threshold)


class PossibleMatch(BaseModel):
    """An open case in the caller's teams that may be the referred person's."""

    case_id: int
    reference: str
    team: str
    forename: str
    surname: str
    date_of_birth: date | None
    crime_id: str | None
    role: str
    opened_on: date
    spoc_name: str | None
    matched_on: MatchedOn
    name_score: float | None = None
    date_of_birth_exact: bool = True


class MatchDecision(BaseModel):
    """What the caseworker chose: join an offered case, or open a new one and say why."""

    join_case_id: int | None = None
    new_case_reason: str = Field(default="", max_length=500)


class PossibleMatches(InvalidInput):
    """The referral may belong to an open case: the caller must choose (``MatchDecision``)."""

    def __init__(self, matches: list[PossibleMatch], errors: dict[str, str] | None = None) -> None:
        super().__init__(errors or {"match_choice": "This person may already have an open case: join "
                                                    "one of the cases listed or open a new case"})
        self.matches = matches


def date_of_birth_variants(day: date) -> set[date]:
    """The date itself, day and month swapped, and each swap of two adjacent digits of YYYYMMDD
    that is still a date."""
    found = {day}
    digits = f"{day:%Y%m%d}"
    candidates = [f"{day:%Y}{day:%d}{day:%m}"]
    candidates += [digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:] for i in range(7)]
    for text in candidates:
        try:
            found.add(date(int(text[:4]), int(text[4:6]), int(text[6:])))
        except ValueError:
            continue
    return found


def name_score(forename: str, surname: str, other_forename: str, other_surname: str) -> float:
    """The lower of the forename and surname Jaro-Winkler similarities, after normalisation."""
    first, last = normalise_name(forename, surname).split("|")
    other_first, other_last = normalise_name(other_forename, other_surname).split("|")
    if not (first and last and other_first and other_last):
        return 0.0
    return min(jellyfish.jaro_winkler_similarity(first, other_first),
               jellyfish.jaro_winkler_similarity(last, other_last))


def open_case_matches(session: Session, *, forename: str, surname: str, date_of_birth: date,
                      linkage_person_id: str | None, teams: tuple[str, ...] | None,
                      rules: MatchRules | None = None) -> list[PossibleMatch]:
    """The open cases of ``teams`` (``None``: every team) that may be the referred person's."""
    rules = rules or load_match_rules()
    variants = sorted(date_of_birth_variants(date_of_birth))
    by_link: ColumnElement[bool] = (Case.linkage_person_id == linkage_person_id if linkage_person_id
                                    else false())
    query = (select(Case, Person).join(Person, Person.id == Case.person_id)
             .where(Case.status == "open", or_(by_link, Person.date_of_birth.in_(variants)))
             .order_by(Case.id))
    if teams is not None:
        query = query.where(Case.team.in_(teams))
    found: list[PossibleMatch] = []
    for case, person in session.execute(query).all():
        view: dict[str, Any] = {"case_id": case.id, "reference": case_reference(case.id), "team": case.team,
                "forename": person.forename, "surname": person.surname,
                "date_of_birth": person.date_of_birth, "crime_id": case.crime_id, "role": case.role,
                "opened_on": case.opened_on, "spoc_name": case.spoc_name}
        if linkage_person_id and case.linkage_person_id:
            if case.linkage_person_id == linkage_person_id:
                found.append(PossibleMatch(**view, matched_on="linkage_person"))
            continue
        score = name_score(forename, surname, person.forename, person.surname)
        if score >= rules.name_threshold:
            found.append(PossibleMatch(**view, matched_on="name_and_date_of_birth",
                                       name_score=round(score, 3),
                                       date_of_birth_exact=person.date_of_birth == date_of_birth))
    return found
