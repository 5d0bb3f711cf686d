"""Find the extract files of a delivery folder, its manifest, and the order they must load in.

The manifest (``manifest.toml``, optional) is the partner's statement about the delivery: who sent
it, the date the data were extracted, whether each file is a full snapshot of that extract or
only new and changed records, and how many rows each file holds (a control total). Its format is
documented in docs/contract.md ("Deliveries and the manifest"). A delivery without one is read as
changes only, with no extract date and no control totals, which is what a first delivery is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from localjustice.contract import Contract, ExtractFile
from localjustice.errors import LocalJusticeError

FORMATS = {".csv": "csv", ".parquet": "parquet"}


MANIFEST_NAME = "manifest.toml"
Mode = Literal["snapshot", "changes"]
MODES: tuple[Mode, ...] = ("snapshot", "changes")


@dataclass(frozen=True)
class FileManifest:
    mode: Mode = "changes"
    #: the control total: data rows in the file, header excluded (None: not stated)
    rows: int | None = None
    #: the partner confirms a snapshot that withdraws most of the extract (``ingest.load``)
    withdraw_most: bool = False


@dataclass(frozen=True)
class Manifest:
    extract_date: date | None = None
    partner: str | None = None
    files: dict[str, FileManifest] = field(default_factory=dict)

    @property
    def given(self) -> bool:
        """The delivery had a manifest (its extract date is required, so only a delivery
        without one has none)."""
        return self.extract_date is not None

    def of(self, extract: str) -> FileManifest:
        return self.files.get(extract, FileManifest())


@dataclass(frozen=True)
class DeliveryFile:
    extract: ExtractFile
    path: Path
    file_format: str
    mode: Mode = "changes"
    control_rows: int | None = None
    #: the delivery's manifest lists the file (its mode and total are the partner's statement,
    #: not the defaults)
    listed: bool = False
    withdraw_most: bool = False


@dataclass(frozen=True)
class Delivery:
    name: str
    files: tuple[DeliveryFile, ...]
    #: files in the folder that are not extracts of the contract (reported, never read)
    ignored: tuple[str, ...]
    manifest: Manifest = field(default_factory=Manifest)


def _bad_manifest(path: Path, what: str) -> LocalJusticeError:
    return LocalJusticeError(
        f"The manifest {path} {what}; nothing from this delivery was loaded. See "
        "docs/contract.md, \"Deliveries and the manifest\", for its format.")


def _date_hint(path: Path, exc: Exception) -> str:
    """TOML's parser says only where it stopped; on the extract_date line, the likely mistake is
    an impossible date (2026-12-32), which TOML cannot read as a date at all."""
    found = re.search(r"at line (\d+)", str(exc))  # Python 3.11's tomllib has no lineno
    line = int(found.group(1)) if found else None
    try:
        text = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    if line is not None and 0 < line <= len(text) and \
            text[line - 1].strip().startswith("extract_date"):
        return "; extract_date must be a real date written YYYY-MM-DD, such as 2026-10-31"
    return ""


def read_manifest(path: Path, contract: Contract) -> Manifest:
    """Parse and check a manifest; every mistake is named, since a wrong one would mislead the
    load (a snapshot withdraws what it lacks)."""
    try:
        # a byte-order mark, which some editors write, is not part of the TOML
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _bad_manifest(path, f"is not valid TOML ({exc}){_date_hint(path, exc)}") from None
    unknown = set(raw) - {"partner", "extract_date", "files"}
    if unknown:
        raise _bad_manifest(path, f"has unknown keys: {', '.join(sorted(unknown))}")
    extract_date = raw.get("extract_date")
    # a TOML datetime is a ``datetime``, which is a ``date`` too: refused, since an extract date
    # with a time cannot be ordered against the dates of the other deliveries
    if not isinstance(extract_date, date) or isinstance(extract_date, datetime):
        raise _bad_manifest(path, "needs extract_date, the date the data were extracted, as a "
                            "TOML date such as 2026-10-31")
    if extract_date > date.today():
        raise _bad_manifest(path, f"gives an extract date in the future ({extract_date})")
    partner = raw.get("partner")
    if partner is not None and not isinstance(partner, str):
        raise _bad_manifest(path, "gives a partner that is not text")
    files_raw = raw.get("files", {})
    if not isinstance(files_raw, dict):
        raise _bad_manifest(path, "has [files] that is not a table")
    files: dict[str, FileManifest] = {}
    for name, spec in files_raw.items():
        if name not in contract.files:
            raise _bad_manifest(path, f"names {name!r}, which is not an extract of the contract "
                                f"({', '.join(contract.files)})")
        if not isinstance(spec, dict):
            raise _bad_manifest(path, f"has files.{name} that is not a table ([files.{name}])")
        keys = {"mode", "rows", "withdraw_most"}
        if set(spec) - keys:
            raise _bad_manifest(path, f"has [files.{name}] with keys other than mode, rows and "
                                f"withdraw_most: {', '.join(sorted(set(spec) - keys))}")
        mode = spec.get("mode", "changes")
        if mode not in MODES:
            raise _bad_manifest(path, f"gives [files.{name}] mode {mode!r}; use \"snapshot\" or "
                                "\"changes\"")
        rows = spec.get("rows")
        if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
            raise _bad_manifest(path, f"gives [files.{name}] rows that is not a whole number of "
                                "0 or more")
        withdraw_most = spec.get("withdraw_most", False)
        if not isinstance(withdraw_most, bool):
            raise _bad_manifest(path, f"gives [files.{name}] withdraw_most that is not true or "
                                "false")
        files[name] = FileManifest(mode, rows, withdraw_most)
    return Manifest(extract_date, partner, files)


def referenced(extract: ExtractFile) -> set[str]:
    """The extracts whose records ``extract``'s rules look up (crimes, for victims): the ones it
    references, and the one its event date is read from."""
    found = {rule.file for rule in extract.rules if rule.kind == "references"}
    if "." in extract.event_date:
        found.add(extract.event_date.split(".", 1)[0])
    return found


def load_order(contract: Contract) -> list[str]:
    """Referenced extracts load before the extracts that reference them (crimes before victims)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for other in sorted(referenced(contract.files[name])):
            visit(other)
        order.append(name)

    for name in contract.files:
        visit(name)
    return order


def find_delivery(folder: Path, contract: Contract) -> Delivery:
    if not folder.is_dir():
        raise LocalJusticeError(f"No delivery folder at {folder}.")
    found: dict[str, DeliveryFile] = {}
    ignored: list[str] = []
    manifest_path = folder / MANIFEST_NAME
    if manifest_path.is_symlink() or (manifest_path.exists() and not manifest_path.is_file()):
        # read as no manifest, a snapshot would withdraw nothing and no total be checked
        raise _bad_manifest(manifest_path, "is not a file of the delivery (a folder or a link)")
    manifest = read_manifest(manifest_path, contract) if manifest_path.is_file() else Manifest()
    for path in sorted(folder.iterdir()):
        if path.name == MANIFEST_NAME:
            continue
        if path.is_symlink():
            # a link can point anywhere this process may read: a delivery is the files it holds
            raise LocalJusticeError(
                f"The delivery holds {path.name}, a link to another file; copy the file itself "
                "into the delivery folder. Nothing from this delivery was loaded.")
        if not path.is_file():
            ignored.append(f"{path.name}/")
            continue
        if path.name.lower().startswith("manifest"):
            # read as no manifest, a snapshot would withdraw nothing and no total be checked
            raise LocalJusticeError(
                f"The delivery holds {path.name}, which is not read as its manifest: the manifest "
                f"must be named {MANIFEST_NAME}, in lower case. Rename it and ingest again; "
                "nothing from this delivery was loaded.")
        file_format = FORMATS.get(path.suffix.lower())
        # PRISON_CUSTODY.CSV is prison_custody.csv: the contract's names carry no case
        stem = path.name[: -len(path.suffix)].lower() if file_format else ""
        if file_format is None or stem not in contract.files:
            ignored.append(path.name)
            continue
        if stem in found:
            raise LocalJusticeError(
                f"The delivery has both {found[stem].path.name} and {path.name}; send one file per "
                "extract so it is clear which to load."
            )
        stated = manifest.of(stem)
        found[stem] = DeliveryFile(contract.files[stem], path, file_format, stated.mode,
                                   stated.rows, stem in manifest.files, stated.withdraw_most)
    if not found:
        expected = ", ".join(f"{n}.csv" for n in contract.files)
        seen = f" It holds: {', '.join(ignored[:10])}{', ...' if len(ignored) > 10 else ''}." \
            if ignored else " It is empty."
        raise LocalJusticeError(
            f"No extract files in {folder}. Expected files named like: {expected} (or .parquet)."
            + seen)
    absent = sorted(set(manifest.files) - set(found))
    if absent:
        raise _bad_manifest(manifest_path, f"lists {', '.join(absent)}, but the folder holds no "
                            "such file")
    ordered = tuple(found[name] for name in load_order(contract) if name in found)
    return Delivery(name=folder.name, files=ordered, ignored=tuple(ignored), manifest=manifest)
