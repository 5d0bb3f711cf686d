"""Area reference data: the local authorities and custodial establishments of a city region.

London ships first; another area is added as a folder of data files alone
(``data/<slug>/area.toml``, ``local_authorities.csv``, ``establishments.csv``, the case
service's ``case_teams.toml``, and optionally the dashboard's ``tile_map.csv`` and
``outcomes.toml``).
"""

from localjustice.area.outcomes import Outcome, Reference, Source, load_outcomes
from localjustice.area.reference import (
    Area,
    Establishment,
    LocalAuthority,
    Organisation,
    Tile,
    UnknownAreaError,
    available_areas,
    load_area,
)
from localjustice.area.teams import CaseTeam, CaseTeams, load_case_teams

__all__ = [
    "Area",
    "CaseTeam",
    "CaseTeams",
    "Establishment",
    "LocalAuthority",
    "Organisation",
    "Outcome",
    "Reference",
    "Source",
    "Tile",
    "UnknownAreaError",
    "available_areas",
    "load_area",
    "load_case_teams",
    "load_outcomes",
]
