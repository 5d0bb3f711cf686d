"""An area's case-service teams and the boroughs each serves, from ``data/<slug>/case_teams.toml``.

A referral's team follows the borough the person lives in, so the mapping is area data: London's
teams are the Metropolitan Police's 12 basic command units; another area brings its own file.
Every authority of the area must reach exactly one team, either as one of a team's boroughs or as
a ``neighbour_teams`` entry (an authority no team covers, such as the City of London), so no
referral falls between teams.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from localjustice.area.reference import UnknownAreaError, load_area
from localjustice.errors import LocalJusticeError

FILE = "case_teams.toml"


@dataclass(frozen=True)
class CaseTeam:
    name: str
    code: str
    boroughs: tuple[str, ...]


@dataclass(frozen=True)
class CaseTeams:
    """The teams of one area, and the team for each of its authorities (ONS codes)."""

    area: str
    teams: tuple[CaseTeam, ...]
    team_by_borough: dict[str, str]

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.teams]


@cache
def load_case_teams(slug: str = "london") -> CaseTeams:
    """The area's teams, checked against its authorities; an error names what is wrong."""
    area = load_area(slug)
    path = resources.files("localjustice.area") / "data" / slug / FILE
    if not path.is_file():
        raise UnknownAreaError(f"Area {slug!r} has no case-service teams: add data/{slug}/{FILE}.")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    problems: list[str] = []
    teams: list[CaseTeam] = []
    for i, entry in enumerate(raw.get("teams", [])):
        name, code, boroughs = entry.get("name"), entry.get("code"), entry.get("boroughs")
        if not isinstance(name, str) or not name.strip() or not isinstance(code, str) \
                or not isinstance(boroughs, list) or not all(isinstance(b, str) for b in boroughs):
            problems.append(f"team {i + 1} needs a name, a code and a list of borough codes")
            continue
        teams.append(CaseTeam(name=name.strip(), code=code, boroughs=tuple(boroughs)))
    if not teams:
        problems.append("no teams")
    names = [t.name for t in teams]
    problems += [f"team {n!r} appears twice" for n in sorted({n for n in names if names.count(n) > 1})]
    by_borough: dict[str, str] = {}
    claims = [(b, t.name) for t in teams for b in t.boroughs]
    neighbours = raw.get("neighbour_teams", {})
    claims += [(str(b), str(t)) for b, t in neighbours.items()]
    for borough, team in claims:
        if borough in by_borough:
            problems.append(f"borough {borough} is in both {by_borough[borough]!r} and {team!r}")
        by_borough[borough] = team
    problems += [f"neighbour team {t!r} is not one of the teams" for t in neighbours.values()
                 if t not in names]
    known = area.authority_codes
    problems += [f"borough {b} is not an authority of {area.name}" for b in sorted(set(by_borough) - known)]
    problems += [f"authority {b} has no team" for b in sorted(known - set(by_borough))]
    if problems:
        raise LocalJusticeError(f"Area {slug!r} {FILE} is invalid: " + "; ".join(problems))
    return CaseTeams(area=slug, teams=tuple(teams), team_by_borough=by_borough)
