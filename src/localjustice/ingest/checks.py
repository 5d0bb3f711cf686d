"""Every rule of the contract as a set-wise check over a staged file.

Each check is a SQL condition that is true when a row breaks the rule, with the column, the rule's
name and a reason a data owner can act on. The reasons name columns and allowed values, never the
value found, so they are safe to show and log. All checks are combined into one query that gives
every row a list of violations (rejections) and a list of warnings; ingestion then splits rows on
that list in the engine. No row is ever examined in Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from localjustice.contract import PNC_CHECK_LETTERS, Column, Contract, ExtractFile, RowRule
from localjustice.ingest.sql import ident, literal, literal_list, value
from localjustice.warehouse import current_table, identity_table
from localjustice.warehouse.layout import VERSION_END_TABLE

_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INTEGER = r"^-?[0-9]{1,18}$"
#: what TRIM leaves at the ends of a cell that is still empty to a reader
_BLANKS = "".join(chr(c) for c in range(1, 33))
#: control and zero-width characters, which no record key holds
_INVISIBLE = "[\\x00-\\x1f\\x7f\\x{200b}-\\x{200d}\\x{2060}\\x{feff}]"
_PATTERN_NAMES = {
    "postcode": "UK postcode",
    "ons_local_authority": "ONS local authority code (such as E09000001)",
    "pnc_id": "PNC id in the form YYYY/NNNNNNNL",
}


@dataclass(frozen=True)
class Check:
    """One rule as SQL: ``condition`` is true on a row that breaks it."""

    column: str
    rule: str
    reason: str
    condition: str
    warning: bool = False

    def as_struct(self) -> str:
        return (
            f"CASE WHEN {self.condition} THEN {{'column': {literal(self.column)}, "
            f"'rule': {literal(self.rule)}, 'reason': {literal(self.reason)}}} END"
        )


def _as_date(column: str) -> str:
    """The strictly parsed date of a cleaned date column (NULL when missing or malformed)."""
    return ident(f"_d_{column}")


def cleaned_sql(extract: ExtractFile, stage: str) -> str:
    """The staged rows with each contract cell trimmed (empty -> NULL) and each date parsed once,
    so that the many rules reading one cell do not each redo that work."""
    cols = [f"{value(c.name)} AS {ident(c.name)}" for c in extract.columns]
    dates = [
        f"CASE WHEN regexp_full_match({value(c.name)}, '{_ISO_DATE}') "
        f"THEN TRY_CAST({value(c.name)} AS DATE) END AS {_as_date(c.name)}"
        for c in extract.columns if c.type == "date"
    ]
    return f"SELECT _row, {', '.join(cols + dates)} FROM {stage}"


def normalised(column: Column) -> str:
    """The value as checked and stored: postcodes upper-cased with their spaces removed."""
    if column.normalise == "postcode":
        return f"upper(replace({ident(column.name)}, ' ', ''))"
    return ident(column.name)


def pnc_check_letter_ok(column: str) -> str:
    """The letter at ((yy * 10^7 + serial) mod 23) of the table; yy || serial is that number."""
    v = ident(column)
    number = f"TRY_CAST(substr({v}, 3, 2) || substr({v}, 6, 7) AS BIGINT)"
    return f"substr('{PNC_CHECK_LETTERS}', CAST({number} % 23 AS INTEGER) + 1, 1) = substr({v}, 13, 1)"


def code_list_pattern(codes: tuple[str, ...]) -> str:
    """A `;`-separated list of known codes, allowing spaces, tabs and empty items: exactly the
    white space the stored list drops (``ingest.load._typed``). A line break or form feed inside
    a cell is not allowed: it would be stored inside a code, which then matches nothing."""
    one = "(" + "|".join(re.escape(c) for c in codes) + ")"
    gap = "[ \\t]*"
    return f"^{gap}{one}?({gap};{gap}{one}?)*{gap}$"


def column_checks(column: Column, *, as_of: date) -> list[Check]:
    name = column.name
    v = ident(name)
    present = f"{v} IS NOT NULL"
    checks: list[Check] = []
    if column.required:
        # a cell of only tabs or line breaks (which TRIM leaves) is empty too; the cheap byte
        # comparison keeps the trim off every cell that starts with a printable character
        # (a CASE, not AND: in the projection that lists a row's violations DuckDB evaluates
        # both sides of an AND for every row, and the trim then cost 3 CPU s a million cells)
        blank = f"CASE WHEN {v} < '!' THEN trim({v}, {literal(_BLANKS)}) = '' ELSE FALSE END"
        checks.append(Check(name, "required", f"{name} is required and is empty",
                            f"{v} IS NULL OR {blank}"))
    if column.type == "date":
        checks.append(Check(
            name, "date_format", f"{name} must be a real date written YYYY-MM-DD",
            f"{present} AND {_as_date(name)} IS NULL",
        ))
        if column.not_future:
            checks.append(Check(
                name, "not_future", f"{name} is later than {as_of.isoformat()}, the day the data "
                "were extracted (or, without a manifest, loaded)",
                f"{_as_date(name)} > DATE '{as_of.isoformat()}'",
            ))
    elif column.type == "integer":
        checks.append(Check(
            name, "integer", f"{name} must be a whole number (of at most 18 digits)",
            # a number too large to store failed the whole delivery in the engine's cast
            f"{present} AND NOT regexp_full_match({v}, '{_INTEGER}')",
        ))
        if column.minimum is not None:
            checks.append(Check(
                name, "minimum", f"{name} must be at least {column.minimum}",
                f"TRY_CAST({v} AS BIGINT) < {column.minimum}",
            ))
    elif column.type == "code":
        checks.append(Check(
            name, "code", f"{name} must be one of: {', '.join(column.codes)}",
            f"{present} AND {v} NOT IN {literal_list(column.codes)}",
        ))
    elif column.type == "code_list":
        checks.append(Check(
            name, "code", f"{name} must list only (separated by ;): {', '.join(column.codes)}",
            f"{present} AND NOT regexp_full_match({v}, {literal(code_list_pattern(column.codes))})",
        ))
    if column.pattern is not None:
        label = _PATTERN_NAMES.get(column.pattern_name or "", column.pattern_name or "")
        bad = f"{present} AND NOT regexp_full_match({normalised(column)}, {literal(column.pattern)})"
        if column.warning:
            checks.append(Check(
                name, "format", f"{name} is not a {label}; kept as given, not used as a key",
                bad, warning=True,
            ))
        else:
            checks.append(Check(name, "format", f"{name} must be a valid {label}", bad))
    if column.name == "pnc_id":
        ok_format = f"COALESCE(regexp_full_match({v}, {literal(column.pattern or '')}), FALSE)"
        checks.append(Check(
            name, "check_letter",
            "pnc_id check letter is wrong; kept as given, not used as a key",
            f"{present} AND {ok_format} AND NOT ({pnc_check_letter_ok(name)})",
            warning=True,
        ))
    return checks


def _event_date(extract: ExtractFile) -> str:
    if "." in extract.event_date:
        return "_event_date_ref"
    return _as_date(extract.event_date)


def rule_checks(extract: ExtractFile, rule: RowRule) -> list[Check]:
    if rule.kind == "not_before":
        return [Check(
            rule.column, "not_before", f"{rule.column} is before {rule.other}",
            f"{_as_date(rule.column)} < {_as_date(rule.other)}",
        )]
    if rule.kind in {"required_when", "positive_when"}:
        values = ", ".join(rule.values)
        applies = f"COALESCE({ident(rule.when)} IN {literal_list(rule.values)}, FALSE)"
        v = ident(rule.column)
        if rule.kind == "required_when":
            missing = Check(
                rule.column, "required_when", f"{rule.column} is required when {rule.when} is "
                f"{values}", f"{applies} AND {v} IS NULL",
            )
        else:
            missing = Check(
                rule.column, "positive_when", f"{rule.column} must be a whole number above 0 when "
                f"{rule.when} is {values}",
                f"{applies} AND COALESCE(TRY_CAST({v} AS BIGINT) <= 0, TRUE)",
            )
        return [missing, Check(
            rule.column, "not_applicable", f"{rule.column} must be empty unless {rule.when} is "
            f"{values}", f"NOT {applies} AND {v} IS NOT NULL",
        )]
    if rule.kind == "references":
        return [Check(
            rule.column, "references", f"{rule.column} matches no {rule.file}.{rule.other} in "
            "this or an earlier delivery",
            f"{ident(rule.column)} IS NOT NULL AND NOT _ref_{rule.column}",
        )]
    if rule.kind == "age_between":
        dob = _as_date("date_of_birth")
        event = _event_date(extract)
        other, _, column = extract.event_date.rpartition(".")
        # "on its committed_date", or for a victim "on the committed_date of its crime in
        # police_crimes": what a data owner can look up
        event_name = f"the {column} of its record in {other}" if other else f"its {column}"
        return [Check(
            "date_of_birth", "age_between",
            f"date_of_birth gives an age outside {rule.min} to {rule.max} on {event_name}",
            f"date_sub('year', {dob}, {event}) NOT BETWEEN {rule.min} AND {rule.max}",
        )]
    raise AssertionError(f"unhandled rule kind {rule.kind}")


def key_label(extract: ExtractFile) -> str:
    return " and ".join(extract.key)


def uniqueness_checks(extract: ExtractFile) -> list[Check]:
    """Two rows of one file with the same natural key: the source has not said which is right.

    A key already loaded from an earlier delivery is not a problem: that row is a new version of
    the record (``ingest.load``)."""
    together = " together" if len(extract.key) > 1 else ""
    return [Check(
        extract.key[0], "unique", f"{key_label(extract)} appear{'s' if not together else ''}"
        f"{together} on more than one row of this file; all copies are held back until the "
        "source says which is right", "_dup_key",
    )]


def key_checks(extract: ExtractFile) -> list[Check]:
    """A key holding a tab, a line break, another control character or a zero-width character
    looks like another record's key but is not: ``CR1`` followed by a tab would load as a new
    record beside ``CR1``, and a later version would never find it."""
    return [Check(k, "key_characters", f"{k} holds a tab, line break or other invisible "
                  "character; a record key must be printable",
                  f"regexp_matches({ident(k)}, {literal(_INVISIBLE)})") for k in extract.key]


def key_text_sql(extract: ExtractFile, alias: str = "", *, raw: bool = False) -> str:
    """The natural key as one text value (parts joined by a unit separator), for matching a
    quarantined row with a later version of it. ``raw``: from a staged file's text cells,
    trimmed as the contract reads them (the same value the typed key column holds)."""
    prefix = f"{alias}." if alias else ""
    parts = [f"NULLIF(TRIM({prefix}{ident(k)}), '')" if raw else f"{prefix}{ident(k)}"
             for k in extract.key]
    return parts[0] if len(parts) == 1 else f"concat_ws(chr(31), {', '.join(parts)})"


def all_checks(extract: ExtractFile, *, as_of: date) -> list[Check]:
    checks = [c for col in extract.columns for c in column_checks(col, as_of=as_of)]
    checks += [c for rule in extract.rules for c in rule_checks(extract, rule)]
    checks += key_checks(extract)
    checks += uniqueness_checks(extract)
    return checks


def checked_rows_sql(contract: Contract, extract: ExtractFile, stage: str, *, as_of: date,
                     cleaned: str | None = None, current: Mapping[str, str] | None = None) -> str:
    """One query over the staged file: each row that breaks a rule or earns a warning, with the
    lists of its violations and warnings. ``cleaned``: a table already holding
    ``cleaned_sql(extract, stage)``, so the file is cleaned once for the checks and the insert.
    ``current``: for a referenced extract, a query of what it will hold once this delivery's file
    of it is loaded, when that is a first load of it (its valid rows: ``ingest.load``); without
    one, the extract's stored records are what references are looked up in.

    Named steps as CTEs: ``helpers`` adds the cross-row facts (natural keys repeated inside the file,
    references, the event date of a referenced row); ``flagged`` keeps the
    rows where any rule fails, which is cheap to test; only those get their lists built.
    """
    helper_cols: list[str] = []
    joins: list[str] = []
    source = f"SELECT * FROM {cleaned}" if cleaned else cleaned_sql(extract, stage)
    keys = [ident(k) for k in extract.key] if cleaned else [value(k) for k in extract.key]
    key_expr = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
    own_key = (ident(extract.key[0]) if len(keys) == 1
               else f"({', '.join(ident(k) for k in extract.key)})")
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    repeated = (f"SELECT {key_expr} FROM {cleaned or stage} WHERE {present} "
                f"GROUP BY ALL HAVING count(*) > 1")
    helper_cols.append(f"COALESCE({own_key} IN ({repeated}), FALSE) AS _dup_key")
    ref_rule: RowRule | None = None
    if "." in extract.event_date:
        ref_file, ref_col = extract.event_date.split(".", 1)
        ref_rule = next(r for r in extract.rules if r.kind == "references" and r.file == ref_file)
        # the referenced record's current version: one row per key, however many versions
        target = (current or {}).get(ref_file) or f"SELECT * FROM {current_table(contract.file(ref_file))}"
        joins.append(
            f"LEFT JOIN (SELECT {ref_rule.other} AS _ref_key, {ref_col} AS _event_date_ref "
            f"FROM ({target})) AS _ref ON _ref._ref_key = s.{ident(ref_rule.column)}"
        )
        helper_cols.append("_ref._event_date_ref")
    for rule in extract.rules:
        if rule.kind != "references":
            continue
        column = ident(rule.column)
        referenced = contract.file(rule.file)
        if rule is ref_rule:
            # The event-date join above already looked the key up among current versions; a key
            # whose versions have all ended (a withdrawn crime) still exists, and is looked up
            # among the ended versions only (a month's changes). One hash table of the referenced
            # keys instead of two: the referenced extract is the largest (victims name crimes).
            ended = (f"SELECT t.{rule.other} FROM {identity_table(referenced)} AS t "
                     f"SEMI JOIN {VERSION_END_TABLE} AS e ON e.source = {literal(referenced.name)} "
                     "AND e.batch_id = t.batch_id AND e.source_row = t.source_row")
            found = f"_ref._ref_key IS NOT NULL OR {column} IN ({ended})"
        else:
            every = (current or {}).get(rule.file) or f"SELECT * FROM {identity_table(referenced)}"
            found = f"{column} IN (SELECT {rule.other} FROM ({every}))"
        helper_cols.append(f"COALESCE({found}, FALSE) AS _ref_{rule.column}")
    checks = all_checks(extract, as_of=as_of)
    rejections = [c.as_struct() for c in checks if not c.warning]
    warnings = [c.as_struct() for c in checks if c.warning]
    any_problem = " OR ".join(f"COALESCE({c.condition}, FALSE)" for c in checks)
    extra = (", " + ", ".join(helper_cols)) if helper_cols else ""
    empty = "CAST([] AS STRUCT(\"column\" VARCHAR, rule VARCHAR, reason VARCHAR)[])"
    warn_list = f"list_filter([{', '.join(warnings)}], lambda x: x IS NOT NULL)" if warnings else empty
    return f"""
        WITH helpers AS (
            SELECT s.*{extra} FROM ({source}) AS s {' '.join(joins)}
        ),
        flagged AS (
            SELECT * FROM helpers WHERE {any_problem}
        )
        SELECT flagged._row,
            list_filter([{', '.join(rejections)}], lambda x: x IS NOT NULL) AS _violations,
            {warn_list} AS _warnings
        FROM flagged
    """
