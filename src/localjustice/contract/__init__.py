"""The agency extract contract (shared/contract/EXTRACTS.md) as code."""

from localjustice.contract.schema import (
    PNC_CHECK_LETTERS,
    Column,
    Contract,
    ContractError,
    ExtractFile,
    RowRule,
    load_contract,
    parse_contract,
    pnc_check_letter,
)

__all__ = [
    "PNC_CHECK_LETTERS",
    "Column",
    "Contract",
    "ContractError",
    "ExtractFile",
    "RowRule",
    "load_contract",
    "parse_contract",
    "pnc_check_letter",
]
