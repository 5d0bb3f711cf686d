"""The spreadsheet: the report's tables laid out to the Analysis Function's "Releasing
statistics in spreadsheets" guidance, written with gptables: a cover sheet, a contents sheet, a
notes sheet, one table per sheet with its title, source and the symbols used, and suppressed
cells marked ``[c]`` (never left blank or zero).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from localjustice.measures import LEGEND, PublishedMeasure
from localjustice.measures.tables import UNSUPPRESSED_NOTICE
from localjustice.publish.html_report import REFERENCES, SOURCES


def _sheet_name(i: int, name: str) -> str:
    return f"T{i}_{name}"[:31]


def write_spreadsheet(measures: list[PublishedMeasure], path: Path, *, period_label: str,
                      area_name: str) -> Path:
    import gptables as gpt

    unsuppressed = any(m.unsuppressed for m in measures)
    legend = [f"{k} = {v}" for k, v in LEGEND.items()]
    sheets: dict[str, gpt.GPTable] = {}
    notes_rows: list[dict[str, str]] = []
    for m in measures:
        note_ref = f"note{len(notes_rows) + 1}"
        notes_rows.append({"Note number": note_ref, "Note text": m.methodology})
        for t in m.tables:
            frame = pd.DataFrame([[row.get(n) for n, _ in t.columns] for row in t.rows],
                                 columns=[label for _, label in t.columns])
            sheet = _sheet_name(len(sheets) + 1, re.sub(r"[^A-Za-z0-9]", "_", t.name))
            subtitles = [f"{m.title}, {period_label}. $${note_ref}$$"]
            if unsuppressed:
                subtitles.insert(0, UNSUPPRESSED_NOTICE)
            sheets[sheet] = gpt.GPTable(
                table=frame, table_name=re.sub(r"[^A-Za-z0-9_]", "_", f"table_{len(sheets) + 1}"),
                title=t.title, subtitles=subtitles, scope=area_name, source=SOURCES[0],
                legend=legend, index_columns={2: 0})
    cover = gpt.Cover(
        cover_label="Cover",
        title=f"Local Justice outcome measures: {area_name}, {period_label}",
        intro=[("UNSUPPRESSED. " if unsuppressed else "")
               + "Official outcome measures of the memorandum of understanding, one table per sheet."],
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
