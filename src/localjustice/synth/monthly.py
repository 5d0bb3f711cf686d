"""Monthly deliveries: the window's final state, sent month by month as life goes on.

A record is known in the month its first event happens (each extract is taken at its month's
end) and is sent again in each month its state changes. What changes (settings in
``calibration.toml``, ``[deliveries]``):

- custody periods are first sent open and again with their release date; probation and
  monitoring orders when they start and again when they end (with the termination reason);
- court outcomes, cautions and referrals arrive in the month they happen;
- crimes arrive in the month they are recorded, often later than the month they were committed
  (late-recorded); a few are first sent under another offence group and reclassified later;
- a few crimes are cancelled ("no-crimed"): police send ``police_crimes`` as a full snapshot every
  quarter, and a cancelled crime is missing from the next snapshot, so it is withdrawn;
- a few person rows are first sent with a mistyped but valid date of birth, corrected later;
- a share ``error_rate`` of the versions sent are broken on purpose (quarantined by ingest) and
  re-sent fixed, with the same key, the next month.

By construction the final version of every record is its row in the single delivery of the same
seed, and a cancelled crime is absent from it: rows broken in the single delivery are sent once,
in the month of their final state, broken as they are there. Loading the monthly deliveries in
order therefore leaves the same current records as loading the single delivery. Versions share
the key and the source person id, so the truth's person map holds for every version.

Layout (``out`` is the folder given to ``generate``)::

    out/monthly/2022-12/ ... out/monthly/2026-11/   one delivery per month, each with manifest.toml
    out/history/                                     with history_until: the state at that month's
                                                     end as one delivery (every file a snapshot);
                                                     then out/monthly/ holds the months after it
    out/load_order.txt                               the delivery folders, in the order to load
    out/truth/                                       person map, people, calibration as for a single
                                                     delivery; monthly_injected_errors.csv per delivery
                                                     (with the delivery that fixed each row) and
                                                     delivery_changes.csv (what each one changed)
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.synth.calendar import month_name, parse_month
from localjustice.synth.injected_errors import break_rows
from localjustice.synth.parameters import Parameters
from localjustice.synth.writer import FORMATS, write_frame, write_table

HISTORY = "history"
MONTHLY = "monthly"
LOAD_ORDER = "load_order.txt"
#: The truth of a series' broken rows; named apart from the single delivery's injected_errors.csv,
#: so that both layouts can be written into one folder.
MONTHLY_INJECTED = "monthly_injected_errors.csv"
MANIFEST = "manifest.toml"
DELIVERY_MODES = ("single", "monthly")

# Why a version is sent (bit flags; one version can carry several).
NEW, LATE, ENDED, RECLASSIFIED, DOB_CORRECTED, CORRECTED = (1 << k for k in range(6))
REASONS = {
    NEW: "new",
    LATE: "late_recorded",
    ENDED: "ended",
    RECLASSIFIED: "reclassified",
    DOB_CORRECTED: "dob_corrected",
    CORRECTED: "corrected",
}
#: Every count a delivery reports, in the order shown.
CHANGE_KINDS = (*REASONS.values(), "broken", "withdrawn", "resent_unchanged")
#: Columns empty while the record is open, filled in the month it ends.
_END_COLUMNS = {
    "prison_custody": ("release_date",),
    "probation_supervision": ("end_date", "termination"),
    "electronic_monitoring": ("end_date",),
    "programme_participants": ("end_date", "completed"),
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
INJECTED_MONTHLY_COLUMNS = ["delivery", "source", "row_number", "column", "rule", "fixed_in"]


@dataclass(frozen=True)
class DeliverySettings:
    partner: str
    snapshot_every: dict[str, int]
    no_crime_share: float
    reclassified_share: float
    reclassify_after: tuple[int, int]
    dob_corrected_share: float
    dob_corrected_after: tuple[int, int]

    @classmethod
    def from_parameters(cls, params: Parameters) -> DeliverySettings:
        raw: dict[str, Any] = params.section("deliveries")
        every = {str(k): int(v) for k, v in raw["snapshot_every_months"].items()}
        bad = {k: v for k, v in every.items() if v < 1 or 12 % v or k not in load_contract().files}
        if bad:
            raise LocalJusticeError(
                f"calibration.toml [deliveries] snapshot_every_months must name extracts and "
                f"divide 12; got {bad}."
            )
        lo, hi = raw["reclassify_after_months"]
        dlo, dhi = raw["dob_corrected_after_months"]
        return cls(
            partner=str(raw["partner"]),
            snapshot_every=every,
            no_crime_share=float(raw["no_crime_share"]),
            reclassified_share=float(raw["reclassified_share"]),
            reclassify_after=(int(lo), int(hi)),
            dob_corrected_share=float(raw["dob_corrected_share"]),
            dob_corrected_after=(int(dlo), int(dhi)),
        )

    def snapshot_months(self, source: str, months: int, first_month: int) -> NDArray[np.int64]:
        """Month indexes (0 = the window's first month, ``first_month`` counted from January 1970)
        at whose end ``source`` sends a snapshot: the calendar's quarter ends for every 3 months,
        wherever the window begins."""
        every = self.snapshot_every.get(source)
        index = np.arange(months, dtype=np.int64)
        return index[((first_month + index) % 12 + 1) % every == 0] if every else index[:0]


@dataclass(frozen=True)
class DeliveryChanges:
    """One delivery of a monthly series: what it holds and what it changes."""

    delivery: str
    extract_date: str
    rows: int
    changes: dict[str, int]


def month_index(dates: pd.Series | NDArray[Any], first_month: int) -> NDArray[np.int64]:
    """Month of an ISO date, counted from the window's first month (0; ``first_month`` counted
    from January 1970); -1 where empty."""
    text = np.asarray(dates, dtype=str)
    present = text != ""
    parsed = np.where(present, text, "1970-01-01").astype("datetime64[D]").astype("datetime64[M]")
    index = parsed.astype(np.int64) - first_month
    return np.where(present, index, -1)


def parse_history_until(text: str | None, first_month: int, months: int) -> int | None:
    """The month index of ``YYYY-MM``; it must leave at least one monthly delivery after it."""
    if text is None:
        return None
    index = parse_month(text, "history_until") - first_month
    if not 0 <= index < months - 1:
        raise LocalJusticeError(
            f"history_until must be a month from {month_name(first_month)} to "
            f"{month_name(first_month + months - 2)}, so that at least one monthly delivery "
            f"follows the history; got {text}."
        )
    return index


def _month_end(index: int, first_month: int) -> str:
    first_of_next = np.datetime64(first_month + index + 1, "M").astype("datetime64[D]")
    return str(first_of_next - np.timedelta64(1, "D"))


def cancelled_crimes(
    tables: dict[str, pd.DataFrame],
    first_month: int,
    months: int,
    settings: DeliverySettings,
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Which crimes are no-crimed (a mask over ``tables["police_crimes"]``).

    Only crimes that nothing refers to, and that have a snapshot after their recorded month, so
    that they are first sent and then withdrawn. The draw is the same for every delivery layout,
    which keeps the single delivery the final state of the monthly ones.
    """
    crimes = tables["police_crimes"]
    draw = rng.random(len(crimes))
    referenced = pd.concat(
        [tables[s]["crime_id"] for s in ("police_victims", "police_disposals", "victim_referrals")]
    )
    first = month_index(crimes["recorded_date"], first_month)
    later_snapshot = first < settings.snapshot_months("police_crimes", months, first_month).max(initial=-1)
    eligible = ~crimes["crime_id"].isin(set(referenced)).to_numpy() & later_snapshot
    cancelled: NDArray[np.bool_] = eligible & (draw < settings.no_crime_share)
    return cancelled


@dataclass
class _Source:
    """One extract's records and every version of them sent in the series."""

    name: str
    table: pd.DataFrame  # every record, clean, in single-delivery order
    in_single: NDArray[np.bool_]  # in the single delivery (all but the cancelled crimes)
    first: NDArray[np.int64]  # month each record is first known
    sent_once: NDArray[np.bool_]  # broken in the single delivery: sent once, as broken there
    withdrawn: NDArray[np.int64]  # month of the snapshot that withdraws it (-1: never)
    overrides: list[tuple[str, NDArray[np.int64], NDArray[Any], int]]  # column, until, value, reason
    events: pd.DataFrame | None = None  # i, m, reasons, error_column, error_rule, fixed_m
    rows: pd.DataFrame | None = None  # the content of each event


class MonthlySeries:
    """Plans the versions of every record and writes the deliveries."""

    def __init__(
        self,
        universe: dict[str, pd.DataFrame],
        cancelled: NDArray[np.bool_],
        single: dict[str, pd.DataFrame],
        injected: pd.DataFrame,
        first_month: int,
        months: int,
        settings: DeliverySettings,
        rng: np.random.Generator,
    ) -> None:
        self.first_month = first_month
        self.months = months
        self.settings = settings
        self.rng = rng
        self.contract = load_contract()
        self.injected_single = injected
        self.sources: dict[str, _Source] = {}
        #: the single delivery's broken rows, the final version of their records
        self.broken_final: dict[str, pd.DataFrame] = {}
        crimes = universe["police_crimes"]
        recorded = pd.Series(crimes["recorded_date"].to_numpy(), index=crimes["crime_id"].to_numpy())
        snapshots = settings.snapshot_months("police_crimes", months, first_month)
        for name, table in universe.items():
            extract = self.contract.file(name)
            if name == "police_crimes":
                known_from = table["recorded_date"].to_numpy()
            elif name == "police_victims":
                known_from = table["crime_id"].map(recorded).to_numpy()
            else:
                known_from = table[extract.event_date].to_numpy()
            first = month_index(known_from, first_month)
            in_single = ~cancelled if name == "police_crimes" else np.ones(len(table), dtype=bool)
            position = np.cumsum(in_single) - 1  # row of each record in the single delivery
            broken_rows = injected.loc[injected["source"] == name, "row_number"].to_numpy() - 1
            sent_once = np.zeros(len(table), dtype=bool)
            sent_once[np.flatnonzero(in_single)[broken_rows]] = True
            withdrawn = np.full(len(table), -1, dtype=np.int64)
            if name == "police_crimes":
                after = np.searchsorted(snapshots, first[cancelled], side="right")
                withdrawn[cancelled] = snapshots[after]
            source = _Source(name, table.reset_index(drop=True), in_single, first, sent_once, withdrawn, [])
            for column in _END_COLUMNS.get(name, ()):
                until = month_index(table[_END_COLUMNS[name][0]], first_month)
                source.overrides.append((column, until, np.full(len(table), ""), ENDED))
            self.sources[name] = source
            self.broken_final[name] = single[name].iloc[position[sent_once]].reset_index(drop=True)

    # --- life: reclassified crimes and corrected dates of birth -------------------------------
    def add_life(self) -> None:
        last = self.months - 1
        crimes = self.sources["police_crimes"]
        draw = self.rng.random(len(crimes.table))
        lo, hi = self.settings.reclassify_after
        fixed = crimes.first + self.rng.integers(lo, hi + 1, len(crimes.table))
        groups = np.array([g for g in self.contract.code_lists["offence_group"] if g != "breach"])
        final = crimes.table["offence_group"].to_numpy()
        final_index = pd.Series(np.arange(len(groups)), index=groups).reindex(final).to_numpy()
        chosen = (
            (draw < self.settings.reclassified_share)
            & ~crimes.sent_once
            & (crimes.withdrawn < 0)
            & (fixed <= last)
            & ~np.isnan(final_index)
        )
        shift = self.rng.integers(1, len(groups), len(crimes.table))
        initial = groups[(np.nan_to_num(final_index).astype(np.int64) + shift) % len(groups)]
        crimes.overrides.append(("offence_group", np.where(chosen, fixed, -1), initial, RECLASSIFIED))

        dlo, dhi = self.settings.dob_corrected_after
        for extract in self.contract.person_bearing_files:
            source = self.sources[extract.name]
            n = len(source.table)
            draw = self.rng.random(n)
            fixed = source.first + self.rng.integers(dlo, dhi + 1, n)
            dob = source.table["date_of_birth"].to_numpy().astype(str)
            year = (self.first_month + source.first) // 12 + 1970
            age = year - np.strings.slice(dob, 0, 4).astype(np.int64)
            chosen = (
                (draw < self.settings.dob_corrected_share)
                & ~source.sent_once
                & (fixed <= last)
                & (age >= 13)
                & (age <= 105)
            )
            source.overrides.append(
                ("date_of_birth", np.where(chosen, fixed, -1), _mistyped(dob), DOB_CORRECTED)
            )

    # --- the versions ---------------------------------------------------------------------------
    def plan(self, first_delivery: int, error_rate: float) -> None:
        """Every version of every record: one per month its state changes, plus broken and fixed."""
        last = self.months - 1
        for source in self.sources.values():
            n = len(source.table)
            record = np.arange(n)
            parts = [pd.DataFrame({"i": record, "m": source.first, "reasons": NEW})]
            for _, until, _, reason in source.overrides:
                later = until > source.first
                parts.append(pd.DataFrame({"i": record[later], "m": until[later], "reasons": reason}))
            # Each reason once per version (two end columns end together), so a sum is an "or".
            events_frame = (
                pd.concat(parts, ignore_index=True)
                .drop_duplicates()
                .groupby(["i", "m"], sort=True)["reasons"]
                .sum()
                .reset_index()
            )
            once = source.sent_once[events_frame["i"].to_numpy()]
            if once.any():
                latest = events_frame.groupby("i")["m"].transform("max").to_numpy()
                events_frame = events_frame[~once | (events_frame["m"].to_numpy() == latest)]
                events_frame.loc[source.sent_once[events_frame["i"].to_numpy()], "reasons"] = NEW
            if source.name == "police_crimes":
                committed = month_index(source.table["committed_date"], self.first_month)
                late = (events_frame["reasons"].to_numpy() & NEW > 0) & (
                    committed[events_frame["i"].to_numpy()] < events_frame["m"].to_numpy()
                )
                events_frame.loc[late, "reasons"] = events_frame.loc[late, "reasons"] | LATE
            source.events = events_frame.reset_index(drop=True)
            self._break_and_fix(source, first_delivery, last, error_rate)

    def _break_and_fix(self, source: _Source, first_delivery: int, last: int, error_rate: float) -> None:
        events = source.events
        assert events is not None
        i, m = events["i"].to_numpy(), events["m"].to_numpy()
        key = i * (self.months + 1) + m
        has_next = np.isin(key + 1, key)
        eligible = (m >= first_delivery) & (m < last) & ~has_next & ~source.sent_once[i]
        if source.name == "police_crimes":
            victims = set(self.sources["police_victims"].table["crime_id"])
            eligible &= ~source.table["crime_id"].isin(victims).to_numpy()[i] & (source.withdrawn[i] < 0)
        count = round(error_rate * int(eligible.sum()))
        chosen = np.sort(self.rng.choice(np.flatnonzero(eligible), size=count, replace=False))
        fixes = pd.DataFrame({"i": i[chosen], "m": m[chosen] + 1, "reasons": CORRECTED})
        events["fixed_m"] = -1
        events.loc[chosen, "fixed_m"] = m[chosen] + 1
        events = pd.concat([events, fixes.assign(fixed_m=-1)], ignore_index=True)
        broken = np.zeros(len(events), dtype=bool)
        broken[chosen] = True
        events["broken"] = broken
        events = events.sort_values(["i", "m"], kind="stable").reset_index(drop=True)
        rows = self._content(source, events)
        broken_at = np.flatnonzero(events["broken"].to_numpy())
        protected = frozenset((*self.contract.file(source.name).key, "source_person_id"))
        listing = break_rows(rows, source.name, broken_at, self.rng, protected)
        events["error_column"] = ""
        events["error_rule"] = ""
        at = listing["row_number"].to_numpy() - 1
        events.loc[at, "error_column"] = listing["column"].to_numpy()
        events.loc[at, "error_rule"] = listing["rule"].to_numpy()
        self._mark_single_broken(source, events)
        source.events, source.rows = events, rows

    def _content(self, source: _Source, events: pd.DataFrame) -> pd.DataFrame:
        i, m = events["i"].to_numpy(), events["m"].to_numpy()
        rows = source.table.iloc[i].reset_index(drop=True)
        for column, until, value, _ in source.overrides:
            wrong = m < until[i]
            rows[column] = np.where(wrong, value[i], rows[column].to_numpy())
        once = np.flatnonzero(source.sent_once[i])
        if len(once):
            final = self.broken_final[source.name]
            order = np.cumsum(source.sent_once) - 1  # rank of each sent-once record among them
            rows.iloc[once] = final.iloc[order[i[once]]].to_numpy()
        return rows

    def _mark_single_broken(self, source: _Source, events: pd.DataFrame) -> None:
        """List the single delivery's faults on the rows that carry them here too."""
        once = source.sent_once[events["i"].to_numpy()]
        if not once.any():
            return
        injected = self.injected_single
        mine = injected[injected["source"] == source.name]
        record_of_row = np.flatnonzero(source.in_single)[mine["row_number"].to_numpy() - 1]
        by_record = pd.DataFrame(
            {"column": mine["column"].to_numpy(), "rule": mine["rule"].to_numpy()}, index=record_of_row
        )
        records = events.loc[once, "i"].to_numpy()
        events.loc[once, "error_column"] = by_record.loc[records, "column"].to_numpy()
        events.loc[once, "error_rule"] = by_record.loc[records, "rule"].to_numpy()

    # --- writing --------------------------------------------------------------------------------
    def write(
        self, out: Path, history_until: int | None, file_format: str
    ) -> tuple[list[DeliveryChanges], pd.DataFrame]:
        """Write every delivery folder, the load order and the per-delivery truth."""
        _clear(out)
        plan: list[tuple[str, Path, int, bool]] = []
        if history_until is not None:
            plan.append((HISTORY, out / HISTORY, history_until, True))
        start = 0 if history_until is None else history_until + 1
        for s in range(start, self.months):
            name = month_name(self.first_month + s)
            plan.append((name, out / MONTHLY / name, s, False))
        name_of = {s: name for name, _, s, history in plan if not history}
        reports: list[DeliveryChanges] = []
        listings: list[pd.DataFrame] = []
        for name, folder, s, history in plan:
            folder.mkdir(parents=True, exist_ok=True)
            manifest = [
                f'partner = "{self.settings.partner}"',
                f"extract_date = {_month_end(s, self.first_month)}",
            ]
            counts = dict.fromkeys(CHANGE_KINDS, 0)
            total = 0
            for source in self.sources.values():
                events, rows = source.events, source.rows
                assert events is not None and rows is not None
                snapshots = self.settings.snapshot_months(source.name, self.months, self.first_month)
                snapshot = history or s in set(snapshots)
                i, m = events["i"].to_numpy(), events["m"].to_numpy()
                if snapshot:
                    upto = np.flatnonzero(m <= s)
                    latest = upto[~pd.Series(i[upto]).duplicated(keep="last").to_numpy()]
                    withdrawn = source.withdrawn[i[latest]]
                    sent = latest[(withdrawn < 0) | (withdrawn > s)]
                    if not history:
                        counts["withdrawn"] += int((source.withdrawn == s).sum())
                else:
                    sent = np.flatnonzero(m == s)
                for fmt in FORMATS:
                    (folder / f"{source.name}.{fmt}").unlink(missing_ok=True)
                if not len(sent):
                    continue
                write_table(rows.iloc[sent], folder / f"{source.name}.{file_format}", file_format)
                mode = "snapshot" if snapshot else "changes"
                manifest += ["", f"[files.{source.name}]", f'mode = "{mode}"', f"rows = {len(sent)}"]
                total += len(sent)
                self._count(counts, events.iloc[sent], s, history)
                errors = events.iloc[sent].reset_index(drop=True)
                errors = errors[errors["error_rule"] != ""]
                listings.append(
                    pd.DataFrame(
                        {
                            "delivery": name,
                            "source": source.name,
                            "row_number": errors.index.to_numpy() + 1,
                            "column": errors["error_column"].to_numpy(),
                            "rule": errors["error_rule"].to_numpy(),
                            "fixed_in": errors["fixed_m"].map(name_of).fillna("").to_numpy(),
                        }
                    )
                )
            (folder / MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
            reports.append(DeliveryChanges(name, _month_end(s, self.first_month), total, counts))
        order = [str(folder.relative_to(out)) for _, folder, _, _ in plan]
        (out / LOAD_ORDER).write_text("\n".join(order) + "\n", encoding="utf-8")
        listing = (
            pd.concat(listings, ignore_index=True)
            if listings
            else pd.DataFrame(columns=INJECTED_MONTHLY_COLUMNS)
        )
        changes = pd.DataFrame(
            [
                {"delivery": r.delivery, "extract_date": r.extract_date, "rows": r.rows, **r.changes}
                for r in reports
            ]
        )
        write_frame(changes, out / "truth" / "delivery_changes.csv")
        return reports, listing

    @staticmethod
    def _count(counts: dict[str, int], events: pd.DataFrame, s: int, history: bool) -> None:
        reasons = events["reasons"].to_numpy()
        this_month = events["m"].to_numpy() == s
        counts["broken"] += int((events["error_rule"] != "").sum())
        if history:
            counts["new"] += len(events)
            return
        counts["resent_unchanged"] += int((~this_month).sum())
        for flag, kind in REASONS.items():
            counts[kind] += int(((reasons & flag > 0) & this_month).sum())


def _mistyped(dob: NDArray[np.str_]) -> NDArray[np.str_]:
    """A valid date of birth typed wrongly: day and month swapped when that is another date, else
    the day one off."""
    year, month, day = np.strings.slice(dob, 0, 4), np.strings.slice(dob, 5, 7), np.strings.slice(dob, 8, 10)
    day_number = day.astype(np.int64)
    swap = (day_number <= 12) & (day != month)
    other_day = np.strings.zfill(np.where(day_number > 1, day_number - 1, 2).astype(str), 2)
    swapped = np.strings.add(np.strings.add(year, "-"), np.strings.add(np.strings.add(day, "-"), month))
    shifted = np.strings.add(np.strings.add(year, "-"), np.strings.add(np.strings.add(month, "-"), other_day))
    result: NDArray[np.str_] = np.where(swap, swapped, shifted)
    return result


def _clear(out: Path) -> None:
    """Remove an earlier series written to ``out`` (only the folders this module writes)."""
    shutil.rmtree(out / HISTORY, ignore_errors=True)
    monthly = out / MONTHLY
    if monthly.is_dir():
        for folder in monthly.iterdir():
            if folder.is_dir() and _MONTH.match(folder.name):
                shutil.rmtree(folder)
    (out / LOAD_ORDER).unlink(missing_ok=True)
