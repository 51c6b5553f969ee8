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
from app.directory.models import Office, Organization
from app.kit.clock import as_utc


class Freshness(StrEnum):
    VERIFIED = "verified"
    DUE = "due"
    OVERDUE = "overdue"
    STALE = "stale"
    UNVERIFIED = "unverified"


# States whose offices may be printed for a returnee (when also active and not confidential).
PRINTABLE_STATES = frozenset({Freshness.VERIFIED, Freshness.DUE, Freshness.OVERDUE})
# States that count as "verified" in the coverage map and the country and region summaries.
COVERED_STATES = frozenset({Freshness.VERIFIED, Freshness.DUE})


class FreshnessCutoffs:
    """The policy's boundaries at one moment, per category: computed once, then each office
    is classified by comparing its last verification with them (a list classifies many)."""

    def __init__(self, *, now: datetime, settings: Settings) -> None:
        self._now = now
        self._settings = settings
        # category -> (stale before, overdue before, due before)
        self._bounds: dict[str, tuple[datetime, datetime, datetime]] = {}

    def _bounds_for(self, category: str) -> tuple[datetime, datetime, datetime]:
        interval = timedelta(days=self._settings.interval_days_for(category))
        bounds = (
            self._now - interval - timedelta(days=self._settings.stale_grace_days),
            self._now - interval,
            self._now - interval + timedelta(days=self._settings.due_window_days),
        )
        self._bounds[category] = bounds
        return bounds

    def state(
        self,
        *,
        last_verified_at: datetime | None,
        stale_flagged_at: datetime | None,
        category: str,
    ) -> Freshness:
        if stale_flagged_at is not None:
            return Freshness.STALE
        verified = as_utc(last_verified_at)
        if verified is None:
            return Freshness.UNVERIFIED
        stale_before, overdue_before, due_before = self._bounds.get(category) or self._bounds_for(
            category
        )
        if verified < stale_before:
            return Freshness.STALE
        if verified < overdue_before:
            return Freshness.OVERDUE
        if verified < due_before:
            return Freshness.DUE
        return Freshness.VERIFIED


def freshness_of(
    *,
    last_verified_at: datetime | None,
    stale_flagged_at: datetime | None,
    category: str,
    now: datetime,
    settings: Settings,
) -> Freshness:
    return FreshnessCutoffs(now=now, settings=settings).state(
        last_verified_at=last_verified_at, stale_flagged_at=stale_flagged_at, category=category
    )


def office_freshness(
    office: Office, *, category: str, now: datetime, settings: Settings
) -> Freshness:
    return freshness_of(
        last_verified_at=office.last_verified_at,
        stale_flagged_at=office.stale_flagged_at,
        category=category,
        now=now,
        settings=settings,
    )


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


def freshness_of_office_clause(
    state: Freshness, *, now: datetime, settings: Settings
) -> ColumnElement[bool]:
    """freshness_clause over the office's columns and its organisation's category."""
    return freshness_clause(
        state,
        last_verified_col=Office.last_verified_at,
        stale_flag_col=Office.stale_flagged_at,
        category_col=Organization.category,
        now=now,
        settings=settings,
    )
