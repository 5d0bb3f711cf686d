"""The JDL-style evaluation report: who was analysed and who not (and why), the standard
statements, the estimates table, balance (a Vega-Lite love plot with its table) and the method.

One data structure (``report_data``) feeds every format: JSON, the self-contained HTML document,
the spreadsheet and the web page, so they cannot disagree. Every count of people goes through
disclosure control as the measures' counts do: 1 to 4 is shown as ``[c]``, never as the number
(Government Statistical Service disclosure guidance; ``measures.disclosure``). Participants are
never named: the analysis zone holds only pseudonymous ids, and the report holds none at all.
"""

from __future__ import annotations

import html
from dataclasses import asdict
from pathlib import Path
from typing import Any

from localjustice.evaluate.estimate import Estimate
from localjustice.evaluate.programme_run import OUTCOMES, ProgrammeEvaluation
from localjustice.evaluate.sensitivity import GAMMA_MAX
from localjustice.measures.disclosure import MAX_SUPPRESSED_COUNT

SUPPRESSED = "[c]"
BALANCE_LIMIT_NOTE = ("Standardised mean difference: the difference in means over the pooled "
                      "standard deviation before matching (Austin 2009).")


def controlled(count: int) -> int | str:
    """A count of people as published: 1 to 4 suppressed."""
    return SUPPRESSED if 0 < count <= MAX_SUPPRESSED_COUNT else count


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def report_data(result: ProgrammeEvaluation) -> dict[str, Any]:
    """Everything the report shows, disclosure-controlled, as plain data."""
    c = result.counts
    data: dict[str, Any] = {
        "programme": {"code": result.programme.code, "name": result.programme.name,
                      "commissioner": result.programme.commissioner,
                      "index_event": result.programme.index_event},
        "period": {"from": result.start.isoformat(), "to": result.end.isoformat()},
        "analysed": {
            "participants": controlled(c.participants),
            "not_found": controlled(c.not_found),
            "outside_period": controlled(c.outside_period),
            "not_eligible": controlled(c.not_eligible),
            "not_followed_up": controlled(c.not_followed_up),
            "eligible_participants": controlled(c.treated),
            "comparison_pool": controlled(c.pool),
        },
        "refusal": result.refusal,
        "headline": result.headline,
        "statements": [asdict(s) for s in result.statements],
        "estimates": [],
        "balance": [],
        "method": None,
    }
    evaluation = result.evaluation
    if evaluation is None:
        return data
    sample = evaluation.sample
    data["analysed"].update({
        "excluded_off_support": controlled(sample.off_support),
        "excluded_outside_caliper": controlled(sample.outside_caliper),
        "matched_participants": controlled(sample.matched_treated),
        "matched_comparison": controlled(sample.matched_controls),
        "effective_comparison_size": round(evaluation.balance.effective_comparison, 1),
    })
    data["method"] = evaluation.spec.describe()
    data["balanced"] = evaluation.balance.balanced
    data["balance_threshold"] = evaluation.balance.threshold
    data["unbalanced"] = list(evaluation.balance.unbalanced)
    data["balance_warning"] = balance_warning(evaluation.balance.unbalanced,
                                              evaluation.balance.threshold)
    # Overlap of the scores (common support), per bin of the logit score, counts controlled.
    bins: dict[tuple[float, float], dict[str, Any]] = {}
    for row in evaluation.overlap:
        key = (round(float(row["score_from"]), 2), round(float(row["score_to"]), 2))
        bins.setdefault(key, {"score_from": key[0], "score_to": key[1]})[str(row["group"])] = \
            controlled(int(row["people"]))
    data["overlap"] = list(bins.values())
    data["balance"] = [
        {"variable": v.variable, "before": _round(v.smd_before, 3), "after": _round(v.smd_after, 3)}
        for v in evaluation.balance.variables]
    if result.refusal is None:
        labels = {name: label for name, label, _ in OUTCOMES}
        estimates = list(evaluation.estimates)
        if result.time_to_first is not None:
            estimates.append(result.time_to_first)
            labels[result.time_to_first.outcome] = "Days to first proven reoffence (reoffenders)"
        for e in estimates:
            per = 100.0 if e.kind == "rate" else 1.0
            data["estimates"].append({
                "outcome": e.outcome, "label": labels.get(e.outcome, e.outcome), "kind": e.kind,
                "participants": _round(per * e.treated_mean, 2),
                "comparison": _round(per * e.comparison_mean, 2),
                "estimate": _round(per * e.estimate, 2),
                "ci_lower": _round(per * e.ci_lower, 2), "ci_upper": _round(per * e.ci_upper, 2),
                "p_value": _round(e.p_value, 4), "significant": e.significant,
                "naive_difference": _round(per * e.naive_difference, 2),
                "number_needed": e.number_needed, "e_value": _round(e.e_value, 2),
                "e_value_ci": _round(e.e_value_ci, 2), **_rosenbaum(e)})
    data["time_omitted"] = result.time_omitted
    return data


def balance_warning(unbalanced: tuple[str, ...] | list[str], threshold: float) -> str | None:
    """The sentence a report shows instead of a headline when balance fails (None when not)."""
    if not unbalanced:
        return None
    return (f"Balance fails the threshold: after matching, the standardised mean difference of "
            f"{', '.join(unbalanced)} is more than {threshold:g} either way, so the comparison "
            "group is not similar enough to the participants and no headline is given. Read the "
            "estimates with that in mind.")


def _rosenbaum(e: Estimate) -> dict[str, Any]:
    """The Rosenbaum bounds of one estimate, as the report shows them (no counts of people)."""
    r = e.sensitivity
    if r is None:
        return {"rosenbaum_gamma": None, "rosenbaum_test": None, "rosenbaum": []}
    return {"rosenbaum_gamma": r.critical_gamma, "rosenbaum_test": r.test,
            "rosenbaum": [{"gamma": b.gamma, "p_upper": _round(b.p_upper, 4)} for b in r.bounds]}


def gamma_words(gamma: float | None) -> str:
    """What a critical Gamma means, in a sentence for the report."""
    if gamma is None:
        return (f"no hidden bias up to Gamma = {GAMMA_MAX:g} would make it not significant")
    if gamma <= 1.0:
        return "it is not significant even without hidden bias"
    return (f"it stops being significant if an unmeasured factor made one of two matched people "
            f"{gamma:g} times as likely to take part as the other")


def love_plot_spec(data: dict[str, Any]) -> dict[str, Any]:
    """Standardised differences before and after matching, one row per variable (Vega-Lite)."""
    rows = [{"variable": b["variable"], "when": when, "smd": b[key]}
            for b in data["balance"] for when, key in (("Before matching", "before"),
                                                       ("After matching", "after"))
            if b[key] is not None]
    threshold = float(data.get("balance_threshold", 0.1))
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Balance of the matching variables",
        "description": (f"Standardised mean differences of {len(data['balance'])} variables "
                        "before and after matching; dashed lines at plus and minus "
                        f"{threshold:g}, the balance threshold."),
        "width": 420,
        "layer": [
            {"data": {"values": rows},
             "mark": {"type": "point", "filled": True, "size": 70},
             "encoding": {
                 "y": {"field": "variable", "type": "nominal", "title": None, "sort": None},
                 "x": {"field": "smd", "type": "quantitative",
                       "title": "Standardised mean difference"},
                 "shape": {"field": "when", "type": "nominal", "title": None},
                 "color": {"field": "when", "type": "nominal", "title": None,
                           "scale": {"range": ["#d4351c", "#1d70b8"]}}}},
            {"data": {"values": [{"x": -threshold}, {"x": threshold}]},
             "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#505a5f"},
             "encoding": {"x": {"field": "x", "type": "quantitative"}}},
        ],
    }


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def as_html(data: dict[str, Any]) -> str:
    """A self-contained accessible document (no scripts): the report as the JDL lays it out."""
    from localjustice.publish.charts import render_svg

    p = data["programme"]
    parts = [f"<h1>{_e(p['name'])}: impact on proven reoffending</h1>",
             f"<p>Commissioned by {_e(p['commissioner'])}. Index dates from "
             f"{_e(data['period']['from'])} to before {_e(data['period']['to'])}.</p>"]
    if data["refusal"]:
        parts.append(f'<p class="notice">{_e(data["refusal"])}</p>')
    elif not data.get("balanced", False):
        parts.append(f'<p class="notice">{_e(data.get("balance_warning"))}</p>')
    if data["statements"]:
        parts.append("<h2>For 100 typical people</h2>")
        for s in data["statements"]:
            parts.append(f"<p>{_e(s['typical'])}</p><p>{_e(s['estimate'])}</p>")
    if data.get("time_omitted"):
        parts.append(f"<p>{_e(data['time_omitted'])}</p>")
    parts.append("<h2>Who was analysed</h2><table><caption>People in the analysis</caption>"
                 "<tbody>" + "".join(
                     f'<tr><th scope="row">{_e(k.replace("_", " ").capitalize())}</th>'
                     f"<td>{_e(v)}</td></tr>" for k, v in data["analysed"].items())
                 + "</tbody></table>")
    if data["estimates"]:
        head = ("outcome", "participants", "comparison", "difference", "95% interval", "p-value",
                "significant", "naive difference", "E-value", "critical Gamma")
        body = "".join(
            f'<tr><th scope="row">{_e(e["label"])}</th><td>{_e(e["participants"])}</td>'
            f'<td>{_e(e["comparison"])}</td><td>{_e(e["estimate"])}</td>'
            f'<td>{_e(e["ci_lower"])} to {_e(e["ci_upper"])}</td><td>{_e(e["p_value"])}</td>'
            f'<td>{"yes" if e["significant"] else "no"}</td><td>{_e(e["naive_difference"])}</td>'
            f'<td>{_e(e["e_value"])}</td><td>{_e(e.get("rosenbaum_gamma"))}</td></tr>'
            for e in data["estimates"])
        parts.append("<h2>Estimates</h2><p>Rates per 100 people; frequency per person; days "
                     "among reoffenders.</p><table><caption>Estimated effect on the participants"
                     "</caption><thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in head)
                     + f"</tr></thead><tbody>{body}</tbody></table>")
        parts.append("<h2>Sensitivity to hidden bias</h2><p>E-value: how strongly an unmeasured "
                     "confounder would have to be associated with both taking part and the "
                     "outcome to explain the estimate away. Critical Gamma (Rosenbaum bounds): "
                     "the smallest hidden bias in who takes part at which the result would stop "
                     "being significant.</p><ul>" + "".join(
                         f"<li>{_e(e['label'])}: {_e(gamma_words(e.get('rosenbaum_gamma')))}"
                         f" ({_e(e.get('rosenbaum_test'))}).</li>"
                         for e in data["estimates"] if e.get("rosenbaum_test")) + "</ul>")
    if data["balance"]:
        parts.append("<h2>Balance</h2>")
        parts.append(f"<figure>{render_svg(love_plot_spec(data), 'love-plot')}</figure>")
        parts.append(f"<p>{BALANCE_LIMIT_NOTE}</p><table><caption>Standardised mean differences"
                     '</caption><thead><tr><th scope="col">variable</th><th scope="col">before'
                     '</th><th scope="col">after</th></tr></thead><tbody>' + "".join(
                         f'<tr><th scope="row">{_e(b["variable"])}</th><td>{_e(b["before"])}'
                         f'</td><td>{_e(b["after"])}</td></tr>' for b in data["balance"])
                     + "</tbody></table>")
    if data["method"]:
        parts.append(f"<h2>Method</h2><p>{_e(data['method'])}. Outcomes by the Ministry of "
                     "Justice's proven reoffending rules (12 months' follow-up, 6 months' "
                     "waiting period). Matched-set-robust standard errors. Significance as the "
                     "Justice Data Lab defines it. See docs/evaluation.md.</p>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{_e(p['name'])}: evaluation</title><style>body{{font-family:Arial,sans-serif;"
            "max-width:960px;margin:0 auto;padding:20px;color:#0b0c0c}table{border-collapse:"
            "collapse}th,td{border-bottom:1px solid #b1b4b6;padding:6px 10px;text-align:left}"
            ".notice{border:5px solid #d4351c;padding:10px;font-weight:700}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")


def write_xlsx(data: dict[str, Any], path: Path) -> Path:
    """The report's tables as a spreadsheet: cover, analysed, estimates, balance."""
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    p = data["programme"]
    for row in ([f"{p['name']}: impact on proven reoffending"],
                [f"Index dates {data['period']['from']} to before {data['period']['to']}"],
                [data["method"] or ""], [data["refusal"] or data["headline"] or
                                         "No headline: see the balance sheet."],
                ["[c]: a count of 1 to 4 people, suppressed."]):
        cover.append(row)
    analysed = book.create_sheet("Analysed")
    analysed.append(["group", "people"])
    for k, v in data["analysed"].items():
        analysed.append([k.replace("_", " "), v])
    estimates = book.create_sheet("Estimates")
    columns = ["label", "participants", "comparison", "estimate", "ci_lower", "ci_upper",
               "p_value", "significant", "naive_difference", "e_value", "rosenbaum_gamma"]
    estimates.append(columns)
    for e in data["estimates"]:
        estimates.append([e.get(c) for c in columns])
    balance = book.create_sheet("Balance")
    balance.append(["variable", "before", "after"])
    for b in data["balance"]:
        balance.append([b["variable"], b["before"], b["after"]])
    book.save(path)
    return path


#: Where published evaluations live, under the published folder the dashboard reads.
PUBLISHED_FOLDER = "evaluations"


def publish_report(data: dict[str, Any], published_dir: Path) -> Path:
    """Write the disclosure-controlled report where the web app reads it (atomic rename, so a
    reader never sees half a file)."""
    import json

    folder = published_dir / PUBLISHED_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['programme']['code']}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
