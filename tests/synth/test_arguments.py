"""Arguments that cannot work are refused with a message that says what to do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.synth import default_until, generate


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "scale must be a positive"),
        ({"scale": -1.0}, "scale must be a positive"),
        ({"scale": float("nan")}, "scale must be a positive"),
        ({"years": 0}, "years must be at least 1"),
        ({"file_format": "xlsx"}, "Unknown file format"),
        ({"error_rate": 2.0}, "error_rate"),
        # on 2 December 2026 November is the last full month: December has not ended
        ({"until": "2026-12"}, "dates in the future"),
        ({"until": "1990-06"}, "whole past months from 1990-01"),
        ({"until": "2018/12"}, "until must be a month written YYYY-MM"),
        ({"until": "2018-13"}, "until must be a month written YYYY-MM"),
    ],
)
def test_bad_arguments_raise_a_clear_error(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"until": "2018-12", "years": 1, "today": date(2026, 12, 2)}
    with pytest.raises(LocalJusticeError, match=message):
        generate(tmp_path, **{**arguments, **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("today", "until"),
    [(date(2026, 12, 2), "2026-11"), (date(2026, 12, 31), "2026-11"), (date(2027, 1, 1), "2026-12"),
     (date(2026, 3, 1), "2026-02")],
)
def test_the_default_window_ends_with_the_last_full_month_before_today(today: date, until: str) -> None:
    assert default_until(today) == until


def test_an_unwritable_output_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(LocalJusticeError, match="Cannot write"):
        generate(blocker / "out", until="2018-12", years=1, scale=0.01)
