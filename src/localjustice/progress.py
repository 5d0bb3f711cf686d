"""Progress on long work, shown by the CLI and silent in library use and tests.

Stages report through a ``Progress`` so that they never import Rich or know about a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress


class Step(Protocol):
    def advance(self, amount: int = 1) -> None:
        """May be called from another thread than the one that started the step (ingest ticks
        each file's "read" step from the worker that read it; Rich's bar takes its lock)."""
        ...


class Progress(Protocol):
    def step(self, description: str, total: int | None = None) -> Step:
        """Start a step of ``total`` units (``None``: unknown); the caller advances it."""
        ...


class _NullStep:
    def advance(self, amount: int = 1) -> None:
        return None


class NullProgress:
    """Reports nothing: the default for library calls and tests."""

    def step(self, description: str, total: int | None = None) -> Step:
        return _NullStep()


class _RichStep:
    def __init__(self, bar: RichProgress, task_id: int) -> None:
        self._bar = bar
        self._task_id = task_id

    def advance(self, amount: int = 1) -> None:
        self._bar.advance(self._task_id, amount)  # type: ignore[arg-type]


class RichProgressAdapter:
    def __init__(self, bar: RichProgress) -> None:
        self._bar = bar

    def step(self, description: str, total: int | None = None) -> Step:
        return _RichStep(self._bar, int(self._bar.add_task(description, total=total)))


@contextmanager
def rich_progress(console: Console) -> Iterator[Progress]:
    """Progress bars on the console; plain (no animation) when it is not a terminal."""
    bar = RichProgress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    with bar:
        yield RichProgressAdapter(bar)
