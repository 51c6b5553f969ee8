"""Model plumbing shared by every domain: naming convention and column helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer
from sqlmodel import Field, SQLModel

from app.kit.clock import utcnow

# Ids are INTEGER columns: larger numbers from a request are refused before they reach the
# driver (SQLite raises OverflowError, PostgreSQL a DataError).
MAX_ID = 2**31 - 1

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def timestamp_field(*, nullable: bool = False, index: bool = False, **kwargs: Any) -> Any:
    """A timezone-aware timestamp; non-nullable ones default to now."""
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True, index=index)
    return Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=index
    )


def version_column() -> Column[int]:
    """A column for SQLAlchemy's optimistic concurrency (UPDATE ... WHERE version = :seen)."""
    return Column("version", Integer, nullable=False, default=1, server_default="1")


def touch(obj: Any) -> datetime:
    now = utcnow()
    obj.updated_at = now
    return now
