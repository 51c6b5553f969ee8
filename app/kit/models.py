"""Model plumbing shared by every domain: the declarative base, its naming convention and
column helpers.

Tables are SQLAlchemy 2 dataclass models (`Mapped[...]`), so mypy checks every column
expression (`Office.status.in_(...)`) and every constructor call; the API's schemas are
plain Pydantic models of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass, MappedColumn, mapped_column

from app.kit.clock import utcnow

# Ids are INTEGER columns: larger numbers from a request are refused before they reach the
# driver (SQLite raises OverflowError, PostgreSQL a DataError).
MAX_ID = 2**31 - 1

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(MappedAsDataclass, DeclarativeBase, kw_only=True, eq=False, repr=False):
    """Every table. Constructors take keywords and fill defaults at once (as the tables'
    readers expect before a flush); instances compare by identity, and their repr never
    touches a `lazy="raise"` relationship."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def id_column() -> MappedColumn[Any]:
    """An autoincrement INTEGER primary key, None until the row is flushed."""
    return mapped_column(primary_key=True, default=None)


def timestamp_column(*, index: bool = False) -> MappedColumn[Any]:
    """A timezone-aware, non-nullable timestamp that defaults to now."""
    return mapped_column(DateTime(timezone=True), default_factory=utcnow, index=index)


def optional_timestamp_column(*, index: bool = False) -> MappedColumn[Any]:
    """A timezone-aware, nullable timestamp, empty by default."""
    return mapped_column(DateTime(timezone=True), default=None, index=index)


def version_column() -> MappedColumn[Any]:
    """A column for SQLAlchemy's optimistic concurrency (UPDATE ... WHERE version = :seen);
    name it in the table's `__mapper_args__ = {"version_id_col": version}`."""
    return mapped_column(Integer, nullable=False, default=1, server_default="1")


def touch(obj: Any) -> datetime:
    now = utcnow()
    obj.updated_at = now
    return now
