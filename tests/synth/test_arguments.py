"""Arguments that cannot work are refused with a message that says what to do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.synth import generate


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be a positive"),
        ({"scale": -1.0}, "scale must be a positive"),
        ({"scale": float("nan")}, "scale must be a positive"),
        ({"years": 0}, "years must be at least 1"),
        ({"file_format": "xlsx"}, "Unknown file format"),
        ({"error_rate": 2.0}, "error_rate"),
        ({"start_year": date.today().year}, "dates in the future"),
        ({"start_year": 1900}, "whole past years"),
    ],
)
def test_bad_arguments_raise_a_clear_error(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(LocalJusticeError, match=message):
        generate(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_an_unwritable_output_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(LocalJusticeError, match="Cannot write"):
        generate(blocker / "out", scale=0.01)
