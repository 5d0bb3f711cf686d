"""Settings read once from the environment into one typed object (STYLE rule 8)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path("localjustice-data")


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @classmethod
    def from_env(cls, data_dir: Path | None = None) -> Settings:
        """An explicit ``--data-dir`` wins over ``LOCALJUSTICE_DATA_DIR``, which wins over the default."""
        chosen = data_dir or Path(os.environ.get("LOCALJUSTICE_DATA_DIR") or DEFAULT_DATA_DIR)
        return cls(data_dir=chosen)
