"""``generate``: simulate, cut the delivery, add noise and faults, write delivery and truth."""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from localjustice.area import load_area
from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.progress import NullProgress, Progress
from localjustice.synth.calendar import TimeFrame, iso, last_full_month, month_name, parse_month
from localjustice.synth.calibration_check import measure, measure_by_year
from localjustice.synth.custody_estate import assign_establishments
from localjustice.synth.delivery import TRUE_PERSON, Events, build_delivery
from localjustice.synth.injected_errors import inject_errors
from localjustice.synth.monthly import (
    DELIVERY_MODES,
    MONTHLY,
    MONTHLY_INJECTED,
    DeliveryChanges,
    DeliverySettings,
    MonthlySeries,
    cancelled_crimes,
    parse_history_until,
)
from localjustice.synth.names import forenames, surnames
from localjustice.synth.offending import simulate_justice
from localjustice.synth.parameters import load_parameters
from localjustice.synth.population import People, build_people
from localjustice.synth.programmes import add_pilots
from localjustice.synth.summary import SynthSummary
from localjustice.synth.supervision import derive_supervision, requirement_masks
from localjustice.synth.victimisation import simulate_victimisation
from localjustice.synth.writer import FORMATS, write_frame, write_table

_EARLIEST_YEAR = 1990
#: Independent random streams, one per stage, so a change in one stage does not reshuffle others.
#: Stages may be added at the end only: SeedSequence children are numbered, so earlier ones keep
#: their streams.
_STAGES = ("people", "offending", "estate", "supervision", "victims", "identity", "errors", "deliveries",
           "programmes")


def _check_arguments(
    out: Path,
    scale: float,
    until: str,
    years: int,
    file_format: str,
    error_rate: float,
    deliveries: str,
    history_until: str | None,
    today: date,
) -> int | None:
    """Refuse arguments that cannot work; return the history month's index, if one is given."""
    if not math.isfinite(scale) or scale <= 0:
        raise LocalJusticeError(f"scale must be a positive number (1 = one year of London); got {scale}.")
    if years < 1:
        raise LocalJusticeError(f"years must be at least 1; got {years}.")
    if file_format not in FORMATS:
        raise LocalJusticeError(f"Unknown file format {file_format!r}; use one of {', '.join(FORMATS)}.")
    if not 0 <= error_rate <= 0.5:
        raise LocalJusticeError(f"error_rate must be between 0 and 0.5; got {error_rate}.")
    if deliveries not in DELIVERY_MODES:
        raise LocalJusticeError(f"Unknown deliveries {deliveries!r}; use one of {', '.join(DELIVERY_MODES)}.")
    if history_until is not None and deliveries != "monthly":
        raise LocalJusticeError("history_until needs monthly deliveries (--deliveries monthly).")
    last = parse_month(until, "until")
    first = last - 12 * years + 1
    latest = last_full_month(today)
    if first < parse_month(f"{_EARLIEST_YEAR}-01") or last > latest:
        raise LocalJusticeError(
            f"The delivery must cover whole past months from {_EARLIEST_YEAR}-01 to "
            f"{month_name(latest)}; {month_name(first)}..{until} is outside that (the contract "
            f"forbids dates in the future)."
        )
    history_index = parse_history_until(history_until, first, 12 * years)
    try:
        for folder in (out / ("delivery" if deliveries == "single" else MONTHLY), out / "truth"):
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
    except OSError as exc:
        raise LocalJusticeError(
            f"Cannot write to {out}: {exc.strerror or exc}. Choose a writable folder."
        ) from None
    return history_index


def default_until(today: date) -> str:
    """The last full month before ``today`` as ``YYYY-MM`` (2026-12-02 gives 2026-11): the end of
    the window that ``synth`` and ``demo`` simulate when not told otherwise, so that their data
    are current."""
    return month_name(last_full_month(today))


def _true_ids(person: np.ndarray) -> np.ndarray:
    return np.strings.add("TP", np.strings.zfill((np.asarray(person) + 1).astype(str), 8))


def _people_truth(people: People, persons: np.ndarray, area_codes: np.ndarray) -> pd.DataFrame:
    middle = people.middle_name[persons]
    return pd.DataFrame(
        {
            "true_person_id": _true_ids(persons),
            "forename": forenames().names[people.forename[persons]],
            "middle_names": np.where(middle >= 0, forenames().names[np.maximum(middle, 0)], ""),
            "surname": surnames().names[people.surname[persons]],
            "date_of_birth": iso(people.birth_day[persons]),
            "sex": people.sex[persons],
            "ethnicity": people.ethnicity[persons],
            "home_borough_code": area_codes[people.home_borough[persons]],
            "moved_date": np.where(
                people.moved_day[persons] < 10**7, iso(np.minimum(people.moved_day[persons], 10**7)), ""
            ),
            "new_borough_code": area_codes[people.new_borough[persons]],
            "offender_pool": persons < people.n_offender,
        }
    )


def generate(
    out: Path,
    *,
    until: str,
    years: int = 4,
    scale: float = 1.0,
    seed: int = 1,
    file_format: str = "csv",
    progress: Progress = NullProgress(),  # noqa: B008 - a stateless default
    error_rate: float = 0.001,
    deliveries: str = "single",
    history_until: str | None = None,
    today: date | None = None,
) -> SynthSummary:
    """Write a synthetic London delivery to ``out/delivery`` and its hidden truth to ``out/truth``.

    The window is ``years`` twelve-month years ending with the month ``until`` (``YYYY-MM``; the
    CLI's default is the last full month before today, ``default_until``); it must lie in the
    past. ``scale`` 1 is London at full size (see ``calibration.toml`` for the targets, per year,
    and their sources). The same arguments give byte-identical files. Raises ``LocalJusticeError``
    for arguments that cannot work.

    ``deliveries="monthly"`` writes the same final state as one delivery per month instead
    (``out/monthly/YYYY-MM/``, each with a manifest; see ``localjustice.synth.monthly``), and with
    ``history_until="YYYY-MM"`` the months up to that one as one delivery ``out/history/``.
    """
    out = Path(out)
    today = today or date.today()
    history_index = _check_arguments(
        out, scale, until, years, file_format, error_rate, deliveries, history_until, today
    )
    began = time.perf_counter()
    params = load_parameters()
    delivery_settings = DeliverySettings.from_parameters(params)
    area = load_area("london")
    contract = load_contract()
    sim = params.section("simulation")
    frame = TimeFrame.ending(until, years, int(sim["burn_in_years"]), int(sim["follow_up_years"]))
    streams = dict(
        zip(
            _STAGES,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STAGES))),
            strict=True,
        )
    )

    people = build_people(streams["people"], params, area, frame, scale)
    months = len(frame.month_bounds()) - 1
    history = simulate_justice(
        people,
        params,
        frame,
        streams["offending"],
        progress.step("Simulating offending and sentencing (months)", months),
    )
    pilots = add_pilots(history, people, params, frame, scale, streams["programmes"])
    history = pilots.history
    step = progress.step("Supervision, monitoring and victims", 3)
    custody = assign_establishments(history.custody, people, area, params, streams["estate"])
    masks = requirement_masks(history.cases, params, streams["supervision"])
    supervision = derive_supervision(history, people, params, streams["supervision"], masks)
    step.advance(1)
    victimisation = simulate_victimisation(history, people, params, area, frame, scale, streams["victims"])
    step.advance(1)
    events = Events(
        history=history,
        custody=custody,
        supervision=supervision,
        victimisation=victimisation,
        requirement_mask=masks,
        participants=pilots.participants,
    )
    calibration = measure(events, people, area, params, frame, scale)
    calibration_by_year = measure_by_year(events, people, area, params, frame, scale)
    step.advance(1)

    step = progress.step("Writing source identities", 1)
    tables = build_delivery(events, people, area, params, frame, streams["identity"])
    step.advance(1)
    person_map = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": source,
                    "source_person_id": t["source_person_id"].to_numpy(),
                    "true_person_id": _true_ids(t[TRUE_PERSON].to_numpy()),
                }
            ).drop_duplicates()
            for source, t in tables.items()
            if TRUE_PERSON in t
        ],
        ignore_index=True,
    )
    people_counts = {s: int(t[TRUE_PERSON].nunique()) for s, t in tables.items() if TRUE_PERSON in t}
    appearing = np.unique(
        np.concatenate([t[TRUE_PERSON].to_numpy() for t in tables.values() if TRUE_PERSON in t])
    )
    delivered = {s: t.drop(columns=[TRUE_PERSON], errors="ignore") for s, t in tables.items()}
    window_months = 12 * years
    # No-crimed crimes are drawn in either layout, so the single delivery is the monthly final state.
    cancelled = cancelled_crimes(
        delivered, frame.first_month, window_months, delivery_settings, streams["deliveries"]
    )
    universe = {s: t.copy() for s, t in delivered.items()} if deliveries == "monthly" else {}
    delivered["police_crimes"] = delivered["police_crimes"][~cancelled].reset_index(drop=True)
    injected = inject_errors(delivered, error_rate, streams["errors"])

    step = progress.step("Writing files", len(delivered) + 1)
    truth_dir = out / "truth"
    reports: tuple[DeliveryChanges, ...] = ()
    if deliveries == "single":
        delivery_dir = out / "delivery"
        for source, table in delivered.items():
            for fmt in FORMATS:
                (delivery_dir / f"{source}.{fmt}").unlink(missing_ok=True)
            write_table(table, delivery_dir / f"{source}.{file_format}", file_format)
            step.advance(1)
    else:
        series = MonthlySeries(
            universe,
            cancelled,
            delivered,
            injected,
            frame.first_month,
            window_months,
            delivery_settings,
            streams["deliveries"],
        )
        series.add_life()
        series.plan(0 if history_index is None else history_index, error_rate)
        written, injected = series.write(out, history_index, file_format)
        reports = tuple(written)
        step.advance(len(delivered))
    area_codes = np.array([la.code for la in area.local_authorities])
    write_frame(person_map, truth_dir / "person_map.csv")
    write_frame(pilots.effects, truth_dir / "programme_effects.csv")
    write_frame(_people_truth(people, appearing, area_codes), truth_dir / "people.parquet")
    write_frame(injected, truth_dir / ("injected_errors.csv" if deliveries == "single" else MONTHLY_INJECTED))
    report = {
        "contract_version": contract.version,
        "scale": scale,
        "window": {"first_month": month_name(frame.first_month), "until": until},
        "years": years,
        "seed": seed,
        "follow_up": "Rates use follow-up simulated internally after the delivered years; "
        "see localjustice.synth.proven_reoffending.",
        "measures": {name: m.as_json() for name, m in calibration.items()},
        "measures_by_year": {label: {name: m.as_json() for name, m in year.items()}
                             for label, year in calibration_by_year.items()},
    }
    (truth_dir / "calibration.json").write_text(
        json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    step.advance(1)
    return SynthSummary(
        rows={s: len(t) for s, t in delivered.items()},
        people=people_counts,
        distinct_people=len(appearing),
        injected_errors=len(injected),
        elapsed_seconds=time.perf_counter() - began,
        calibration=calibration,
        calibration_by_year=calibration_by_year,
        deliveries=reports,
    )
