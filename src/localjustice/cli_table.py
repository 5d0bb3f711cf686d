"""The CLI's tables: Rich tables that wrap a cell too wide for the terminal instead of cutting it,
and print every text cell as written.

Rich cuts an overflowing cell to an ellipsis by default, so on an 80-column terminal (or piped
output, which Rich takes as 80 columns) a batch's 153,120 rows read showed as ``153…``: a number
cut short misleads a data steward more than a wrapped one. Every command imports ``Table`` from
here, so each column wraps (``overflow="fold"``) unless it says otherwise.

Rich also reads ``[...]`` in a plain string as markup: a published table's suppressed cell ``[c]``
(the GSS marker, see ``publish``) vanished as an unknown style and read as missing data, and a
partner's value in square brackets would do the same. So text cells and the title are escaped
here; a cell meant to be styled is passed as a ``rich.text.Text``.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import RenderableType
from rich.markup import escape as escape_markup
from rich.table import Table as RichTable
from rich.text import TextType

#: C0 and C1 control characters other than the line break: a partner's header or a folder name
#: holding ESC would otherwise drive the steward's terminal (clear it, retitle it, recolour it)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """``text`` as the CLI prints it: Rich markup escaped, and each control character shown as
    its code (``\\x1b``) instead of sent to the terminal."""
    return escape_markup(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


class Table(RichTable):
    def __init__(self, *headers: Any, title: TextType | None = None, **options: Any) -> None:
        super().__init__(*headers, title=escape(title) if isinstance(title, str) else title,
                         **options)

    def add_column(self, header: RenderableType = "", footer: RenderableType = "",
                   **options: Any) -> None:
        options.setdefault("overflow", "fold")
        super().add_column(escape(header) if isinstance(header, str) else header, footer,
                           **options)

    def add_row(self, *renderables: RenderableType | None, **options: Any) -> None:
        super().add_row(*(escape(r) if isinstance(r, str) else r for r in renderables),
                        **options)
