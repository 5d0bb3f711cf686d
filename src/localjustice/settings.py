"""Settings read once from the environment into one typed object (STYLE rule 8).

``LOCALJUSTICE_ENV`` is ``development`` (the default, and the demo) or ``production``. Outside
development the deployment's pseudonym key must come from ``LOCALJUSTICE_PSEUDONYM_KEY`` and no
demo key may sit in the data folder: a key kept beside the data it protects lets anyone who can
read the folder recompute every pseudonym, so ``from_env`` refuses both at start-up, for every
command and for the web app (whose settings build on these), instead of warning.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from localjustice.errors import LocalJusticeError

DEFAULT_DATA_DIR = Path("localjustice-data")
Environment = Literal["development", "production"]
EngineName = Literal["duckdb", "spark"]
ENGINE_NAMES: tuple[EngineName, ...] = ("duckdb", "spark")
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production")
PSEUDONYM_KEY_ENV = "LOCALJUSTICE_PSEUDONYM_KEY"
#: Where the demo keeps the pseudonym key it generates, in the data folder.
DEMO_KEY_FILE = "pseudonym.key"
#: The shortest pseudonym key accepted outside development.
PSEUDONYM_KEY_MIN = 32


class SettingsError(LocalJusticeError):
    """A setting is missing or malformed; the message names the variable to set."""


def environment_from(source: Mapping[str, str]) -> Environment:
    """``LOCALJUSTICE_ENV`` as one of ``ENVIRONMENTS`` (empty means development)."""
    raw = source.get("LOCALJUSTICE_ENV", "").strip().lower() or "development"
    for environment in ENVIRONMENTS:
        if raw == environment:
            return environment
    raise SettingsError("LOCALJUSTICE_ENV must be development or production.")


def engine_from(source: Mapping[str, str]) -> EngineName:
    """``LOCALJUSTICE_ENGINE`` as one of ``ENGINE_NAMES`` (empty means DuckDB)."""
    raw = source.get("LOCALJUSTICE_ENGINE", "").strip().lower() or "duckdb"
    for engine in ENGINE_NAMES:
        if raw == engine:
            return engine
    raise SettingsError("LOCALJUSTICE_ENGINE must be duckdb or spark.")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    environment: Environment = "development"
    #: the deployment's key from ``LOCALJUSTICE_PSEUDONYM_KEY``; ``None`` in development only
    pseudonym_key: bytes | None = field(default=None, repr=False)
    #: the analysis engine for linkage and everything downstream (``LOCALJUSTICE_ENGINE``);
    #: ingestion always runs on DuckDB and writes the Parquet records zone both engines read
    engine: EngineName = "duckdb"
    #: Spark's master (``LOCALJUSTICE_SPARK_MASTER``): ``local[*]`` by default, or a cluster's
    spark_master: str | None = None
    #: where Spark keeps its catalog and tables (``LOCALJUSTICE_SPARK_STORAGE``; default
    #: ``<data_dir>/spark``)
    spark_storage_dir: Path | None = None
    #: the Spark driver's memory (``LOCALJUSTICE_SPARK_DRIVER_MEMORY``, e.g. ``8g``)
    spark_memory: str | None = None

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def spark_storage(self) -> Path:
        return self.spark_storage_dir or self.data_dir / "spark"

    @property
    def demo_key_path(self) -> Path:
        return self.data_dir / DEMO_KEY_FILE

    @classmethod
    def from_env(cls, data_dir: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> Settings:
        """An explicit ``--data-dir`` wins over ``LOCALJUSTICE_DATA_DIR``, which wins over the default.

        Outside development, fails fast (``SettingsError``) without ``LOCALJUSTICE_PSEUDONYM_KEY``,
        with one shorter than ``PSEUDONYM_KEY_MIN``, and while a demo key is stored in the data
        folder.
        """
        source = os.environ if environ is None else environ
        chosen = data_dir or Path(source.get("LOCALJUSTICE_DATA_DIR") or DEFAULT_DATA_DIR)
        environment = environment_from(source)
        key = source.get(PSEUDONYM_KEY_ENV, "").strip()
        storage = source.get("LOCALJUSTICE_SPARK_STORAGE", "").strip()
        settings = cls(data_dir=chosen, environment=environment,
                       pseudonym_key=key.encode("utf-8") if key else None,
                       engine=engine_from(source),
                       spark_master=source.get("LOCALJUSTICE_SPARK_MASTER", "").strip() or None,
                       spark_storage_dir=Path(storage) if storage else None,
                       spark_memory=source.get("LOCALJUSTICE_SPARK_DRIVER_MEMORY", "").strip()
                       or None)
        if not settings.development:
            settings.refuse_demo_keys()
            if len(key) < PSEUDONYM_KEY_MIN:
                raise SettingsError(
                    f"Outside development the pseudonym key must come from {PSEUDONYM_KEY_ENV}: set "
                    f"it to a random secret of at least {PSEUDONYM_KEY_MIN} characters, kept "
                    "outside the data folder (e.g. `python -c 'import secrets; "
                    "print(secrets.token_hex(32))'`). It must be the same key on every run, or "
                    "every person id changes.")
        return settings

    def refuse_demo_keys(self) -> None:
        """Outside development, refuse a demo key stored in the data folder (``SettingsError``)."""
        if not self.development and self.demo_key_path.is_file():
            raise SettingsError(
                f"A demo pseudonym key is stored at {self.demo_key_path}, and outside development "
                "it is refused: anyone who can read the data folder could recompute every "
                f"pseudonym with it. Delete that file, set {PSEUDONYM_KEY_ENV} to a key kept "
                "elsewhere, and relink (`localjustice link`) if the data was linked under the "
                "demo key.")
