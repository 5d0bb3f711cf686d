"""The committed contract reference is exactly what the contract file generates."""

from __future__ import annotations

from pathlib import Path

from localjustice.contract import load_contract
from localjustice.contract.docs import contract_markdown

DOC = Path(__file__).parents[2] / "docs" / "contract.md"


def test_docs_contract_md_is_generated_from_the_contract_file() -> None:
    assert DOC.read_text(encoding="utf-8") == contract_markdown(load_contract()), (
        "docs/contract.md is stale: run `localjustice contract-docs`"
    )


def test_every_column_of_every_extract_is_documented() -> None:
    text = contract_markdown(load_contract())
    for extract in load_contract().files.values():
        for column in extract.columns:
            assert f"| {column.name} |" in text
