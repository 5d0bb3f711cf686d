"""The spreadsheet: the report's tables laid out to the Analysis Function's "Releasing
statistics in spreadsheets" guidance, written with gptables: a cover sheet, a contents sheet, a
notes sheet, one table per sheet with its title, source and the symbols used, and suppressed
cells marked ``[c]`` (never left blank or zero).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from localjustice.measures import LEGEND, PublishedMeasure, PublishedTable
from localjustice.measures.tables import UNSUPPRESSED_NOTICE
from localjustice.publish.downloads import observation_columns, observation_row
from localjustice.publish.finance_section import FinanceSection
from localjustice.publish.html_report import REFERENCES, SOURCES


def _sheet_name(i: int, name: str) -> str:
    return f"T{i}_{name}"[:31]


#: The finance tables' source line (the figures of ``localjustice.finance``).
FINANCE_SOURCE = ("Prison custody periods and court outcomes of the linked extracts; unit costs "
                  "and the GDP deflator as published by their sources (unit_costs.toml, "
                  "deflators.toml); deals and scenarios as data (localjustice.finance).")


def _frame(table: PublishedTable) -> pd.DataFrame:
    return pd.DataFrame([[row.get(n) for n, _ in table.columns] for row in table.rows],
                        columns=[label for _, label in table.columns])


def write_spreadsheet(measures: list[PublishedMeasure], path: Path, *, period_label: str,
                      area_name: str, finance: FinanceSection | None = None) -> Path:
    """The report's spreadsheet; with ``finance``, one sheet per finance table after the
    measures' (``finance_section``), and the finance notes in the notes sheet."""
    import gptables as gpt

    unsuppressed = any(m.unsuppressed for m in measures)
    legend = [f"{k} = {v}" for k, v in LEGEND.items()]
    sheets: dict[str, gpt.GPTable] = {}
    notes_rows: list[dict[str, str]] = []
    for m in measures:
        note_ref = f"note{len(notes_rows) + 1}"
        notes_rows.append({"Note number": note_ref, "Note text": m.methodology})
        for t in m.tables:
            frame = _frame(t)
            sheet = _sheet_name(len(sheets) + 1, re.sub(r"[^A-Za-z0-9]", "_", t.name))
            subtitles = [f"{m.title}, {period_label}. $${note_ref}$$"]
            if unsuppressed:
                subtitles.insert(0, UNSUPPRESSED_NOTICE)
            sheets[sheet] = gpt.GPTable(
                table=frame, table_name=re.sub(r"[^A-Za-z0-9_]", "_", f"table_{len(sheets) + 1}"),
                title=t.title, subtitles=subtitles, scope=area_name, source=SOURCES[0],
                legend=legend, index_columns={2: 0})
    if finance is not None:
        note_ref = f"note{len(notes_rows) + 1}"
        notes_rows.append({"Note number": note_ref,
                           "Note text": " ".join([*finance.intro, *finance.notes])})
        for number, t in enumerate((t for t in finance.tables if t.rows), start=1):
            sheet = f"F{number}_{t.name.removeprefix('finance_')}"[:31]
            sheets[sheet] = gpt.GPTable(
                table=_frame(t), table_name=f"table_{len(sheets) + 1}_{t.name}"[:60],
                title=t.title, subtitles=[f"{finance.intro[0]} {t.summary} $${note_ref}$$"],
                scope=area_name, source=FINANCE_SOURCE,
                legend=[*legend, "[x] = not available"], index_columns={2: 0})
    cover = gpt.Cover(
        cover_label="Cover",
        title=f"Local Justice outcome measures: {area_name}, {period_label}",
        intro=[("UNSUPPRESSED. " if unsuppressed else "")
               + "Official outcome measures of the memorandum of understanding, one table per sheet"
               + (", then the finance tables (custody budgets, deal statements, scenarios)."
                  if finance is not None else "."),
               *(finance.intro[2:] if finance is not None else [])],
        about=["Counts of 1 to 4 are suppressed [c], with further cells suppressed so that they "
               "cannot be worked out from totals; rates are not shown where the base is under 30 [u].",
               *REFERENCES],
        contact=["Local Justice analysis team"],
    )
    notes = pd.DataFrame(notes_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    gpt.write_workbook(filename=str(path), sheets=sheets, cover=cover, contentsheet_label="Contents",
                       notes_table=notes, auto_width=True)
    return path


#: The dashboard's whole publication, beside ``measures.json`` in the publish folder.
DASHBOARD_SPREADSHEET = "measures.xlsx"


def write_dashboard_spreadsheet(payload: dict[str, Any], path: Path, *,
                                area_names: dict[str, str]) -> Path:
    """Every published observation of the dashboard, one measure per sheet, with the headlines
    first: the figures the page shows, through the same disclosure control (``[c]``, ``[u]``)."""
    import gptables as gpt

    legend = [f"{k} = {v}" for k, v in {**LEGEND, "[x]": "not available"}.items()]
    sheets: dict[str, gpt.GPTable] = {}
    headline_rows = [{
        "Outcome": h["title"], "Latest final period": (h["latest"] or {}).get("period", "[x]"),
        "Figure": (h["latest"] or {}).get("value", "[x]"),
        "95% CI lower": (h["latest"] or {}).get("low") or "[x]",
        "95% CI upper": (h["latest"] or {}).get("high") or "[x]",
        "Baseline": (h["baseline"] or {}).get("value", "[x]"),
        "Baseline is": (h["baseline"] or {}).get("label", "[x]"),
        "Change": h["change"] or "[x]", "Better or worse": h["verdict"],
    } for h in payload.get("headlines", [])]
    if headline_rows:
        sheets["Headlines"] = gpt.GPTable(
            table=pd.DataFrame(headline_rows), table_name="headlines",
            title="Headlines: latest final figures against the MoU's baselines",
            subtitles=["Better or worse only when the baseline lies outside the 95% interval."],
            scope=payload.get("area", ""), source=SOURCES[0], legend=legend, index_columns={2: 0})
    notes_rows: list[dict[str, str]] = []
    for m in payload["measures"]:
        columns = observation_columns(m["unit"])
        labels = m.get("cohort_labels", {})
        rows = [observation_row(o, status="Provisional" if o["period"] in m["provisional"] else "Final",
                                area=area_names.get(o["borough"], o["borough"]),
                                cohort=labels.get(o["cohort"], o["cohort"]))
                for o in m["observations"]]
        if not rows:  # a table of no rows is no table (gptables refuses it); the notes say so
            notes_rows.append({"Note number": f"note{len(notes_rows) + 1}",
                               "Note text": f"{m['title']}: no figures published."})
            continue
        note_ref = f"note{len(notes_rows) + 1}"
        notes_rows.append({"Note number": note_ref, "Note text": m["methodology"]["summary"] or m["title"]})
        sheet = _sheet_name(len(sheets) + 1, re.sub(r"[^A-Za-z0-9]", "_", m["id"]))
        sheets[sheet] = gpt.GPTable(
            table=pd.DataFrame([[r[k] for k, _ in columns] for r in rows],
                               columns=[label for _, label in columns]),
            table_name=re.sub(r"[^A-Za-z0-9_]", "_", f"table_{m['id']}"),
            title=f"{m['title']}, by period, area and cohort",
            subtitles=[f"{m['description']}. $${note_ref}$$"],
            scope=payload.get("area", ""), source=SOURCES[0], legend=legend, index_columns={2: 0})
    cover = gpt.Cover(
        cover_label="Cover",
        title=f"Local Justice outcomes dashboard: {payload.get('area', '')}, published "
              f"{payload['published_at']}",
        intro=["Every figure the dashboard shows, one measure per sheet, with the headlines first."],
        about=["Counts of 1 to 4 are suppressed [c], with further cells suppressed so that they "
               "cannot be worked out from totals; rates are not shown where the base is under 30 [u].",
               *REFERENCES],
        contact=["Local Justice analysis team"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.xlsx")
    gpt.write_workbook(filename=str(partial), sheets=sheets, cover=cover, contentsheet_label="Contents",
                       notes_table=pd.DataFrame(notes_rows), auto_width=True)
    partial.replace(path)
    return path
