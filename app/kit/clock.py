"""An injectable clock, so tests can travel in time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import overload

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return _now()


def set_clock(fn: Callable[[], datetime]) -> None:
    global _now
    _now = fn


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))


@overload
def as_utc(value: datetime) -> datetime: ...


@overload
def as_utc(value: None) -> None: ...


@overload
def as_utc(value: datetime | None) -> datetime | None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """Databases may hand back naive datetimes (SQLite); they are always UTC here."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
