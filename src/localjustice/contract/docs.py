"""The contract as Markdown, generated from ``extracts.toml`` so the docs cannot drift from the code."""

from __future__ import annotations

from localjustice.contract.schema import Column, Contract, RowRule


def _column_rule(column: Column) -> str:
    parts: list[str] = []
    if column.required:
        parts.append("required")
    if column.unique:
        parts.append("unique")
    if column.codes and column.type == "code":
        parts.append("one of " + ", ".join(f"`{c}`" for c in column.codes))
    if column.codes and column.type == "code_list":
        parts.append("`;`-separated, of " + ", ".join(f"`{c}`" for c in column.codes))
    if column.pattern_name:
        parts.append(f"format `{column.pattern_name}`")
    if column.not_future:
        parts.append("not after the extract date (the load date without a manifest)")
    if column.minimum is not None:
        parts.append(f"at least {column.minimum}")
    if column.warning:
        parts.append("a bad value is a warning: the row is kept and counted")
    if column.doc:
        parts.append(column.doc)
    return "; ".join(parts)


def _rule_text(rule: RowRule) -> str:
    match rule.kind:
        case "not_before":
            return f"`{rule.column}` is not before `{rule.other}`"
        case "required_when":
            return f"`{rule.column}` is given if and only if `{rule.when}` is {', '.join(rule.values)}"
        case "positive_when":
            return (f"`{rule.column}` is a whole number above 0 if and only if `{rule.when}` is "
                    f"{', '.join(rule.values)}")
        case "references":
            return f"`{rule.column}` matches a `{rule.file}.{rule.other}` of this or an earlier delivery"
        case "age_between":
            return f"the age from `date_of_birth` is {rule.min} to {rule.max} on the event date"
    raise AssertionError(rule.kind)


DELIVERIES_SECTION = (
    "## Deliveries and the manifest",
    "",
    "Partners send a delivery every month (or week): a folder of extract files and, optionally, a",
    "`manifest.toml`. Each extract's **record key** (below) names one record across deliveries. A",
    "row whose key is already known is a **new version** of that record: every version is kept",
    "(`identity.<extract>`, with the batch that brought it), and linkage, the measures and the case",
    "service read the current one (`identity.current_<extract>`). A row identical to the current",
    "version changes nothing. A new version that breaks a rule is quarantined on its own and the",
    "previous version stays current; a later valid row of a quarantined record resolves that",
    "quarantine item (`localjustice status --open` lists what is still waiting, per partner). Two",
    "rows with the same key in one file are both quarantined.",
    "",
    "The manifest states who sent the delivery, when it was extracted, and for each file whether it",
    "is a full snapshot or changes only, with a control total:",
    "",
    "```toml",
    'partner = "HM Prison and Probation Service"  # optional: who sent the delivery',
    "extract_date = 2026-10-31                     # required: the date the data were extracted",
    "[files.prison_custody]                        # one table per file, named by extract",
    'mode = "snapshot"                             # "snapshot" or "changes" (the default)',
    "rows = 1234                                   # optional: data rows in the file, header excluded",
    "withdraw_most = false                         # optional: see below",
    "```",
    "",
    "- `snapshot`: the file is the whole current set of that extract; a current record whose key",
    "  it lacks is **withdrawn** (kept in history, no longer current) and counted on the batch. A",
    "  quarantined row of the snapshot still counts as present.",
    "- `changes`: the file holds new and changed records only; nothing is withdrawn. A file the",
    "  manifest lists as `changes` may hold a header and no rows: nothing changed this time.",
    "- A `snapshot` with no rows is rejected (it would withdraw every record), and so is a file",
    "  with no rows that the manifest does not list (an export gone wrong, until someone says",
    "  otherwise).",
    "- A `snapshot` that would withdraw more than half of the current records (and at least 100)",
    "  is rejected as a likely partial export, with the numbers; if the partner confirms the",
    "  records are gone, `withdraw_most = true` in the file's entry lets it load. A withdrawn",
    "  record that current records of another extract still refer to (a crime with current",
    "  victims) is named on the batch.",
    "- A file in the folder that the manifest does not list loads as `changes` with no control",
    "  total, and its batch says so.",
    "- The manifest is named `manifest.toml`, in lower case: a delivery holding a file named",
    "  like it (`Manifest.toml`, `manifest.toml.txt`) is refused rather than read as having none.",
    "- Each row is a whole version of its record, so a later file must carry every optional",
    "  column its extract's records hold values in (empty cells are fine); a file whose header",
    "  lacks one, renamed or dropped, is rejected with the column named.",
    "- `rows`: a file whose data rows differ from its control total is rejected with both numbers;",
    "  the rest of the delivery loads. Once the manifest is corrected the same file loads.",
    "- A file whose rows refer to the records of a file rejected in the same delivery (victims,",
    "  when the crimes are rejected) is rejected too, rather than loaded with each such row held",
    "  back; sent again with a file that loads, it loads.",
    "- A delivery extracted before one already loaded for the same extract (sent late) never",
    "  overrides what a later extract stated: a row of a record a later extract sent, sent again",
    "  unchanged or held in a later full snapshot is kept as history only; a row of a record no",
    "  later extract mentioned is applied. A late snapshot withdraws only records no later extract",
    "  stated, and none after a later full snapshot (the batch says so).",
    "- A manifest that is malformed, names an unknown extract or a file the folder lacks, or gives",
    "  an extract date in the future refuses the whole delivery with the mistake named.",
    "- A file already loaded, with the same manifest entry and extract date, is a re-send and",
    "  changes nothing. The same bytes with a later extract date are a delivery of their own, so a",
    "  record put back to an earlier state becomes current again.",
    "- Without a manifest every file is `changes`, with no extract date and no control total, and",
    "  a file identical to one already loaded is taken as a re-send: send a manifest to restate an",
    "  earlier state.",
)


def contract_markdown(contract: Contract) -> str:
    lines = [
        "# The extract contract (generated)",
        "",
        "Generated by `localjustice contract-docs` from `src/localjustice/contract/extracts.toml`;",
        "do not edit by hand. The prose original is `shared/contract/EXTRACTS.md`.",
        f"Contract version {contract.version}.",
        "",
        "A bad value in a row quarantines that row with the rule's name and a reason; a missing",
        "required column, an empty or unreadable file, or a file that is not UTF-8 rejects the file.",
        "A record key holding a tab, a line break or another invisible character, and a required",
        "cell holding nothing else, are bad values too; so is a whole number of more than 18 digits.",
        "",
        *DELIVERIES_SECTION,
    ]
    for extract in contract.files.values():
        key = " and ".join(f"`{k}`" for k in extract.key)
        lines += ["", f"## {extract.name}", "", extract.doc,
                  f"Sent by: {extract.partner}. Record key: {key}.", "",
                  "| column | type | rule |", "|---|---|---|"]
        for column in extract.columns:
            lines.append(f"| {column.name} | {column.type} | {_column_rule(column)} |")
        event = extract.event_date.replace(".", " ")
        lines += ["", f"Event date (for the age rule): `{event}`."]
        if extract.rules:
            lines += ["", "Row rules:"] + [f"- {_rule_text(r)}" for r in extract.rules]
    return "\n".join(lines) + "\n"
