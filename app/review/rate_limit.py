"""The per-key submission rate limit: how many more submissions a key may make now."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.config import Settings
from app.kit.clock import as_utc
from app.kit.errors import TooManyRequests
from app.kit.i18n import N_
from app.kit.principal import Principal
from app.review.models import Submission


@dataclass
class RateBudget:
    """How many more submissions a key may make now (one count per batch, not per item)."""

    limit: int
    window_seconds: int
    now: datetime
    count: int = 0
    oldest: datetime | None = None

    @classmethod
    def load(
        cls, session: Session, *, submitter: Principal, settings: Settings, now: datetime
    ) -> RateBudget:
        # Serialise one key's submissions (PostgreSQL row lock; SQLite writes are serial
        # anyway) so parallel requests on several workers cannot slip past the count together.
        session.execute(select(ApiKey.id).where(ApiKey.id == submitter.key_id).with_for_update())
        since = now - timedelta(seconds=settings.submission_rate_window_seconds)
        count, oldest = session.execute(
            select(func.count(), func.min(Submission.created_at)).where(
                Submission.submitter_key_id == submitter.key_id, Submission.created_at > since
            )
        ).one()
        return cls(
            limit=settings.submission_rate_limit,
            window_seconds=settings.submission_rate_window_seconds,
            now=now,
            count=count,
            oldest=as_utc(oldest),
        )

    def check(self) -> None:
        if self.count < self.limit:
            return
        free_at = (self.oldest or self.now) + timedelta(seconds=self.window_seconds)
        retry_after = max(1, math.ceil((free_at - self.now).total_seconds()))
        raise TooManyRequests(
            N_(
                "at most %(limit)s submissions per %(window)s seconds per key; "
                "retry in %(seconds)s seconds"
            ),
            params={
                "limit": self.limit,
                "window": self.window_seconds,
                "seconds": retry_after,
            },
            retry_after=retry_after,
        )

    def take(self) -> None:
        self.count += 1
        self.oldest = self.oldest or self.now
