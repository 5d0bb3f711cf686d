"""The extract contract as typed objects, loaded once from ``extracts.toml``.

Ingestion turns these into set-wise checks, the synthetic generator writes to them and the docs
are generated from them, so a change to the contract is a change to one data file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

from localjustice.errors import LocalJusticeError

ColumnType = Literal["text", "date", "integer", "code", "code_list"]
RuleKind = Literal["not_before", "required_when", "positive_when", "references", "age_between"]
_COLUMN_TYPES = {"text", "date", "integer", "code", "code_list"}
_RULE_KINDS = {"not_before", "required_when", "positive_when", "references", "age_between"}

#: Letters of the PNC check character, indexed by (two-digit year * 10^7 + serial) mod 23.
PNC_CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    unique: bool = False
    codes: tuple[str, ...] = ()
    code_list_name: str | None = None
    pattern: str | None = None
    pattern_name: str | None = None
    normalise: str | None = None
    warning: bool = False
    not_future: bool = False
    minimum: int | None = None
    doc: str = ""
    identity: bool = False


@dataclass(frozen=True)
class RowRule:
    kind: RuleKind
    column: str = ""
    other: str = ""
    when: str = ""
    values: tuple[str, ...] = ()
    file: str = ""
    min: int = 0
    max: int = 0


@dataclass(frozen=True)
class ExtractFile:
    name: str
    doc: str
    person_bearing: bool
    key: tuple[str, ...]
    partner: str
    event_date: str
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class Contract:
    version: str
    code_lists: dict[str, tuple[str, ...]]
    patterns: dict[str, str]
    files: dict[str, ExtractFile]

    @property
    def person_bearing_files(self) -> tuple[ExtractFile, ...]:
        return tuple(f for f in self.files.values() if f.person_bearing)

    def file(self, name: str) -> ExtractFile:
        try:
            return self.files[name]
        except KeyError:
            raise LocalJusticeError(
                f"{name!r} is not an extract of the contract; expected one of "
                f"{', '.join(self.files)}."
            ) from None


class ContractError(LocalJusticeError):
    """The contract file itself is inconsistent (a developer's error, caught at load)."""


def _column(raw: dict[str, Any], contract: dict[str, Any], *, identity: bool) -> Column:
    ctype = raw.get("type")
    if ctype not in _COLUMN_TYPES:
        raise ContractError(f"column {raw.get('name')!r}: unknown type {ctype!r}")
    codes_name = raw.get("codes")
    codes: tuple[str, ...] = ()
    if codes_name is not None:
        if codes_name not in contract["code_lists"]:
            raise ContractError(f"column {raw['name']!r}: unknown code list {codes_name!r}")
        codes = tuple(contract["code_lists"][codes_name])
    elif ctype in {"code", "code_list"}:
        raise ContractError(f"column {raw['name']!r}: a code column needs a code list")
    pattern_name = raw.get("pattern")
    pattern = None
    if pattern_name is not None:
        pattern = contract["patterns"][pattern_name]
        re.compile(pattern)
    return Column(
        name=raw["name"],
        type=ctype,
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        codes=codes,
        code_list_name=codes_name,
        pattern=pattern,
        pattern_name=pattern_name,
        normalise=raw.get("normalise"),
        warning=bool(raw.get("warning", False)),
        not_future=bool(raw.get("not_future", False)),
        minimum=raw.get("minimum"),
        doc=raw.get("doc", ""),
        identity=identity,
    )


def _rule(raw: dict[str, Any], file_name: str) -> RowRule:
    if raw.get("kind") not in _RULE_KINDS:
        raise ContractError(f"{file_name}: unknown rule kind {raw.get('kind')!r}")
    return RowRule(
        kind=raw["kind"],
        column=raw.get("column", ""),
        other=raw.get("other", ""),
        when=raw.get("when", ""),
        values=tuple(raw.get("values", ())),
        file=raw.get("file", ""),
        min=int(raw.get("min", 0)),
        max=int(raw.get("max", 0)),
    )


def _key(raw: object, name: str) -> tuple[str, ...]:
    """The natural key that names one record across deliveries: one column or a list of them."""
    if isinstance(raw, str) and raw:
        return (raw,)
    if isinstance(raw, list) and raw and all(isinstance(k, str) and k for k in raw):
        return tuple(raw)
    raise ContractError(f"{name}: key must name a column or a list of columns")


def parse_contract(text: str) -> Contract:
    raw = tomllib.loads(text)
    identity = tuple(_column(c, raw, identity=True) for c in raw["identity"])
    files: dict[str, ExtractFile] = {}
    for name, spec in raw["files"].items():
        own = tuple(_column(c, raw, identity=False) for c in spec["columns"])
        columns = (identity + own) if spec["person_bearing"] else own
        names = [c.name for c in columns]
        if len(set(names)) != len(names):
            raise ContractError(f"{name}: duplicate column names")
        extract = ExtractFile(
            name=name,
            doc=spec.get("doc", ""),
            person_bearing=bool(spec["person_bearing"]),
            key=_key(spec.get("key"), name),
            partner=str(spec.get("partner", name)),
            event_date=spec["event_date"],
            columns=columns,
            rules=tuple(_rule(r, name) for r in spec.get("rules", ())),
        )
        files[name] = extract
    contract = Contract(
        version=str(raw["contract_version"]),
        code_lists={k: tuple(v) for k, v in raw["code_lists"].items()},
        patterns=dict(raw["patterns"]),
        files=files,
    )
    _check_references(contract)
    return contract


def _check_references(contract: Contract) -> None:
    """Every column a rule or event date names must exist, so a typo fails at load, not at ingest."""
    for extract in contract.files.values():
        names = set(extract.column_names)
        for rule in extract.rules:
            for col in (rule.column, rule.other if rule.kind == "not_before" else "", rule.when):
                if col and col not in names:
                    raise ContractError(f"{extract.name}: rule {rule.kind} names unknown {col!r}")
        for col in extract.key:
            if col not in names:
                raise ContractError(f"{extract.name}: key names unknown column {col!r}")
            if rule.kind == "references":
                target = contract.files.get(rule.file)
                if target is None or rule.other not in target.column_names:
                    raise ContractError(f"{extract.name}: reference to unknown {rule.file}.{rule.other}")
        if "." in extract.event_date:
            ref_file, ref_col = extract.event_date.split(".", 1)
            if ref_file not in contract.files or ref_col not in contract.files[ref_file].column_names:
                raise ContractError(f"{extract.name}: event date {extract.event_date!r} unknown")
        elif extract.event_date not in names:
            raise ContractError(f"{extract.name}: event date {extract.event_date!r} unknown")


@cache
def load_contract() -> Contract:
    text = (resources.files("localjustice.contract") / "extracts.toml").read_text(encoding="utf-8")
    return parse_contract(text)


def pnc_check_letter(year: int, serial: int) -> str:
    """The PNC check character: (two-digit year * 10^7 + serial) mod 23 into PNC_CHECK_LETTERS."""
    return PNC_CHECK_LETTERS[((year % 100) * 10_000_000 + serial) % 23]
