"""Which page of a listing a read returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.sql.selectable import GenerativeSelect

Statement = TypeVar("Statement", bound=GenerativeSelect)


@dataclass(frozen=True)
class Page:
    """One page of a listing: its number (from 1) and how many rows a page holds."""

    number: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.number - 1) * self.size

    def of(self, stmt: Statement, *, one_more: bool = False) -> Statement:
        """`stmt` cut to this page's rows; with `one_more`, and the next row, which says
        whether another page follows without counting them all."""
        return stmt.limit(self.size + 1 if one_more else self.size).offset(self.offset)


FIRST_PAGE = Page()
