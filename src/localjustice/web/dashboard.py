"""Where the dashboard's figures come from: a ``DashboardSource``.

The dashboard shows official measures computed by ``localjustice.measures`` and published,
disclosure-controlled, by ``localjustice.publish.dashboard_feed`` (``localjustice publish``, run
by the demo) into ``<data dir>/published/measures.json``; the web app computes no statistic
itself (DESIGN.md). ``PublishedMeasures`` reads that file; with no file the dashboard says plainly
that nothing has been published yet. Nothing here invents figures.

The file (``Published`` below; JSON Schema at ``/api/openapi.json``)::

    {"published_at": "2026-01-31T12:00:00",
     "measures": [{
        "id": "proven_reoffending",
        "title": "Proven reoffending",
        "description": "Share of the cohort who commit a proven reoffence within 12 months",
        "unit": "percent",                     # percent | count | rate | ratio
        "methodology": {"summary": "...", "source": "Ministry of Justice, Guide to proven
                        reoffending statistics", "sections": [{"heading": "...", "body": "..."}]},
        "observations": [{"period": "2018 Q1", "borough": "E09000012", "cohort": "adult",
                          "value": 24.1, "numerator": 241, "denominator": 1000,
                          "suppressed": false}]}]}

Suppressed cells (``suppressed: true``) carry ``value: null`` and are shown as suppressed, never
as zero (MEASURES.md, "Disclosure control").
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ValidationError

from localjustice.errors import LocalJusticeError

MEASURES_FILE = "measures.json"
#: the whole publication as a spreadsheet, written beside the measures (``publish.spreadsheet``)
SPREADSHEET_FILE = "measures.xlsx"


class Observation(BaseModel):
    period: str
    borough: str
    cohort: str
    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    #: why a withheld figure is withheld: "[c]" (suppressed) or "[u]" (base under 30)
    marker: str | None = None
    #: the 95% confidence interval, where the figure has one
    low: float | None = None
    high: float | None = None


class MethodologySection(BaseModel):
    heading: str
    body: str


class Link(BaseModel):
    title: str
    url: str


class Methodology(BaseModel):
    summary: str
    source: str
    sections: list[MethodologySection] = []
    #: the publications the method follows
    references: list[Link] = []


class Measure(BaseModel):
    id: str
    title: str
    description: str
    unit: Literal["percent", "count", "rate", "ratio"]
    methodology: Methodology
    observations: list[Observation]
    #: period label -> why its figures are provisional (absent from feeds published before it)
    provisional: dict[str, str] = {}
    #: cohort code -> its name in words ("young_adult" -> "Young adults (18-24)")
    cohort_labels: dict[str, str] = {}


class LatestFigure(BaseModel):
    period: str
    value: float
    low: float | None = None
    high: float | None = None
    numerator: int | None = None
    denominator: int | None = None


class ReferenceFigure(BaseModel):
    """A baseline or comparator: a figure and where it comes from (empty source: our own data)."""

    value: float
    label: str
    source: str = ""
    url: str = ""
    comparison: str = ""


class Headline(BaseModel):
    """One outcome's headline, as ``publish.headlines`` wrote it: nothing here is computed."""

    measure: str
    cohort: str
    title: str
    unit: Literal["percent", "count", "rate", "ratio"]
    better: str
    better_text: str
    latest: LatestFigure | None
    baseline: ReferenceFigure | None
    change: str
    verdict: str
    comparators: list[ReferenceFigure] = []


class Published(BaseModel):
    published_at: str
    measures: list[Measure]
    area: str = ""
    headlines: list[Headline] = []


class DashboardSource(Protocol):
    def load(self) -> Published | None:
        """The published measures, or ``None`` when nothing has been published yet."""

    def loaded(self) -> Published | None:
        """The published measures if they are in memory and known to be current, without reading
        anything (``None`` when ``load`` must be called first), for callers that must not block."""

    def spreadsheet(self) -> Path | None:
        """The whole publication as a spreadsheet, or ``None`` when none has been published."""


class PublishedMeasures:
    """Reads ``measures.json`` from the publish folder; re-reads it only when it changes (its
    modification time, size or inode: publishing replaces the file), and looks for a change at
    most every ``CHECK_SECONDS``."""

    CHECK_SECONDS = 1.0

    def __init__(self, folder: Path) -> None:
        self.path = folder / MEASURES_FILE
        self.spreadsheet_path = folder / SPREADSHEET_FILE
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int, int], Published] | None = None
        self._checked_at = -self.CHECK_SECONDS

    def spreadsheet(self) -> Path | None:
        return self.spreadsheet_path if self.spreadsheet_path.is_file() else None

    def loaded(self) -> Published | None:
        cached = self._cached
        if cached is not None and time.monotonic() - self._checked_at < self.CHECK_SECONDS:
            return cached[1]
        return None

    def load(self) -> Published | None:
        now = time.monotonic()
        cached = self._cached
        if cached is not None and now - self._checked_at < self.CHECK_SECONDS:
            return cached[1]
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._cached = None
            return None
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == stamp:
                self._checked_at = now
                return cached[1]
            try:
                published = Published.model_validate(json.loads(self.path.read_text("utf-8")))
            except (ValueError, ValidationError):
                raise LocalJusticeError(f"The published measures in {self.path} are not in the "
                                        "expected format. Publish them again.") from None
            self._cached = (stamp, published)
            self._checked_at = now
            return published
