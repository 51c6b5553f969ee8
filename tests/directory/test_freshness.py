"""The freshness policy at its exact boundaries, for the default and a per-category interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.config import Settings
from app.directory.freshness import Freshness, FreshnessCutoffs, freshness_of

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
SETTINGS = Settings(
    verification_interval_days=180,
    verification_interval_by_category={"law_enforcement": 60},
    due_window_days=30,
    stale_grace_days=60,
)


@pytest.mark.parametrize(("category", "interval_days"), [("ngo", 180), ("law_enforcement", 60)])
@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (lambda i: timedelta(0), Freshness.VERIFIED),
        (lambda i: timedelta(days=i - 30), Freshness.VERIFIED),
        (lambda i: timedelta(days=i - 30) + SECOND, Freshness.DUE),
        (lambda i: timedelta(days=i), Freshness.DUE),
        (lambda i: timedelta(days=i) + SECOND, Freshness.OVERDUE),
        (lambda i: timedelta(days=i + 60), Freshness.OVERDUE),
        (lambda i: timedelta(days=i + 60) + SECOND, Freshness.STALE),
    ],
)
def test_boundaries(category: str, interval_days: int, age: object, expected: Freshness) -> None:
    verified = NOW - age(interval_days)  # type: ignore[operator]
    cutoffs = FreshnessCutoffs(now=NOW, settings=SETTINGS)
    for last_verified_at in (verified, verified.replace(tzinfo=None)):  # SQLite gives naive
        state = cutoffs.state(
            last_verified_at=last_verified_at, stale_flagged_at=None, category=category
        )
        assert state is expected
        assert (
            freshness_of(
                last_verified_at=last_verified_at,
                stale_flagged_at=None,
                category=category,
                now=NOW,
                settings=SETTINGS,
            )
            is expected
        )


def test_flagged_is_stale_and_never_verified_is_unverified() -> None:
    cutoffs = FreshnessCutoffs(now=NOW, settings=SETTINGS)
    assert cutoffs.state(last_verified_at=NOW, stale_flagged_at=NOW, category="ngo") is (
        Freshness.STALE
    )
    assert cutoffs.state(last_verified_at=None, stale_flagged_at=None, category="ngo") is (
        Freshness.UNVERIFIED
    )
