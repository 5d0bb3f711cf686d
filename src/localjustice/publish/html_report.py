"""The HTML report: one self-contained, accessible page (no scripts, fonts or requests).

Laid out after the GOV.UK Design System (headings in order, tables with captions and ``scope``,
text summaries beside charts, colour never the only carrier of meaning) and the Analysis
Function's "Releasing statistics in spreadsheets" and "Data visualisation" guidance. Each chart
is inline SVG with a title and description, followed by its data table and a text summary.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from localjustice.measures import LEGEND, PublishedMeasure, PublishedTable
from localjustice.measures.tables import TOTAL, UNSUPPRESSED_NOTICE
from localjustice.publish.charts import chart_spec, render_svg
from localjustice.publish.finance_section import FinanceSection
from localjustice.publish.summaries import table_summary

SOURCES = (
    "Police recorded crime, victims and out-of-court disposals; court outcomes; prison custody "
    "periods; probation supervision; electronic monitoring orders; victim and witness referrals "
    "- each agency's extract under the data-sharing agreement, linked to pseudonymous persons.",
)
REFERENCES = (
    "Ministry of Justice, Guide to proven reoffending statistics (proven reoffending: cohort, "
    "index event, 12-month follow-up and 6-month waiting period).",
    "D. Lammy, An independent review into the treatment of, and outcomes for, Black, Asian and "
    "Minority Ethnic individuals in the Criminal Justice System (2017), and its statistical "
    "annex (Relative Rate Index).",
    "Youth Justice Board, work on ethnic disproportionality in the youth justice system "
    "(Relative Rate Index along the stages of the system).",
    "Youth Custody Service, Youth custody data (monthly snapshot of young people in custody).",
    "Ministry of Justice, Female Offender Strategy (2018) (short custodial sentences).",
    "Government Statistical Service, Disclosure control guidance; Analysis Function, Releasing "
    "statistics in spreadsheets; Symbols in tables.",
)

FINANCE_TITLE = "Finance: custody budgets, reinvestment deals and scenarios"

_CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:0;line-height:1.4}
header{background:#0b0c0c;color:#fff;padding:12px 30px}header p{margin:0;font-weight:700}
main{max-width:960px;margin:0 auto;padding:20px 30px}
h1{font-size:2.2rem}h2{font-size:1.6rem;border-top:2px solid #b1b4b6;padding-top:20px}
h3{font-size:1.2rem}
table{border-collapse:collapse;margin:10px 0 20px;font-size:.95rem}
caption{text-align:left;font-weight:700;padding-bottom:6px}
th,td{border-bottom:1px solid #b1b4b6;padding:6px 10px;text-align:right}
th[scope=row],th.cat,td.cat{text-align:left}
.notice{border:5px solid #d4351c;padding:10px;font-weight:700}
.inset{border-left:10px solid #b1b4b6;padding:10px 15px}
figure{margin:0 0 10px}.wide{overflow-x:auto}svg{max-width:100%;height:auto}
.headline dt{font-weight:700}.headline dd{margin:0 0 8px}
a{color:#1d70b8}a:focus{outline:3px solid #fd0;background:#fd0}
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape("" if value is None else str(value))


def _table_html(table: PublishedTable, chart_id: str, *, spec: dict[str, Any] | None = None,
                summary: str | None = None) -> str:
    """A table with its chart (``spec``, else the table's own ``chart_spec``) and its text
    summary (``summary``, else ``table_summary``)."""
    dimension = table.columns[0][0]
    head = "".join(f'<th scope="col"{" class=cat" if i == 0 else ""}>{html.escape(label)}</th>'
                   for i, (_, label) in enumerate(table.columns))
    body = []
    for row in table.rows:
        cells = "".join(f"<td>{_cell(row.get(name))}</td>" for name, _ in table.columns[1:])
        label = html.escape(str(row[dimension]))
        weight = ' style="font-weight:700"' if row[dimension] == TOTAL else ""
        body.append(f'<tr{weight}><th scope="row">{label}</th>{cells}</tr>')
    spec = spec or chart_spec(table)
    chart = (f'<figure aria-describedby="{chart_id}-s">{render_svg(spec, chart_id)}</figure>'
             if spec else "")
    return (f'<section aria-labelledby="{chart_id}-h"><h3 id="{chart_id}-h">{html.escape(table.title)}</h3>'
            f'{chart}<p id="{chart_id}-s">{html.escape(summary or table_summary(table))}</p>'
            f'<div class="wide" role="region" aria-label="{html.escape(table.title)}" tabindex="0">'
            f'<table><caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div></section>')


def _finance_html(section: FinanceSection) -> str:
    """The finance section (``finance_section``): the scenario table gets the interval chart."""
    from localjustice.finance.publish import scenario_chart_spec

    intro = "".join(f"<p>{html.escape(s)}</p>" for s in section.intro)
    tables = []
    for i, table in enumerate(section.tables):
        spec = summary = None
        if table.name == "finance_scenarios" and section.feed is not None:
            spec = scenario_chart_spec(section.feed, width=420)
            if not spec["data"]["values"]:
                spec = None
            else:
                spec["title"] = "Saving of each scenario against the baseline projection"
            summary = table.summary + (" " + spec["description"] if spec else "")
        tables.append(_table_html(table, f"finance-{i}", spec=spec, summary=summary))
    notes = "".join(f'<p class="inset">{html.escape(n)}</p>' for n in section.notes)
    return (f'<section id="finance" aria-labelledby="finance-title"><h2 id="finance-title">'
            f'{FINANCE_TITLE}</h2>{intro}{"".join(tables)}{notes}</section>')


def render_html(measures: list[PublishedMeasure], *, period_label: str, area_name: str,
                finance: FinanceSection | None = None) -> str:
    unsuppressed = any(m.unsuppressed for m in measures)
    notice = f'<p class="notice">{html.escape(UNSUPPRESSED_NOTICE)}</p>' if unsuppressed else ""
    contents = "".join(f'<li><a href="#{m.measure}">{html.escape(m.title)}</a></li>'
                       for m in measures)
    if finance is not None:
        contents += f'<li><a href="#finance">{FINANCE_TITLE}</a></li>'
        sections_after = _finance_html(finance)
    else:
        sections_after = ""
    sections = []
    for m in measures:
        headline = "".join(f"<dt>{html.escape(k.replace('_', ' ').capitalize())}</dt>"
                           f"<dd>{_cell(v)}</dd>" for k, v in m.headline.items())
        notes = "".join(f'<p class="inset">{html.escape(n)}</p>' for n in m.notes)
        tables = "".join(_table_html(t, f"{m.measure}-{i}") for i, t in enumerate(m.tables))
        sections.append(
            f'<section id="{m.measure}" aria-labelledby="{m.measure}-title">'
            f'<h2 id="{m.measure}-title">{html.escape(m.title)}</h2>{notice}'
            f'<p>{html.escape(m.methodology)}</p><dl class="headline">{headline}</dl>{notes}'
            f"{tables}</section>")
    legend = "".join(f"<li><strong>{html.escape(k)}</strong>: {html.escape(v)}</li>"
                     for k, v in LEGEND.items())
    refs = "".join(f"<li>{html.escape(r)}</li>" for r in REFERENCES)
    sources = "".join(f"<p>{html.escape(s)}</p>" for s in SOURCES)
    title = f"Local Justice outcome measures: {area_name}, {period_label}"
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><a href="#main" class="skip">Skip to main content</a>
<header><p>Local Justice</p></header>
<main id="main"><h1>{html.escape(title)}</h1>{notice}
<p>Official outcome measures of the memorandum of understanding: reoffending, repeat
victimisation, young people in custody, women's short sentences, community sentences, electronic
monitoring and disproportionality. Period: {html.escape(period_label)}. Produced
{date.today().isoformat()}.</p>
<h2 id="contents">Contents</h2><ol>{contents}<li><a href="#methodology">Methodology and
sources</a></li></ol>
{''.join(sections)}{sections_after}
<section id="methodology" aria-labelledby="methodology-title">
<h2 id="methodology-title">Methodology and sources</h2>
<h3>Data sources</h3>{sources}
<h3>Disclosure control</h3><p>Counts of 1 to 4 are suppressed; further cells are suppressed so
that no suppressed cell can be worked out from the totals; rates are not shown where the base is
under 30. Symbols used:</p><ul>{legend}</ul>
<h3>References</h3><ul>{refs}</ul></section></main></body></html>
"""
