"""Find the extract files of a delivery folder and the order they must load in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from localjustice.contract import Contract, ExtractFile
from localjustice.errors import LocalJusticeError

FORMATS = {".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class DeliveryFile:
    extract: ExtractFile
    path: Path
    file_format: str


@dataclass(frozen=True)
class Delivery:
    name: str
    files: tuple[DeliveryFile, ...]
    #: files in the folder that are not extracts of the contract (reported, never read)
    ignored: tuple[str, ...]


def load_order(contract: Contract) -> list[str]:
    """Referenced extracts load before the extracts that reference them (crimes before victims)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for rule in contract.files[name].rules:
            if rule.kind == "references":
                visit(rule.file)
        order.append(name)

    for name in contract.files:
        visit(name)
    return order


def find_delivery(folder: Path, contract: Contract) -> Delivery:
    if not folder.is_dir():
        raise LocalJusticeError(f"No delivery folder at {folder}.")
    found: dict[str, DeliveryFile] = {}
    ignored: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        file_format = FORMATS.get(path.suffix.lower())
        stem = path.name[: -len(path.suffix)] if file_format else ""
        if file_format is None or stem not in contract.files:
            ignored.append(path.name)
            continue
        if stem in found:
            raise LocalJusticeError(
                f"The delivery has both {found[stem].path.name} and {path.name}; send one file per "
                "extract so it is clear which to load."
            )
        found[stem] = DeliveryFile(contract.files[stem], path, file_format)
    if not found:
        expected = ", ".join(f"{n}.csv" for n in contract.files)
        raise LocalJusticeError(
            f"No extract files in {folder}. Expected files named like: {expected} (or .parquet)."
        )
    ordered = tuple(found[name] for name in load_order(contract) if name in found)
    return Delivery(name=folder.name, files=ordered, ignored=tuple(ignored))
