"""Load and validate an area's reference files once, so every stage agrees on the same codes."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from localjustice.errors import LocalJusticeError

ESTATES = frozenset({"adult_male", "adult_female", "yoi", "stc", "sch"})
_ONS_LA_CODE = re.compile(r"^[EWSN]\d{8}$")


class UnknownAreaError(LocalJusticeError):
    """Raised when an area is asked for that has no data folder."""


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    name: str
    imd_rank: int
    population: int


@dataclass(frozen=True)
class Establishment:
    code: str
    name: str
    estate: str
    in_area: bool
    local_authority: str | None

    @property
    def holds_children(self) -> bool:
        """Youth estate: under-18s are held in YOIs, secure training centres and children's homes."""
        return self.estate in {"yoi", "stc", "sch"}


@dataclass(frozen=True)
class Organisation:
    """Who runs the service in an area, as its pages show it (header, footer, licence line)."""

    name: str
    short_name: str
    url: str
    copyright: str
    licence: str
    licence_url: str


@dataclass(frozen=True)
class Tile:
    """A local authority's square on the area's tile map (column 1 is the west, row 1 the north)."""

    code: str
    short_name: str
    column: int
    row: int


@dataclass(frozen=True)
class Area:
    slug: str
    name: str
    local_authorities: tuple[LocalAuthority, ...]
    establishments: tuple[Establishment, ...]
    organisation: Organisation
    #: one square per local authority (``tile_map.csv``); empty for an area without a tile map
    tiles: tuple[Tile, ...] = ()

    @property
    def authority_codes(self) -> frozenset[str]:
        return frozenset(la.code for la in self.local_authorities)

    def establishment(self, code: str) -> Establishment:
        for est in self.establishments:
            if est.code == code:
                return est
        raise KeyError(code)


def _data_rows(text: str) -> list[dict[str, str]]:
    """Rows of a reference CSV; leading ``#`` lines hold its sources and are skipped."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def available_areas() -> list[str]:
    root = resources.files("localjustice.area") / "data"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "area.toml").is_file())


@cache
def load_area(slug: str = "london") -> Area:
    root = resources.files("localjustice.area") / "data" / slug
    if not (root / "area.toml").is_file():
        raise UnknownAreaError(
            f"No reference data for area {slug!r}. Known areas: {', '.join(available_areas())}."
        )
    meta = tomllib.loads((root / "area.toml").read_text(encoding="utf-8"))
    authorities = tuple(
        LocalAuthority(
            code=row["code"],
            name=row["name"],
            imd_rank=int(row["imd_rank"]),
            population=int(row["population"]),
        )
        for row in _data_rows((root / "local_authorities.csv").read_text(encoding="utf-8"))
    )
    establishments = tuple(
        Establishment(
            code=row["code"],
            name=row["name"],
            estate=row["estate"],
            in_area=row["in_area"].strip().lower() == "true",
            local_authority=row["local_authority"] or None,
        )
        for row in _data_rows((root / "establishments.csv").read_text(encoding="utf-8"))
    )
    org = meta.get("organisation")
    fields = ("name", "short_name", "url", "copyright", "licence", "licence_url")
    if not isinstance(org, dict) or any(not isinstance(org.get(f), str) or not org.get(f)
                                        for f in fields):
        raise UnknownAreaError(
            f"Area {slug!r}: area.toml needs an [organisation] table with {', '.join(fields)}.")
    tiles: tuple[Tile, ...] = ()
    if (root / "tile_map.csv").is_file():
        tiles = tuple(Tile(code=row["code"], short_name=row["short_name"],
                           column=int(row["column"]), row=int(row["row"]))
                      for row in _data_rows((root / "tile_map.csv").read_text(encoding="utf-8")))
    area = Area(slug=slug, name=meta["name"], local_authorities=authorities,
                establishments=establishments,
                organisation=Organisation(**{f: str(org[f]) for f in fields}), tiles=tiles)
    _validate(area)
    return area


def _validate(area: Area) -> None:
    problems: list[str] = []
    codes = [la.code for la in area.local_authorities]
    if len(set(codes)) != len(codes):
        problems.append("duplicate local authority codes")
    problems += [f"bad ONS code {c!r}" for c in codes if not _ONS_LA_CODE.match(c)]
    est_codes = [e.code for e in area.establishments]
    if len(set(est_codes)) != len(est_codes):
        problems.append("duplicate establishment codes")
    for est in area.establishments:
        if est.estate not in ESTATES:
            problems.append(f"establishment {est.code}: unknown estate {est.estate!r}")
        if est.in_area and est.local_authority not in area.authority_codes:
            problems.append(f"establishment {est.code}: in area but authority not in the area")
    problems += _tile_problems(area)
    if problems:
        raise LocalJusticeError(f"Area {area.slug!r} reference data is invalid: " + "; ".join(problems))


def _tile_problems(area: Area) -> list[str]:
    """A tile map, where there is one, has exactly one square per authority, none shared."""
    if not area.tiles:
        return []
    problems: list[str] = []
    codes = [t.code for t in area.tiles]
    missing = sorted(area.authority_codes - set(codes))
    unknown = sorted(set(codes) - area.authority_codes)
    if missing:
        problems.append(f"tile map lacks {', '.join(missing)}")
    if unknown:
        problems.append(f"tile map has authorities not in the area: {', '.join(unknown)}")
    if len(set(codes)) != len(codes):
        problems.append("tile map has an authority twice")
    squares = [(t.column, t.row) for t in area.tiles]
    if len(set(squares)) != len(squares):
        problems.append("tile map puts two authorities on one square")
    return problems
