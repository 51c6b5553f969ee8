"""Every CSV the app writes goes through `writer`: no cell reaches a spreadsheet as a formula.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return (`=HYPERLINK(…)`,
`+cmd|…`, `@SUM(…)`) is written with a leading apostrophe, which spreadsheets show as text.
A cell that is only a number (an E.164 phone number such as `+2342033123461`, a coordinate
such as `-33.92`) stays as it is: a spreadsheet reads it as a number, never as a formula, and
other programs reading the file get the value unchanged. `unescape` undoes exactly what
`escape` did, so our imports read our exports back to the same values.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def _needs_escape(value: str) -> bool:
    # Apostrophes already followed by what would be escaped get one more, so that `unescape`
    # (which removes one) gives the original back.
    rest = value.lstrip("'")
    return rest.startswith(FORMULA_START) and not _NUMBER.fullmatch(rest)


def escape(value: str) -> str:
    """`value` as a cell a spreadsheet will not run."""
    return "'" + value if _needs_escape(value) else value


def unescape(value: str) -> str:
    """The value `escape` was given (a cell without our apostrophe comes back as it is)."""
    return value[1:] if value[:1] == "'" and _needs_escape(value[1:]) else value


def escape_cell(value: Any) -> Any:
    return escape(value) if isinstance(value, str) else value


class SafeWriter:
    """`csv.writer` whose text cells are escaped (see the module)."""

    def __init__(self, handle: IO[str]) -> None:
        # CRLF as RFC 4180 has it; with "\n", Python 3.11's writer would leave a field
        # holding a bare "\r" unquoted, and readers would split the row there.
        self._writer = csv.writer(handle, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(map(escape_cell, row))


def writer(handle: IO[str]) -> SafeWriter:
    return SafeWriter(handle)
