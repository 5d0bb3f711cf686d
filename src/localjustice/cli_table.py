"""The CLI's tables: Rich tables that wrap a cell too wide for the terminal instead of cutting it.

Rich cuts an overflowing cell to an ellipsis by default, so on an 80-column terminal (or piped
output, which Rich takes as 80 columns) a batch's 153,120 rows read showed as ``153…``: a number
cut short misleads a data steward more than a wrapped one. Every command imports ``Table`` from
here, so each column wraps (``overflow="fold"``) unless it says otherwise.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table as RichTable


class Table(RichTable):
    def add_column(self, header: RenderableType = "", footer: RenderableType = "",
                   **options: Any) -> None:
        options.setdefault("overflow", "fold")
        super().add_column(header, footer, **options)
