"""The ``localjustice`` command: wiring only; each stage's logic lives in its own package."""

from __future__ import annotations

import json
import logging
import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console

from localjustice import casework_cli, incidents_cli
from localjustice.cli_table import Table, escape
from localjustice.errors import LocalJusticeError
from localjustice.governance.cli import board_pack, demo_step, governance_app
from localjustice.people import cli as people_cli
from localjustice.people import demo as people_demo
from localjustice.progress import rich_progress
from localjustice.settings import Settings

if TYPE_CHECKING:
    from localjustice.ingest import DeliveryResult, WarehouseStatus
    from localjustice.ingest.load import FileResult
    from localjustice.ingest.status import BatchSummary
    from localjustice.linkage.store import PersonChange

app = typer.Typer(
    help="Local Justice: joined-up criminal justice data and services for a city region.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err_console = Console(stderr=True)

Until = Annotated[str | None, typer.Option(
    "--until", metavar="YYYY-MM", help="Last month of the window (the extract is taken at its "
    "end) \\[default: the last full month before today].")]
Years = Annotated[int, typer.Option(help="Years in the window, twelve months each, ending with "
                                    "--until.")]
#: The demo's default size of London: four years at this scale keep `make demo` within 10 minutes
#: on 2 cores with peak memory well under 8 GB (benchmarks/bench_demo.py; figures in the README).
DEMO_SCALE = 0.25

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the warehouse lives \\[env: LOCALJUSTICE_DATA_DIR; "
                 "default: ./localjustice-data]."),
]


def _settings(data_dir: Path | None) -> Settings:
    """The settings, or exit 1 with the message (a production value missing, say)."""
    try:
        return Settings.from_env(data_dir)
    except LocalJusticeError as exc:
        raise _fail(exc) from None


def _fail(exc: LocalJusticeError) -> typer.Exit:
    err_console.print(f"[bold red]Error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step to stderr.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@app.command("contract-docs")
def contract_docs(
    out: Annotated[Path, typer.Option("--out", help="Markdown file to write.")] = Path("docs/contract.md"),
) -> None:
    """Write the contract reference (docs/contract.md) from the contract file."""
    from localjustice.contract import load_contract
    from localjustice.contract.docs import contract_markdown

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(contract_markdown(load_contract()), encoding="utf-8")
    console.print(f"Wrote {out}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write delivery/ and truth/ into.")],
    scale: Annotated[float, typer.Option(help="1 = London at full size.")] = 1.0,
    until: Until = None,
    years: Years = 4,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    deliveries: Annotated[str, typer.Option(
        "--deliveries", help="single: one delivery of the final state, OUT/delivery/. monthly: "
        "the same final state as one delivery per month, OUT/monthly/YYYY-MM/, each with a "
        "manifest.toml, in which records change as life goes on (releases, orders ending, "
        "late-recorded and reclassified crimes, no-crimed crimes withdrawn by the quarterly "
        "police_crimes snapshot, corrected dates of birth, broken rows re-sent fixed); "
        "OUT/load_order.txt lists the folders in the order to load them.")] = "single",
    history_until: Annotated[str | None, typer.Option(
        "--history-until", metavar="YYYY-MM", help="With --deliveries monthly: write the state at "
        "the end of this month as one delivery, OUT/history/ (every file a snapshot), and only "
        "the months after it as monthly deliveries.")] = None,
) -> None:
    """Write a synthetic multi-agency London delivery (or monthly deliveries) and its hidden truth."""
    from localjustice.synth import default_until, generate

    try:
        with rich_progress(console) as progress:
            summary = generate(out, until=until or default_until(date.today()), years=years,
                               scale=scale, seed=seed,
                               file_format=file_format, progress=progress,
                               deliveries=deliveries, history_until=history_until)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(summary.as_table())
    console.print(summary.calibration_table())
    if summary.deliveries:
        console.print(summary.deliveries_table())
        console.print(f"{len(summary.deliveries)} deliveries written under {out}; load them in the "
                      f"order of {out / 'load_order.txt'}. Truth file in {out / 'truth'}.")
    else:
        console.print(f"Delivery written to {out / 'delivery'}; truth file in {out / 'truth'}.")


#: Terminal columns below which ``ingest`` lists each file in words instead of a table.
WIDE_INGEST = 140
#: What ``ingest`` and ``status`` count for each file and batch, in the order they show them.
_COUNTS = ("read", "new", "changed", "history only", "unchanged", "withdrawn", "quarantined",
           "resolved", "warnings")


def _file_counts(f: FileResult) -> tuple[int, ...]:
    """A loaded file's counts, ``_COUNTS`` in order."""
    return (f.rows_read, f.new, f.changed, f.older, f.unchanged, f.withdrawn,
            f.rows_quarantined, f.resolved, f.rows_with_warnings)


def _file_conserved(f: FileResult) -> bool:
    return f.rows_read == f.rows_loaded + f.rows_quarantined + f.unchanged


def _print_files(result: DeliveryResult) -> None:
    """``_ingest_table``, or for a narrow terminal one line per file with its counts in words."""
    if console.width >= WIDE_INGEST:
        console.print(_ingest_table(result))
        return
    console.print(f"[bold]Delivery {escape(result.delivery)}[/]")
    for f in result.files:
        line = f"{f.source}: {f.status.replace('_', ' ')}"
        if f.status == "loaded":
            line += ": " + _in_words(_file_counts(f))
            line += "; conserved" if _file_conserved(f) else "; [bold red]NOT conserved[/]"
        console.print(line)


def _ingest_table(result: DeliveryResult) -> Table:
    table = Table(title=f"Delivery {result.delivery}")
    for name in ("source", "status", *_COUNTS, "conserved"):
        table.add_column(name, justify="right" if name in _COUNTS else "left")
    for f in result.files:
        loaded = f.status == "loaded"
        table.add_row(f.source, f.status.replace("_", " "), *(
            (*(f"{n:,}" for n in _file_counts(f)), "yes" if _file_conserved(f) else "NO")
            if loaded else ("",) * (len(_COUNTS) + 1)))
    return table


@app.command()
def ingest(
    deliveries: Annotated[list[Path], typer.Argument(
        help="Delivery folder(s) holding <source>.csv/.parquet files (and optionally "
             "manifest.toml), loaded in the order given, e.g. monthly/2026-*.")],
    data_dir: DataDir = None,
) -> None:
    """Validate deliveries against the contract and load each, all or nothing.

    A row whose record is already known becomes a new version of it; each delivery's table
    says what it added, changed, left unchanged, withdrew, held back and corrected."""
    from localjustice.ingest import ingest_delivery
    from localjustice.warehouse import open_warehouse

    settings = _settings(data_dir)
    rejected, done, loaded = 0, 0, False
    try:
        with open_warehouse(settings.warehouse_path) as warehouse:
            for delivery in deliveries:
                with rich_progress(console) as bar:
                    result = ingest_delivery(warehouse, delivery, progress=bar)
                _print_delivery(result, settings)
                rejected += len(result.still_rejected)
                loaded = loaded or result.loaded
                done += 1
    except LocalJusticeError as exc:
        if done:
            err_console.print(f"The first {done} delivery(ies) are loaded; "
                              f"{escape(str(deliveries[done]))} and any after it are not.")
        raise _fail(exc) from None
    if rejected:
        rest = "; the rest loaded" if loaded else ""
        err_console.print(f"[bold red]{rejected} file(s) rejected[/]{rest}.")
        raise typer.Exit(code=1)


def _print_delivery(result: DeliveryResult, settings: Settings) -> None:
    _print_files(result)
    for f in result.files:
        if f.message:
            console.print(f"  {escape(f.file_name)}: {escape(f.message)}")
    if result.ignored:
        console.print("  Not extracts of the contract, not read: "
                      f"{escape(', '.join(result.ignored))}")
    if not result.has_manifest and result.changed:
        console.print("  No manifest.toml: every file read as changes only (nothing withdrawn), "
                      "with no extract date and no control totals checked.")
    if not result.changed:
        still = ("; the rejected ones are still rejected, for the reasons above"
                 if result.still_rejected else "")
        console.print(f"Nothing changed: every file of this delivery was already received{still}.")
    elif not result.loaded:
        console.print("Nothing loaded: every file of this delivery that was not already received "
                      "was rejected, for the reasons above.")
    else:
        rate = result.rows_read / result.seconds if result.seconds else 0.0
        console.print(f"Loaded into {settings.warehouse_path} in {result.seconds:.1f} s "
                      f"({rate:,.0f} rows/s). See `localjustice status` for quarantine reasons.")


#: Terminal columns below which ``status`` lists each batch in two lines instead of a table of 17
#: columns, whose cells would wrap a character at a time (piped output counts as 80 columns).
WIDE_STATUS = 220


def _in_words(counts: tuple[int, ...]) -> str:
    """A batch's or file's counts, ``_COUNTS`` in order, for a terminal too narrow for a table."""
    return ", ".join(f"{name} {n:,}" for name, n in zip(_COUNTS, counts, strict=True))


def _counts(b: BatchSummary) -> tuple[int, ...]:
    return (b.rows_read, b.rows_new, b.rows_changed, b.rows_older, b.rows_unchanged,
            b.rows_withdrawn, b.rows_quarantined, b.rows_resolved, b.rows_with_warnings)


def _batches_table(state: WarehouseStatus) -> Table:
    batches = Table(title="Batches")
    for name in ("batch", "delivery", "partner", "source", "mode", "extract", "status", *_COUNTS,
                 "conserved", "at"):
        batches.add_column(name, justify="right" if name in _COUNTS else "left")
    for b in state.batches:
        batches.add_row(b.batch_id, b.delivery, b.partner, b.source, b.mode, b.extract_date,
                        b.status,
                        *((f"{n:,}" for n in _counts(b)) if b.conserved is not None else
                          ("",) * len(_COUNTS)),
                        {True: "yes", False: "NO", None: ""}[b.conserved], b.loaded_at)
    return batches


def _print_batches(state: WarehouseStatus) -> None:
    """The batches table's content for a narrow terminal: each batch's provenance, then its
    counts in words, so no number is wrapped or cut."""
    console.print("[bold]Batches[/]")
    for b in state.batches:
        extracted = f", extracted {b.extract_date}" if b.extract_date else ""
        sender = f" sent by {b.partner}" if b.partner else ""
        console.print(f"{escape(b.batch_id)}: {escape(b.source)} from delivery "
                      f"{escape(b.delivery)}{escape(sender)} ({escape(b.mode)}{escape(extracted)}), "
                      f"{b.status} at {b.loaded_at}")
        if b.conserved is not None:
            counts = _in_words(_counts(b))
            conserved = "conserved" if b.conserved else "[bold red]NOT conserved[/]"
            console.print(f"  {counts}; {conserved}")


def _reasons_table(state: WarehouseStatus, limit: int | None = None) -> Table:
    reasons = Table(title="Why rows were held back (quarantine) or flagged (warning)")
    for name in ("kind", "source", "column", "rule", "rows", "reason"):
        reasons.add_column(name, justify="right" if name == "rows" else "left")
    for r in state.reasons[:limit]:
        reasons.add_row(r.kind, r.source, r.column, r.rule, f"{r.rows:,}", r.reason)
    if limit is not None and len(state.reasons) > limit:
        reasons.caption = f"{len(state.reasons) - limit} more: localjustice status"
    return reasons


@app.command()
def status(
    data_dir: DataDir = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    open_only: Annotated[bool, typer.Option(
        "--open", help="List only the quarantined rows still waiting for a correction, by partner."
    )] = False,
) -> None:
    """Show loaded batches with row conservation and what each changed, and quarantine reasons."""
    from localjustice.ingest import warehouse_status
    from localjustice.warehouse import open_warehouse

    if output not in {"table", "json"}:
        raise _fail(LocalJusticeError("--format must be table or json."))
    settings = _settings(data_dir)
    try:
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            state = warehouse_status(warehouse)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        payload = state.as_json()
        if open_only:
            payload = {k: payload[k] for k in ("open_quarantine", "open_by_partner",
                                               "resolved_quarantine")}
        console.print_json(json.dumps(payload))
        return
    if open_only:
        _print_open(state)
        return
    if console.width >= WIDE_STATUS:
        console.print(_batches_table(state))
    else:
        _print_batches(state)
    console.print(_reasons_table(state))
    for b in state.batches:
        if b.status == "rejected":
            later = (f" The same file has since loaded, in delivery {b.loaded_later_in}."
                     if b.loaded_later_in else "")
            console.print(f"  {escape(b.file_name)} ({escape(b.delivery)}) rejected: "
                          f"{escape(b.message + later)}")
        elif b.message:
            console.print(f"  {escape(b.file_name)} ({escape(b.delivery)}): {escape(b.message)}")
    if state.resolved:
        fixed = Table(title="Quarantined rows corrected by a later delivery")
        for name in ("source", "delivery", "file", "row", "resolved by batch", "in delivery"):
            fixed.add_column(name, justify="right" if name == "row" else "left")
        for item in state.resolved[:20]:
            fixed.add_row(item.source, item.delivery, item.file_name, str(item.row_number),
                          item.resolved_by_batch, item.resolved_by_delivery)
        if len(state.resolved) > 20:
            fixed.caption = f"{len(state.resolved) - 20:,} more: localjustice status --format json"
        console.print(fixed)
    by_partner = state.open_by_partner()
    if by_partner:
        console.print(f"{sum(by_partner.values()):,} quarantined row(s) still wait for a correction "
                      f"({state.resolved_items:,} resolved by later deliveries): "
                      "`localjustice status --open` lists them by partner.")


def _print_open(state: WarehouseStatus) -> None:
    """For the data owner: what is still unresolved, per partner, by file and row (no values)."""
    if not state.open_items:
        console.print(f"No open quarantine items ({state.resolved_items:,} resolved by later "
                      "deliveries).")
        return
    for partner, count in sorted(state.open_by_partner().items()):
        table = Table(title=f"{partner}: {count:,} row(s) waiting for a correction")
        for name in ("delivery", "file", "row", "rule", "reason", "times sent"):
            table.add_column(name, justify="right" if name in ("row", "times sent") else "left")
        for item in state.open_items:
            if item.partner == partner:
                table.add_row(item.delivery, item.file_name, str(item.row_number), item.rules,
                              item.reasons, str(item.sent))
        console.print(table)
    console.print("A record sent broken again is one item, in its latest delivery ('times sent' "
                  "counts the deliveries). A later delivery that brings a valid row with the same "
                  "record key resolves it; `localjustice status` shows which batch did.")


#: The options of a steward's command that shows identifiers (``withdrawn``, ``history``).
StewardReason = Annotated[str, typer.Option("--reason", help="Why you are looking (required; "
                                            "kept in the audit log).")]
StewardBy = Annotated[str | None, typer.Option("--by", help="Name recorded in the audit log "
                                               "\\[default: $USER].")]
StewardFormat = Annotated[str, typer.Option("--format", help="table or json.")]


def _steward(by: str | None, reason: str, output: str) -> str:
    """Who is looking, for a steward's command that shows identifiers: named, with a reason.
    Without --by, the account's login name ($USER, else the system's record of the account)."""
    import getpass

    if output not in {"table", "json"}:
        raise _fail(LocalJusticeError("--format must be table or json."))
    try:
        who = by or getpass.getuser()
    except OSError:  # no login name anywhere (a container run as an unnamed uid)
        who = ""
    if not who or not reason.strip():
        raise _fail(LocalJusticeError("Say who is looking (--by NAME) and why (--reason TEXT)."))
    return who


def _audit_steward_view(settings: Settings, who: str, reason: str, subject_type: str,
                        subject_id: str, detail: dict[str, object]) -> None:
    """The audit event of a steward's look at identifiers from the CLI, written (and sealed)
    before anything is shown; if it cannot be written, nothing is."""
    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.audit import record_event, seal_pending

    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as db:
            record_event(db, actor=f"cli:{who}", role="data_steward", action="view",
                         subject_type=subject_type, subject_id=subject_id,
                         purpose=" ".join(reason.split()), detail=detail)
            db.commit()
            seal_pending(db, wait=True)
    finally:
        engine.dispose()


def _no_such_batch(given: str, of_delivery: list[tuple[str, str, int]]) -> str:
    """No batch has the id: if it names a delivery, its batches (those that withdrew first)."""
    if not of_delivery:
        return f"No batch has the id {given!r}; `localjustice status` lists them."
    listed = "; ".join(f"{b} ({f}, {n:,} withdrawn)" for b, f, n in
                       sorted(of_delivery, key=lambda x: (x[2] == 0, x[1])))
    return f"{given!r} is a delivery, not a batch; give one of its batches: {listed}."


@app.command("withdrawn")
def withdrawn(
    batch: Annotated[str, typer.Argument(help="The batch of a full snapshot, as `localjustice "
                                         "status` lists it.")],
    reason: StewardReason,
    by: StewardBy = None,
    output: StewardFormat = "table",
    data_dir: DataDir = None,
) -> None:
    """The records a full snapshot withdrew, by key, to check with the partner (restricted:
    shows identifiers; audited with the reason)."""
    from dataclasses import asdict

    from localjustice.ingest.quarantine import (
        batches_of_delivery,
        quarantine_batch,
        withdrawn_records,
    )
    from localjustice.warehouse import open_warehouse

    who = _steward(by, reason, output)
    settings = _settings(data_dir)
    try:
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            found = quarantine_batch(warehouse, batch.strip())
            if found is None:
                raise LocalJusticeError(_no_such_batch(batch.strip(), batches_of_delivery(
                    warehouse, batch.strip())))
            records = withdrawn_records(warehouse, found)
        _audit_steward_view(settings, who, reason, "quarantine_batch", found.batch_id,
                            {"withdrawn_records": len(records)})
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        console.print_json(json.dumps([asdict(r) for r in records]))
        return
    err_console.print("[bold]Restricted:[/] this view shows identifiers; for data stewards only.")
    if not records:
        console.print(f"Batch {escape(found.batch_id)} ({escape(found.file_name)}, delivery "
                      f"{escape(found.delivery)}) withdrew no record.")
        return
    table = Table(title=f"Records {found.file_name} (delivery {found.delivery}) withdrew")
    for column in records[0].key:
        table.add_column(column)
    table.add_column("version withdrawn came in")
    for r in records:
        table.add_row(*r.key.values(), r.delivery)
    console.print(table)
    console.print(f"Check with {escape(found.partner)} that each was meant to go; a record left "
                  "out by mistake comes back with its next delivery.")


@app.command("history")
def record_history(
    extract: Annotated[str, typer.Argument(help="The extract, e.g. prison_custody.")],
    key: Annotated[str, typer.Argument(help="The first column of its key, e.g. a custody_id (a "
                                       "crime_id in police_victims finds every victim of it).")],
    reason: StewardReason,
    by: StewardBy = None,
    output: StewardFormat = "table",
    data_dir: DataDir = None,
) -> None:
    """Every version of a record as the deliveries brought it, which is current, what changed,
    and its rows held back (restricted: shows identifiers; audited with the reason)."""
    from dataclasses import asdict

    from localjustice.ingest.history import STATES, record_histories
    from localjustice.warehouse import open_warehouse

    who = _steward(by, reason, output)
    if not key.strip():
        raise _fail(LocalJusticeError("Give the record's key: the first column of the extract's key, "
                                      "e.g. a custody_id."))
    settings = _settings(data_dir)
    try:
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            found = record_histories(warehouse, extract, key.strip())
        _audit_steward_view(settings, who, reason, "identity_record", f"{extract}:{key.strip()}",
                            {"records": len(found),
                             "versions": sum(len(r.versions) for r in found)})
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        console.print_json(json.dumps([asdict(r) for r in found]))
        return
    err_console.print("[bold]Restricted:[/] this view shows identifiers; for data stewards only.")
    if not found:
        console.print(f"No record of {extract} has that key, and no row of one was held back.")
        return
    for record in found:
        title = ", ".join(f"{k} {v}" for k, v in record.key.items())
        table = Table(title=f"{extract}: {title}")
        table.add_column("field")
        for number, _ in enumerate(record.versions, start=1):
            table.add_column(f"version {number}")
        table.add_row("state", *(STATES[v.state] + (f" by {v.ended_by_delivery}"
                                                    if v.ended_by_delivery else "")
                                 for v in record.versions))
        table.add_row("delivery", *(v.delivery for v in record.versions))
        table.add_row("extract date", *(v.extract_date or "not stated" for v in record.versions))
        table.add_row("loaded", *(v.loaded_at for v in record.versions))
        for column in record.columns:
            table.add_row(column, *(v.values[column] + (" (changed)" if column in v.changed
                                                                else "")
                                    for v in record.versions))
        if record.versions:
            console.print(table)
        for held in record.held_back:
            console.print(escape(f"Held back ({title}): {held.delivery}, row {held.row_number}: "
                                 f"{held.reasons}"
                                 + (f" (corrected by {held.corrected_by_delivery})"
                                    if held.corrected_by_delivery else " (waiting)")))


@app.command()
def demo(
    data_dir: DataDir = None,
    scale: Annotated[float, typer.Option(
        help="Size of synthetic London (1 = full); the default keeps `make demo` within 10 "
        "minutes on 2 cores.")] = DEMO_SCALE,
    until: Until = None,
    years: Years = 4,
    seed: Annotated[int, typer.Option()] = 1,
    monthly: Annotated[int, typer.Option(
        "--monthly", metavar="N", help="The window's last N months arrive as monthly deliveries, "
        "after one delivery of the history before them.")] = 3,
) -> None:
    """The main job on embedded defaults: synthesise London, load its history, then its latest
    months one delivery at a time (printing what each changed), link it, publish measures."""
    from localjustice.ingest import ingest_delivery, warehouse_status
    from localjustice.synth import default_until, generate
    from localjustice.synth.calendar import month_name, parse_month
    from localjustice.synth.monthly import LOAD_ORDER
    from localjustice.warehouse import open_warehouse

    settings = _settings(data_dir)
    out = settings.data_dir / "synthetic"
    if not 1 <= monthly < 12 * max(years, 1):
        raise _fail(LocalJusticeError(
            f"--monthly must be from 1 to {12 * years - 1} (the window has {12 * years} months); "
            f"got {monthly}."))
    until = until or default_until(date.today())
    try:
        history_until = month_name(parse_month(until, "--until") - monthly)
        console.rule(f"1. Synthesise London: {years} years to {until}, its history to "
                     f"{history_until} as one delivery, then {monthly} monthly deliveries")
        with rich_progress(console) as bar:
            summary = generate(out, until=until, years=years, scale=scale, seed=seed,
                               progress=bar, deliveries="monthly", history_until=history_until)
        console.print(summary.as_table())
        console.print(summary.calibration_table())
        order = (out / LOAD_ORDER).read_text(encoding="utf-8").split()
        console.rule("2. Validate and load the history, then each month")
        results = []
        with open_warehouse(settings.warehouse_path) as warehouse:
            for number, name in enumerate(order):
                with rich_progress(console) as bar:
                    result = ingest_delivery(warehouse, out / name, progress=bar)
                results.append(result)
                if number == 0 and result.changed:
                    _print_files(result)
            console.print(_deliveries_table(results))
            console.print(_reasons_table(warehouse_status(warehouse), limit=12))
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"Warehouse: {settings.warehouse_path}. Quarantine reasons and what each "
                  f"delivery changed: localjustice status --data-dir {settings.data_dir}")
    console.rule("3. Link people across agencies")
    try:
        run_linkage(settings, demo_key=True)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    _demo_report(settings)


_CHANGE_COLUMNS = ("read", "new", "changed", "unchanged", "withdrawn", "quarantined", "resolved")


def _delivery_changes(result: DeliveryResult) -> dict[str, int]:
    """What one delivery changed, summed over the files it loaded."""
    loaded = [f for f in result.files if f.status == "loaded"]
    return {
        "read": sum(f.rows_read for f in loaded), "new": sum(f.new for f in loaded),
        "changed": sum(f.changed for f in loaded), "unchanged": sum(f.unchanged for f in loaded),
        "withdrawn": sum(f.withdrawn for f in loaded),
        "quarantined": sum(f.rows_quarantined for f in loaded),
        "resolved": sum(f.resolved for f in loaded),
    }


def _deliveries_table(results: list[DeliveryResult]) -> Table:
    """One row per delivery, in load order: what each changed, summed over its files.

    Numbers are never cut short: on a narrow terminal (80 columns) the headers wrap instead."""
    rows = []
    for result in results:
        counts = _delivery_changes(result)
        files = sum(f.status == "loaded" for f in result.files)
        rejected = len(result.rejected)
        rows.append([result.delivery, (f"{files} ({rejected} rejected)" if rejected else str(files))
                     if result.changed else "already loaded",
                     *(f"{counts[k]:,}" for k in _CHANGE_COLUMNS), f"{result.seconds:.1f}"])
    table = Table(title="What each delivery changed", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    for i, name in enumerate(("delivery", "files", *_CHANGE_COLUMNS, "s")):
        widest = max((len(r[i]) for r in rows), default=1)
        table.add_column(name, justify="left" if i == 0 else "right", min_width=widest,
                         no_wrap=False, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _demo_report(settings: Settings) -> None:
    """The demo's last step: publish the measures when the analysis zone has been built."""
    from localjustice.finance import demo_finance
    from localjustice.publish import available_periods
    from localjustice.sharing import demo_sharing
    from localjustice.warehouse import open_warehouse

    with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
        ready = bool(available_periods(warehouse))
    if not ready:
        console.print("Measures: the analysis zone is empty; run `localjustice link`, then "
                      f"`localjustice report --out {settings.data_dir / 'report'}`.")
        return
    console.rule("4. Publish the measures")
    try:
        run_report(settings, settings.data_dir / "report")
        run_publish(settings)
        console.rule("5. Open victims' and witnesses' cases from the referrals")
        run_cases_import(settings, people=[("demo-caseworker", "Demo caseworker")], demo_staff=True,
                         history=True)
        console.rule("6. Evaluate the pilots (Justice Data Lab method)")
        run_evaluations(settings, DEMO_EVALUATIONS)
        demo_finance(settings, console)
        console.rule("8. Data sharing: agreements and data requests")
        demo_sharing(settings, console)
        console.rule("9. Practitioners: worklists and caseloads")
        people_demo.demo_practitioners(settings, console.print)
        demo_step(settings)
        incidents_cli.demo_incident(settings, console.print)
    except LocalJusticeError as exc:
        raise _fail(exc) from None


#: The pilots the demo evaluates: one that works and one that does not (synthetic truth).
DEMO_EVALUATIONS = ("TTG", "AAMR")


def run_evaluations(settings: Settings, codes: tuple[str, ...]) -> None:
    """Evaluate and publish each programme, printing its headline statements (CLI and demo)."""
    from localjustice.evaluate.programme_run import evaluate_programme
    from localjustice.evaluate.report import publish_report, report_data
    from localjustice.warehouse import open_configured

    with open_configured(settings, read_only=True) as warehouse:
        for code in codes:
            try:
                data = report_data(evaluate_programme(warehouse, code))
            except LocalJusticeError as exc:  # e.g. data too short for a whole follow-up
                console.print(f"{code}: not evaluated. {escape(str(exc))}")
                continue
            publish_report(data, settings.data_dir / "published")
            name = data["programme"]["name"]
            if data["refusal"]:
                console.print(f"{name}: {data['refusal']}")
                continue
            console.print(f"[bold]{name}[/]")
            if not data.get("balanced"):
                console.print(f"  {data['balance_warning']}")
            for statement in data["statements"][:1]:
                console.print(f"  {statement['typical']}")
                console.print(f"  {statement['estimate']}")
    console.print("Evaluations published: /evaluations in the web app, or "
                  "`localjustice evaluate CODE --format html`.")


app.command("board-pack")(board_pack)
app.add_typer(governance_app, name="governance")
app.add_typer(incidents_cli.app, name="incidents")
app.add_typer(casework_cli.app, name="casework")
link_app = typer.Typer(
    help="Link people across agencies into pseudonymous persons; review and report on it.",
    invoke_without_command=True,
)
app.add_typer(link_app, name="link")
from localjustice.finance import cli as finance_cli  # noqa: E402

app.add_typer(finance_cli.app, name="finance")
app.command("project")(finance_cli.project_command)
app.command("worklists")(people_cli.worklists)

ModelFile = Annotated[
    Path | None,
    typer.Option("--model", help="Reuse this saved linkage model (JSON) instead of training."),
]
TruthFile = Annotated[
    Path | None,
    typer.Option("--truth", help="Truth file (source, source_person_id, true_person_id) to "
                 "measure against \\[default: <data-dir>/synthetic/truth/person_map.csv if present]."),
]


def _default_truth(settings: Settings, truth: Path | None) -> Path | None:
    if truth is not None:
        return truth
    candidate = settings.data_dir / "synthetic" / "truth" / "person_map.csv"
    return candidate if candidate.is_file() else None


def run_linkage(settings: Settings, *, model: Path | None = None, truth: Path | None = None,
                demo_key: bool = False, full: bool = False) -> None:
    """Link the warehouse's identity zone and print what was done and how well (CLI and demo)."""
    from localjustice.linkage import link_persons, load_pseudonym_key
    from localjustice.linkage.store import person_changes
    from localjustice.warehouse import open_configured

    key = load_pseudonym_key(settings, generate_demo_key=demo_key)
    truth = _default_truth(settings, truth)
    with open_configured(settings) as warehouse, rich_progress(console) as bar:
        result = link_persons(warehouse, pseudonym_key=key, model_path=model,
                              save_model_to=settings.data_dir / "linkage-model.json",
                              truth_path=truth, progress=bar, full=full)
        changes = person_changes(warehouse, result.run_id)
    table = Table(title="Linkage (incremental)" if result.incremental else "Linkage (full)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in (
        ("records (identity variants)", f"{result.records:,}"),
        ("source persons", f"{result.units:,}"),
        ("records scored (new and changed)" if result.incremental else "records scored",
         f"{result.records_scored:,}"),
        ("pairs compared", f"{result.comparisons:,}"),
        ("links at threshold", f"{result.links:,}"),
        ("persons", f"{result.persons:,}"),
        ("events in analysis zone", f"{result.events:,}"),
        ("merges / splits since last run", f"{result.merges:,} / {result.splits:,}"),
        ("pairs queued for review", f"{result.review_queue:,}"),
        ("review decisions applied", f"{result.decisions_applied:,}"),
        ("time", f"{result.seconds:.1f} s"),
    ):
        table.add_row(name, value)
    console.print(table)
    _print_person_changes(changes, result.run_id, result.merges, result.splits)
    console.print(f"Method: {result.method_note}.")
    if result.model_path is not None and model is None:
        console.print(f"Model saved to {result.model_path}; reuse it with --model.")
    if result.quality:
        q = result.quality
        console.print(
            f"Linkage quality against {truth}: precision {q['pairwise_precision']:.4f}, "
            f"recall {q['pairwise_recall']:.4f}, F1 {q['pairwise_f1']:.4f} (pairwise); "
            f"B-cubed F1 {q['bcubed_f1']:.4f}; persons recovered exactly "
            f"{q['exact_person_share']:.1%}.")


def _print_person_changes(changes: list[PersonChange], run_id: str, merges: int,
                          splits: int) -> None:
    """Which persons this run merged or split, by pseudonymous id: an analyst following a person
    across runs needs the ids, not only the counts."""
    from localjustice.linkage.store import CLUSTER_CHANGE_TABLE

    for change, person, before, after in changes:
        if change == "merge":
            console.print(f"merged: {escape(', '.join(before))} -> {escape(person)}")
        else:
            console.print(f"split: {escape(person)} -> {escape(', '.join(after))}")
    if merges > 10 or splits > 10:
        console.print(f"(the first 10 of each; all of them are in {CLUSTER_CHANGE_TABLE}, run "
                      f"{escape(run_id)})")


@link_app.callback()
def link(
    ctx: typer.Context,
    data_dir: DataDir = None,
    model: ModelFile = None,
    truth: TruthFile = None,
    demo_key: Annotated[bool, typer.Option(
        "--demo-key", help="Generate and store a pseudonym key in the data folder when "
        "LOCALJUSTICE_PSEUDONYM_KEY is not set (demonstrations only).")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Relink everything, training a new model unless --model is given "
        "(otherwise, after a first run, only new and changed records are linked, with the "
        "last run's model).")] = False,
) -> None:
    """Deduplicate and link every person-bearing source; write the analysis zone.

    After the first run, links only new and changed records against the known persons with the
    last run's model, and updates the analysis zone for the persons they touch; `--full`
    relinks everything."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        run_linkage(_settings(data_dir), model=model, truth=truth, demo_key=demo_key, full=full)
    except LocalJusticeError as exc:
        raise _fail(exc) from None


@link_app.command("review")
def link_review(
    data_dir: DataDir = None,
    reviewer: Annotated[str | None, typer.Option(
        "--reviewer", help="Name recorded with each decision \\[default: $USER].")] = None,
    limit: Annotated[int, typer.Option(help="Pairs to show in this session.")] = 20,
) -> None:
    """Review uncertain pairs: same person, not the same, or skip (restricted-zone view)."""
    import os

    from localjustice.linkage import record_decision, review_queue
    from localjustice.linkage.review import REVIEW_FIELDS
    from localjustice.warehouse import open_warehouse

    who = reviewer or os.environ.get("USER") or ""
    if not who:
        raise _fail(LocalJusticeError("Say who is reviewing: --reviewer NAME."))
    settings = _settings(data_dir)
    err_console.print("[bold]Restricted:[/] this view shows identifiers; for data stewards only.")
    try:
        # Read the pairs and let go: holding the warehouse while someone reads them would stop
        # `localjustice link` and `ingest`; each decision opens it for writing for a moment.
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            pairs = review_queue(warehouse, limit=limit)
        if not pairs:
            console.print("Nothing to review: the queue is empty.")
            return
        decided = 0
        for number, pair in enumerate(pairs, start=1):
            table = Table(title=f"Pair {number} of {len(pairs)}: match probability "
                          f"{pair.match_probability:.3f}")
            table.add_column("field")
            table.add_column(pair.unit_id_l)
            table.add_column(pair.unit_id_r)
            for name in REVIEW_FIELDS:
                table.add_row(name,
                              "\n".join(str(v[name] or "") for v in pair.left),
                              "\n".join(str(v[name] or "") for v in pair.right))
            console.print(table)
            answer = typer.prompt("[s]ame person, [n]ot the same, s[k]ip, [q]uit",
                                  default="k").strip().lower()
            if answer == "q":
                break
            if answer in {"s", "n"}:
                with open_warehouse(settings.warehouse_path) as warehouse:
                    record_decision(warehouse, pair.unit_id_l, pair.unit_id_r,
                                    same_person=answer == "s", reviewer=who)
                decided += 1
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"{decided} decision(s) recorded by {who}; they apply from the next "
                  "`localjustice link` run, and on every run after it.")


@link_app.command("manual")
def link_manual(
    record_a: Annotated[str, typer.Argument(help="One record: SOURCE:SOURCE_PERSON_ID, e.g. "
                                            "court_outcomes:CO-123.")],
    record_b: Annotated[str, typer.Argument(help="The other record, in the same form.")],
    reason: Annotated[str, typer.Option("--reason", help="Why they are the same person (required; "
                                        "kept with the link and in the audit log).")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Name recorded with the link \\[default: $USER].")] = None,
    data_dir: DataDir = None,
) -> None:
    """Link two records the review queue does not offer, with the reason (audited as a manual
    link); the next `localjustice link` run applies it, and every run after it."""
    import os

    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.audit import record_event, seal_pending
    from localjustice.linkage import record_manual_link
    from localjustice.warehouse import open_warehouse

    who = by or os.environ.get("USER") or ""
    settings = _settings(data_dir)
    url = database_url(settings.data_dir)
    try:
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_factory(engine)() as db:
                left, right = sorted((record_a, record_b))
                record_event(db, actor=f"cli:{who}", role="data_steward", action="manual_link",
                             subject_type="linkage_pair", subject_id=f"{left}|{right}",
                             purpose="manual link of two records outside the review queue",
                             detail={"reason": " ".join(reason.split())})
                with open_warehouse(settings.warehouse_path) as warehouse:
                    record_manual_link(warehouse, record_a, record_b, reason=reason, linked_by=who)
                db.commit()
                seal_pending(db, wait=True)
        finally:
            engine.dispose()
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"Linked by {who}. The link applies from the next `localjustice link` run, and "
                  "on every run after it.")


@link_app.command("report")
def link_report(
    data_dir: DataDir = None,
    truth: TruthFile = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Linkage quality: against truth when present; match weights, link shares, blocking."""
    from localjustice.linkage import linkage_report
    from localjustice.warehouse import open_configured

    if output not in {"table", "json"}:
        raise _fail(LocalJusticeError("--format must be table or json."))
    settings = _settings(data_dir)
    try:
        with open_configured(settings, read_only=True) as warehouse:
            report = linkage_report(warehouse, truth_path=truth)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        console.print_json(json.dumps(report.as_dict(), default=str))
        return
    run = report.run
    console.print(f"Run {run['run_id']}: {run['method_note']}. {run['records']:,} records, "
                  f"{run['comparisons']:,} pairs compared, {run['persons']:,} persons, "
                  f"threshold {run['threshold']}, {run['seconds']:.1f} s.")
    if report.quality:
        quality = Table(title="Quality against the truth file")
        quality.add_column("measure")
        quality.add_column("value", justify="right")
        for name, value in report.quality.items():
            quality.add_row(name, f"{value:,.4f}" if value < 10 else f"{value:,.0f}")
        console.print(quality)
    shares = Table(title="Share of each source's persons linked")
    for name in ("source", "persons", "to same source", "to another source"):
        shares.add_column(name, justify="left" if name == "source" else "right")
    for s in report.source_shares:
        shares.add_row(s["source"], f"{s['units']:,}", f"{s['share_linked_within']:.1%}",
                       f"{s['share_linked_across']:.1%}")
    console.print(shares)
    if report.blocking_counts:
        blocking = Table(title="Blocking rules: pairs each adds")
        for name in ("rule", "pairs", "cumulative"):
            blocking.add_column(name, justify="left" if name == "rule" else "right")
        for b in report.blocking_counts:
            blocking.add_row(b["rule"], f"{b['pairs']:,}", f"{b['cumulative_pairs']:,}")
        console.print(blocking)
    if report.model_weights:
        weights = Table(title="Model: match weight of each comparison level")
        for name in ("comparison", "level", "weight", ""):
            weights.add_column(name)
        for w in report.model_weights:
            value = w["match_weight"]
            bar = "" if value is None else ("+" if value > 0 else "-") * min(30, round(abs(value)))
            weights.add_row(w["comparison"], str(w["level"]),
                            "" if value is None else f"{value:+.2f}", bar)
        console.print(weights)
    if report.weight_histogram:
        histogram = Table(title="Scored pairs by match weight")
        for name in ("match weight", "pairs", ""):
            histogram.add_column(name)
        top = max(h["pairs"] for h in report.weight_histogram)
        for h in report.weight_histogram:
            histogram.add_row(f"{h['bin_start']:+.0f} to {h['bin_end']:+.0f}",
                              f"{h['pairs']:,}", "#" * max(1, round(40 * h["pairs"] / top)))
        console.print(histogram)
    console.print(f"Merges: {report.changes['merges']:,}; splits: {report.changes['splits']:,}.")


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web app; in development, print the demo sign-ins (env: see localjustice.web.settings)."""
    from localjustice.web import WebSettings
    from localjustice.web.server import prepare, run

    try:
        settings = WebSettings.from_env(data_dir)
        demo_sign_ins = prepare(settings)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.rule(f"Local Justice at http://{host}:{port}")
    if demo_sign_ins:
        table = Table(title="Demo sign-in (one account per role; development only)")
        table.add_column("username")
        table.add_column("password")
        for username, password in demo_sign_ins.items():
            table.add_row(username, password)
        console.print(table)
        console.print(f"Kept in {settings.data_dir / 'demo-sign-in.json'}. Press Ctrl+C to stop.")
    run(settings, host=host, port=port)


users_app = typer.Typer(help="Manage the web app's user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name (email for identity-provider sign-in).")],
    role: Annotated[str, typer.Option(help="analyst, data_steward, caseworker, supervisor, board or admin.")],
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown in the app.")],
    teams: Annotated[str, typer.Option(help="Comma-separated teams.")] = "",
    identity_provider_only: Annotated[bool, typer.Option(
        "--identity-provider-only", help="No password: signs in through OpenID Connect only.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Add a user account (asks for the password unless --identity-provider-only)."""
    import getpass

    from localjustice.access import Actor
    from localjustice.appdb import make_engine, session_factory, upgrade
    from localjustice.audit import seal_pending
    from localjustice.web import WebSettings
    from localjustice.web.accounts import FormInvalid, UserForm, create_user

    password = "" if identity_provider_only else typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        settings = WebSettings.from_env(data_dir)
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        with session_factory(engine)() as db:
            user = create_user(db, Actor(username=f"cli:{getpass.getuser()}", role="admin"),
                               UserForm(username=username, display_name=display_name, role=role,
                                        teams=teams, password=password))
            db.commit()
            seal_pending(db, wait=True)
        engine.dispose()
    except FormInvalid as exc:
        for message in exc.errors.values():
            err_console.print(f"[bold red]Error:[/] {message}.")
        raise typer.Exit(code=1) from None
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"Added {user.username} ({user.role}).")


audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[Path | None, typer.Option(
        "--checkpoints", help="The signed checkpoints to check against: the checkpoint file "
        "(default: LOCALJUSTICE_AUDIT_CHECKPOINTS, else audit-checkpoints.jsonl in the data dir) "
        "or a copy of the JSON log stream.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Seal any events written since the last seal, then check the audit log's hash chain and that
    it passes through every signed checkpoint; exit 1 naming the first event or checkpoint that
    does not verify. When the signing key is at hand, a chain that verifies is then checkpointed."""
    from localjustice.appdb import database_url, make_engine, session_factory
    from localjustice.audit import (
        Anchor,
        AuditKeyError,
        checkpoints_path,
        load_public_keys,
        load_signing_key,
        read_checkpoint_file,
        seal_pending,
        verify_chain,
    )

    folder = _settings(data_dir).data_dir
    path = checkpoints or checkpoints_path(folder)
    # in production only keys from the environment count: a demo key beside the data anchors nothing
    demo = os.environ.get("LOCALJUSTICE_ENV", "").strip().lower() != "production"
    try:
        keys = load_public_keys(folder, allow_demo_key=demo)
    except AuditKeyError as exc:
        if path.exists():
            raise _fail(exc) from None
        keys = {}  # nothing signed yet, and nothing to sign with: the chain alone is checked
    read = read_checkpoint_file(path, keys)
    for line, why in read.bad:
        err_console.print(f"[bold red]The audit log does not verify:[/] checkpoint line {line} of "
                          f"{path}: {why}.")
    engine = make_engine(database_url(folder))
    signed = None
    try:
        with session_factory(engine)() as db:
            seal_pending(db, wait=True)
            report = verify_chain(db, checkpoints=read.good)
            key = load_signing_key(folder, allow_demo_key=demo)
            if report.ok and not read.bad and key is not None and report.anchored_seq < report.events:
                own = checkpoints_path(folder)  # never into a copy of the log stream given to check
                signed = Anchor(key, own).after_seal(db, report.events, report.head, force=True)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    except Exception as exc:
        raise _fail(LocalJusticeError(f"Cannot read the audit log ({type(exc).__name__}). Has the "
                                      "app database been created (localjustice serve)?")) from None
    finally:
        engine.dispose()
    if not report.ok and report.failed_checkpoint_line is not None:
        err_console.print(f"[bold red]The audit log does not verify:[/] checkpoint line "
                          f"{report.failed_checkpoint_line} of {path}: {report.problem}. "
                          + (f"Events 1-{report.anchored_seq:,} match the checkpoints before it."
                             if report.anchored_seq else "No earlier checkpoint confirms any event."))
    elif not report.ok:
        err_console.print(f"[bold red]The audit log does not verify:[/] event {report.first_bad_seq}: "
                          f"{report.problem}. {report.events:,} events before it verify.")
    if read.bad or not report.ok:
        raise typer.Exit(code=1)
    console.print(f"The audit log verifies: {report.events:,} events, none edited or deleted; "
                  + (f"{report.checkpoints:,} signed checkpoints match." if report.checkpoints
                     else "no signed checkpoint to check against yet."))
    if signed is not None:
        console.print(f"Signed a checkpoint of event {signed.seq:,} into {checkpoints_path(folder)}.")
    elif report.anchored_seq < report.events:
        console.print(f"Events after event {report.anchored_seq:,} are not yet covered by a signed "
                      f"checkpoint in {path}: compare with the checkpoints in the log stream.")


@audit_app.command("keygen")
def audit_keygen() -> None:
    """Print a new Ed25519 key pair for signing the audit log's checkpoints.

    The signing key goes only into the server's environment; the public key is all that
    `localjustice audit verify` needs, so it can be given to auditors and published."""
    from localjustice.audit import PUBLIC_KEY_ENV, SIGNING_KEY_ENV, new_key_pair

    signing, public = new_key_pair()
    console.print(f"{SIGNING_KEY_ENV}={signing}", highlight=False, soft_wrap=True)
    console.print(f"{PUBLIC_KEY_ENV}={public}", highlight=False, soft_wrap=True)


MEASURE_HELP = ("One of: proven_reoffending, repeat_victimisation, youth_custody, "
                "women_short_sentences, community_sentences, electronic_monitoring, "
                "disproportionality.")


@app.command()
def measures(
    name: Annotated[str, typer.Argument(help=f"The measure. {MEASURE_HELP}")],
    period: Annotated[str, typer.Option("--period", help="A quarter (2025Q1) or a year (2025).")],
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    unsuppressed: Annotated[bool, typer.Option(
        "--unsuppressed", help="Raw counts without disclosure control, for authorised internal "
        "analysis only; every output says so.")] = False,
    borough: Annotated[str | None, typer.Option(help="Only this borough (ONS code).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Compute an official measure for a period, disclosure-controlled unless --unsuppressed."""
    from localjustice.measures import parse_period, published_measure
    from localjustice.publish import FORMATS, as_csv, as_json, as_rich
    from localjustice.warehouse import open_configured

    if output not in FORMATS:
        raise _fail(LocalJusticeError(f"--format must be one of {', '.join(FORMATS)}."))
    settings = _settings(data_dir)
    try:
        parsed = parse_period(period)
        from localjustice.measures import measure_spec

        measure_spec(name)
        with open_configured(settings, read_only=True) as warehouse:
            result = published_measure(warehouse, name, parsed, borough=borough,
                                       unsuppressed=unsuppressed)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if unsuppressed:
        err_console.print("[bold red]UNSUPPRESSED output: authorised internal analysis only.[/]")
    if output == "json":
        typer.echo(as_json(result))
    elif output == "csv":
        typer.echo(as_csv(result), nl=False)
    else:
        console.print(as_rich(result))


def run_report(settings: Settings, out: Path, *, period: str | None = None,
               unsuppressed: bool = False) -> Path:
    """Build the HTML report and spreadsheet; print and return the HTML path (CLI and demo)."""
    from localjustice.publish import build_report
    from localjustice.warehouse import open_configured

    with open_configured(settings, read_only=True) as warehouse, \
            rich_progress(console) as bar:
        built = build_report(warehouse, out, period=period, unsuppressed=unsuppressed,
                             progress=bar)
    console.print(f"Report for {built.period}: {built.html_path.resolve()}")
    console.print(f"Spreadsheet: {built.spreadsheet_path.resolve()}")
    return built.html_path


def run_publish(settings: Settings) -> Path:
    """Write the dashboard's published measures (CLI and demo)."""
    from localjustice.publish.dashboard_feed import publish_dashboard
    from localjustice.warehouse import open_configured

    with open_configured(settings, read_only=True) as warehouse, \
            rich_progress(console) as bar:
        path = publish_dashboard(warehouse, settings.data_dir / "published", progress=bar)
    console.print(f"Dashboard measures published: {path.resolve()}")
    return path


@app.command()
def publish(data_dir: DataDir = None) -> None:
    """Publish every measure, disclosure-controlled, for the web dashboard (each quarter)."""
    try:
        run_publish(_settings(data_dir))
    except LocalJusticeError as exc:
        raise _fail(exc) from None


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")],
    period: Annotated[str | None, typer.Option(
        "--period", help="A quarter (2025Q1) or a year (2025) \\[default: latest whole year with "
        "data].")] = None,
    unsuppressed: Annotated[bool, typer.Option(
        "--unsuppressed", help="Raw counts, for authorised internal analysis only.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Write the accessible HTML report and the spreadsheet of every measure for a period."""
    try:
        run_report(_settings(data_dir), out, period=period, unsuppressed=unsuppressed)
    except LocalJusticeError as exc:
        raise _fail(exc) from None


@app.command("cases-import")
def cases_import(
    team: Annotated[str | None, typer.Option(
        "--team", help="Team for referrals whose borough no team covers \\[default: the area's first "
        "team].")] = None,
    caseworker: Annotated[list[str] | None, typer.Option(
        "--caseworker", help="USERNAME=Display name; repeat. Caseworkers of --team besides its accounts; "
        "each team's caseworkers become single points of contact in turn.")] = None,
    area: Annotated[str, typer.Option(
        "--area", help="Area whose teams (by borough) receive the cases.")] = "london",
    demo_staff: Annotated[bool, typer.Option(
        "--demo-staff", help="Create synthetic caseworker accounts per team, enough for tens of open cases "
        "each (service/caseload.toml).")] = False,
    history: Annotated[bool, typer.Option(
        "--history", help="Open older referrals' cases already closed with an outcome, their entitlements "
        "delivered (the demo's years of data).")] = False,
    today: Annotated[str | None, typer.Option(
        "--today", help="'Today' for --history and --demo-staff, YYYY-MM-DD \\[default: the real "
        "date, or the day after the last referral when the data are older than the open window].")] = None,
    data_dir: DataDir = None,
) -> None:
    """Open victims-and-witnesses cases from the warehouse's victim referrals (idempotent)."""
    people = [(c.split("=", 1)[0], c.split("=", 1)[-1]) for c in caseworker or []]
    try:
        run_cases_import(_settings(data_dir), team=team, people=people, area=area, demo_staff=demo_staff,
                         history=history, today=_parse_day(today))
    except LocalJusticeError as exc:
        raise _fail(exc) from None


def _parse_day(text: str | None) -> date | None:
    from datetime import date as day

    if text is None:
        return None
    try:
        return day.fromisoformat(text)
    except ValueError:
        raise LocalJusticeError(f"--today {text!r} is not a date: give it as YYYY-MM-DD.") from None


def run_cases_import(settings: Settings, *, team: str | None = None,
                     people: list[tuple[str, str]] | None = None, area: str = "london",
                     demo_staff: bool = False, history: bool = False,
                     today: date | None = None) -> None:
    """Open cases from the warehouse's victim referrals and print what happened (CLI and demo).

    Each referral goes to the team of its borough (the area's ``case_teams.toml``); each team's
    cases are shared among its caseworkers: their active accounts, ``people`` for the default team,
    and with ``demo_staff`` synthetic accounts created first, sized from the referral volume."""
    from localjustice.access import Actor
    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.area import load_case_teams
    from localjustice.audit import seal_pending
    from localjustice.service import Allocation, import_referrals
    from localjustice.service.caseload import (
        History,
        data_today,
        load_caseload_policy,
        open_referrals_by_team,
        plan_staff,
    )
    from localjustice.warehouse import open_warehouse
    from localjustice.web.accounts import create_staff_accounts
    from localjustice.web.accounts.caseworkers import AccountsStaff

    teams = load_case_teams(area)
    default_team = team or teams.names[0]
    policy = load_caseload_policy()
    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    actor = Actor("cli", "data_steward")
    try:
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            day = today or data_today(warehouse, policy.open_weeks)
            window = History(day, policy)
            if demo_staff:
                counts = open_referrals_by_team(warehouse, teams.team_by_borough, default_team, window)
                planned = plan_staff(teams.names, counts, policy, {t.name: t.code for t in teams.teams})
                with sessions() as db, db.begin():
                    created = create_staff_accounts(db, actor, planned)
                console.print(f"Staff: {sum(map(len, planned.values())):,} caseworkers in "
                              f"{len(planned)} teams "
                              f"({created:,} accounts created, about {policy.target_open_cases} open cases "
                              f"each), today {day:%-d %B %Y}.")
            directory = AccountsStaff(sessions)
            staff = {t: [(c.username, c.display_name) for c in directory.team_caseworkers(t)
                         if c.role == "caseworker"] for t in teams.names}
            staff.setdefault(default_team, [])
            staff[default_team] = list(dict.fromkeys([*(people or []), *staff[default_team]]))
            report = import_referrals(warehouse, sessions, actor,
                                      Allocation(default_team=default_team,
                                                 caseworkers={t: p for t, p in staff.items() if p},
                                                 team_by_borough=teams.team_by_borough),
                                      history=window if history else None)
        with sessions() as db:
            seal_pending(db, wait=True)
    finally:
        engine.dispose()
    console.print(f"Referrals read {report.referrals_read:,}, already imported {report.already_imported:,}, "
                  f"cases opened {report.cases_opened:,}, referrals joined to open cases "
                  f"{report.referrals_joined:,}, people added {report.persons_created:,}, possible "
                  f"duplicates across teams flagged for supervisors {report.possible_duplicates:,}."
                  + (f" Of the cases opened, {report.cases_closed:,} are history, closed with an outcome."
                     if history else ""))


@app.command("evaluate-table")
def evaluate_table(
    file: Annotated[Path, typer.Argument(help="A CSV or Parquet file, one row per person.")],
    treatment: Annotated[str, typer.Option("--treatment", help="Column: 1 took part, 0 did not.")],
    outcome: Annotated[str, typer.Option("--outcome", help="Outcome column(s), comma-separated.")],
    covariates: Annotated[str, typer.Option("--covariates", help="Columns to match on, "
                                            "comma-separated (text columns become indicators).")],
    method: Annotated[str, typer.Option("--method", help="nearest, optimal (pairs without "
                                        "replacement) or subclass.")] = "nearest",
    replace: Annotated[bool, typer.Option("--replace/--no-replace", help="Nearest: may one "
                                          "comparison person serve several participants.")] = True,
    ratio: Annotated[int, typer.Option("--ratio", help="Comparison people per participant.")] = 1,
    caliper: Annotated[str, typer.Option("--caliper", help="Standard deviations of the logit "
                                         "score, or 'none'.")] = "0.2",
    exact: Annotated[str, typer.Option("--exact", help="Columns that must match exactly, "
                                       "comma-separated.")] = "",
    adjust: Annotated[bool, typer.Option("--adjust", help="Also adjust the outcome regression "
                                         "for the covariates.")] = False,
    common_support: Annotated[bool, typer.Option(
        "--common-support/--no-common-support",
        help="Exclude participants outside the comparison scores' range.")] = True,
    threshold: Annotated[float, typer.Option("--balance-threshold",
                                             help="Largest acceptable |SMD| after matching.")] = 0.1,
    min_treated: Annotated[int, typer.Option("--min-treated",
                                             help="Fewest matched participants for an estimate.")] = 60,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Match and estimate on any table (propensity score matching), e.g. to check a benchmark."""
    from localjustice.evaluate import MatchingSpec, evaluate_frame, read_table
    from localjustice.evaluate.cli_output import as_json, as_rich

    if output not in ("table", "json"):
        raise _fail(LocalJusticeError("--format must be table or json."))
    try:
        width = None if caliper.strip().lower() == "none" else float(caliper)
    except ValueError:
        raise _fail(LocalJusticeError(f"--caliper must be a number or 'none'; got {caliper!r}.")) from None
    names = [c.strip() for c in covariates.split(",") if c.strip()]
    try:
        spec = MatchingSpec(method=method, ratio=ratio, caliper=width,  # type: ignore[arg-type]
                            exact=tuple(c.strip() for c in exact.split(",") if c.strip()),
                            common_support=common_support, replace=replace)
        result = evaluate_frame(read_table(file), treatment=treatment,
                                outcomes=[o.strip() for o in outcome.split(",") if o.strip()],
                                covariates=names, spec=spec, adjust=adjust, threshold=threshold,
                                min_treated=min_treated)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        typer.echo(as_json(result))
    else:
        console.print(as_rich(result))


@app.command("evaluate")
def evaluate(
    programme_code: Annotated[str, typer.Argument(metavar="PROGRAMME", help="A programme code "
                                                  "from programmes.toml, e.g. TTG.")],
    start: Annotated[str | None, typer.Option("--from", help="First index date (YYYY-MM-DD) "
                                              "\\[default: the data's first].")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Index dates before this day "
                                            "\\[default: the last with a complete follow-up].")] = None,
    output: Annotated[str, typer.Option("--format", help="table, json, html or xlsx.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Folder for html/xlsx "
                                             "\\[default: <data-dir>/evaluations].")] = None,
    data_dir: DataDir = None,
) -> None:
    """Evaluate a programme, Justice-Data-Lab style: matched comparison group, effects on proven
    reoffending, balance; counts disclosure-controlled."""
    from datetime import date

    from localjustice.evaluate.programme_run import evaluate_programme
    from localjustice.evaluate.report import as_html, publish_report, report_data, write_xlsx
    from localjustice.warehouse import open_configured

    if output not in ("table", "json", "html", "xlsx"):
        raise _fail(LocalJusticeError("--format must be table, json, html or xlsx."))
    settings = _settings(data_dir)
    try:
        try:
            first = date.fromisoformat(start) if start else None
            last = date.fromisoformat(end) if end else None
        except ValueError:
            raise LocalJusticeError("--from and --to are dates such as 2019-01-01.") from None
        with open_configured(settings, read_only=True) as warehouse:
            result = evaluate_programme(warehouse, programme_code, start=first, end=last)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    data = report_data(result)
    published = publish_report(data, settings.data_dir / "published")
    if output == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    if output in ("html", "xlsx"):
        folder = out or settings.data_dir / "evaluations"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"evaluation-{programme_code}.{output}"
        if output == "html":
            path.write_text(as_html(data), encoding="utf-8")
        else:
            write_xlsx(data, path)
        console.print(f"Evaluation of {data['programme']['name']}: {path.resolve()}")
        return
    _print_evaluation(data)
    console.print(f"Published for the web app's evaluations page: {published.resolve()}")


def _print_evaluation(data: dict[str, object]) -> None:
    """The report's statements and estimates on the terminal."""
    programme = data["programme"]
    assert isinstance(programme, dict)
    console.rule(f"{programme['name']} ({programme['code']})")
    analysed = data["analysed"]
    assert isinstance(analysed, dict)
    table = Table(title="Who was analysed", box=box.SIMPLE_HEAD)
    table.add_column("group")
    table.add_column("people", justify="right")
    for key, value in analysed.items():
        table.add_row(str(key).replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value))
    console.print(table)
    if data["refusal"]:
        console.print(f"[bold red]{data['refusal']}[/]")
    elif not data.get("balanced"):
        console.print(f"[bold red]{data.get('balance_warning')}[/]")
    for statement in data["statements"]:  # type: ignore[attr-defined]
        console.print(statement["typical"])
        console.print(statement["estimate"])
    estimates = data["estimates"]
    assert isinstance(estimates, list)
    if estimates:
        grid = Table(title="Estimates (rates per 100 people)", box=box.SIMPLE_HEAD)
        for name in ("outcome", "participants", "comparison", "difference", "95% interval", "p"):
            grid.add_column(name, justify="left" if name == "outcome" else "right")
        for e in estimates:
            grid.add_row(e["label"], str(e["participants"]), str(e["comparison"]),
                         str(e["estimate"]), f"{e['ci_lower']} to {e['ci_upper']}",
                         str(e["p_value"]))
        console.print(grid)
