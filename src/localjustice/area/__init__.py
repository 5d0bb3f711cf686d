"""Area reference data: the local authorities and custodial establishments of a city region.

London ships first; another area is added as a folder of data files alone
(``data/<slug>/area.toml``, ``local_authorities.csv``, ``establishments.csv``).
"""

from localjustice.area.reference import (
    Area,
    Establishment,
    LocalAuthority,
    Organisation,
    UnknownAreaError,
    available_areas,
    load_area,
)

__all__ = [
    "Area",
    "Establishment",
    "LocalAuthority",
    "Organisation",
    "UnknownAreaError",
    "available_areas",
    "load_area",
]
