"""Feeds: other directories' ORAPIs this one pulls into its review queue (app/interop/feeds).

`Feed` is a subscription and the state of its pulls; `FeedRecord` is one remote record as last
seen (a digest of its document) and the submission it last queued, so an unchanged record
queues nothing and a changed one replaces its pending submission instead of adding another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.models import Base, id_column, optional_timestamp_column, timestamp_column


class Feed(Base, kw_only=True):
    """A remote ORAPI (another Homeward's /hsds, or any ORAPI server) and its pulls.

    `api_key` is sent as a bearer token and never shown or logged. `high_water_mark` is the
    remote's clock when the last successful pull began: the next asks for `modified_after` it.
    """

    __tablename__ = "feed"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = timestamp_column()
    created_by: Mapped[str] = mapped_column(String(200))

    high_water_mark: Mapped[datetime | None] = optional_timestamp_column()
    last_pull_at: Mapped[datetime | None] = optional_timestamp_column()
    last_success_at: Mapped[datetime | None] = optional_timestamp_column()
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    next_pull_after: Mapped[datetime | None] = optional_timestamp_column()
    # The counts of the last pull (whether it finished or not).
    last_fetched: Mapped[int] = mapped_column(default=0, server_default="0")
    last_queued: Mapped[int] = mapped_column(default=0, server_default="0")
    last_superseded: Mapped[int] = mapped_column(default=0, server_default="0")
    last_unchanged: Mapped[int] = mapped_column(default=0, server_default="0")
    last_refused: Mapped[int] = mapped_column(default=0, server_default="0")


class FeedRecord(Base, kw_only=True):
    """One remote record of a feed (its service id; `#n` for its n-th location after the
    first) as last pulled."""

    __tablename__ = "feed_record"
    __table_args__ = (UniqueConstraint("feed_id", "remote_id"),)

    id: Mapped[int] = id_column()
    feed_id: Mapped[int] = mapped_column(ForeignKey("feed.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), default=None)
    seen_at: Mapped[datetime] = timestamp_column()
