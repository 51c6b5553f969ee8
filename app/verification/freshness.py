"""The freshness policy: one state per office, computed from its last verification.

verified -> due (last `due_window_days` of the interval: a task opens) -> overdue (past the
interval) -> stale (past interval + `stale_grace_days`, or at once after a "wrong number",
"disconnected" or "closed" outcome). Never verified is `unverified`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, or_

from app.config import Settings
from app.directory.enums import Category
from app.kit.clock import as_utc


class Freshness(StrEnum):
    VERIFIED = "verified"
    DUE = "due"
    OVERDUE = "overdue"
    STALE = "stale"
    UNVERIFIED = "unverified"


# States whose offices may be printed for a returnee (when also active and not confidential).
PRINTABLE_STATES = frozenset({Freshness.VERIFIED, Freshness.DUE, Freshness.OVERDUE})


def freshness_of(
    *,
    last_verified_at: datetime | None,
    stale_flagged_at: datetime | None,
    category: str,
    now: datetime,
    settings: Settings,
) -> Freshness:
    if stale_flagged_at is not None:
        return Freshness.STALE
    verified = as_utc(last_verified_at)
    if verified is None:
        return Freshness.UNVERIFIED
    age = now - verified
    interval = timedelta(days=settings.interval_days_for(category))
    if age > interval + timedelta(days=settings.stale_grace_days):
        return Freshness.STALE
    if age > interval:
        return Freshness.OVERDUE
    if age > interval - timedelta(days=settings.due_window_days):
        return Freshness.DUE
    return Freshness.VERIFIED


def next_due_at(
    *, last_verified_at: datetime | None, category: str, settings: Settings
) -> datetime | None:
    verified = as_utc(last_verified_at)
    if verified is None:
        return None
    return verified + timedelta(
        days=settings.interval_days_for(category) - settings.due_window_days
    )


def _cutoff(category_col: Any, now: datetime, settings: Settings, extra_days: int) -> Any:
    """`now - (interval(category) + extra_days)` as SQL, honouring per-category intervals."""
    default = now - timedelta(days=settings.verification_interval_days + extra_days)
    overrides = {
        cat: now - timedelta(days=days + extra_days)
        for cat, days in settings.verification_interval_by_category.items()
        if cat in {c.value for c in Category}
    }
    if not overrides:
        return default
    return case(overrides, value=category_col, else_=default)


def freshness_clause(
    state: Freshness,
    *,
    last_verified_col: Any,
    stale_flag_col: Any,
    category_col: Any,
    now: datetime,
    settings: Settings,
) -> ColumnElement[bool]:
    """A WHERE clause selecting offices in `state` (mirrors freshness_of)."""
    due_start = _cutoff(category_col, now, settings, -settings.due_window_days)
    overdue_start = _cutoff(category_col, now, settings, 0)
    stale_start = _cutoff(category_col, now, settings, settings.stale_grace_days)
    not_flagged = stale_flag_col.is_(None)
    match state:
        case Freshness.UNVERIFIED:
            return and_(not_flagged, last_verified_col.is_(None))
        case Freshness.STALE:
            return or_(stale_flag_col.is_not(None), last_verified_col < stale_start)
        case Freshness.OVERDUE:
            return and_(
                not_flagged, last_verified_col < overdue_start, last_verified_col >= stale_start
            )
        case Freshness.DUE:
            return and_(
                not_flagged, last_verified_col < due_start, last_verified_col >= overdue_start
            )
        case Freshness.VERIFIED:
            return and_(not_flagged, last_verified_col >= due_start)
    raise ValueError(f"unknown freshness state {state!r}")
