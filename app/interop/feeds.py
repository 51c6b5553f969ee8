"""Feeds: another directory's ORAPI (another Homeward's /hsds, or any ORAPI server) pulled
into this one's review queue, never into the directory.

A pull pages through the remote's `/services` with fully nested records, modified on or after
the feed's high-water mark. Each record is read and queued exactly as the HSDS import queues a
record (hsds_reader, hsds_import.queue_chunk): a correction of the contact it matches or a
new contact, with findings for what fails our checks, origin `feed` and source
"feed: NAME". A record whose document is the same as last pulled queues nothing; a changed
one replaces its still-pending submission (withdrawn in the feed's name, saying by which).
Each page is one transaction; the mark moves only when a pull finishes, so a failed pull is
asked again whole and what it queued already is recognised by its digest.

A pull that fails (down, slow, an HTTP error, not JSON, a body over the cap, out of time) is
recorded as the feed's last error, and the feed waits before the next, twice as long after
each failure in a row (`feed_retry_seconds` up to `feed_retry_max_seconds`). The remote key
is sent as a bearer token; it is never listed, logged, or part of an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.interop import feed_client
from app.interop.feed_client import FeedError
from app.interop.hsds_datasets import read_document
from app.interop.hsds_import import ImportReport, Matcher, queue_chunk
from app.interop.hsds_reader import Candidate, Problem
from app.interop.models import Feed, FeedRecord
from app.kit.clock import as_utc, utcnow
from app.kit.errors import InvalidValue, NotFound
from app.review.decisions import supersede
from app.review.models import Submission, SubmissionOrigin
from app.verification.jobs import SessionFactory

log = logging.getLogger("homeward.feeds")

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


@dataclass(frozen=True)
class FeedStatus:
    """A feed as `homeward feeds list` shows it: everything but its key."""

    name: str
    url: str
    has_key: bool
    last_pull_at: datetime | None
    last_success_at: datetime | None
    high_water_mark: datetime | None
    last_error: str | None
    failures: int
    next_pull_after: datetime | None
    fetched: int
    queued: int
    superseded: int
    unchanged: int
    refused: int


@dataclass
class PullSummary:
    """What one pull did: records fetched, queued, superseded, unchanged, refused."""

    feed: str
    fetched: int = 0
    queued: int = 0
    superseded: int = 0
    unchanged: int = 0
    refused: int = 0
    pages: int = 0
    error: str | None = None
    submission_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def source_of(name: str) -> str:
    """The source of a feed's submissions and revisions."""
    return f"feed: {name}"


def add_feed(
    session: Session, *, name: str, url: str, api_key: str | None, created_by: str
) -> Feed:
    """Subscribe to the ORAPI at `url` (its base, e.g. https://example.org/hsds); pulled at
    the scheduler's next feeds run. InvalidValue names `name`, `url` or `key`."""
    name = name.strip()
    if not NAME_PATTERN.match(name):
        raise InvalidValue(
            "1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a "
            "letter or digit",
            field="name",
        )
    try:
        checked = feed_client.check_url(url)
    except ValueError as exc:
        raise InvalidValue(str(exc), field="url") from exc
    if len(checked) > 500:
        raise InvalidValue("at most 500 characters", field="url")
    key = (api_key or "").strip() or None
    if key is not None and (len(key) > 500 or not key.isprintable() or " " in key):
        raise InvalidValue("a key is up to 500 printable characters without spaces", field="key")
    if session.execute(select(Feed.id).where(Feed.name == name)).first() is not None:
        raise InvalidValue(f"a feed named '{name}' exists already", field="name")
    feed = Feed(name=name, url=checked, api_key=key, created_by=created_by[:200])
    session.add(feed)
    session.flush()
    return feed


def _feed_named(session: Session, name: str) -> Feed:
    feed = session.execute(select(Feed).where(Feed.name == name)).scalar_one_or_none()
    if feed is None:
        raise NotFound(f"no feed named '{name}'", field="name")
    return feed


def remove_feed(session: Session, *, name: str) -> None:
    """Unsubscribe. What the feed queued stays in the review queue for reviewers."""
    feed = _feed_named(session, name)
    session.execute(delete(FeedRecord).where(FeedRecord.feed_id == feed.id))
    session.delete(feed)
    session.flush()


def list_feeds(session: Session) -> list[FeedStatus]:
    """Every feed by name, with its last pull, counts and error; never its key."""
    return [
        FeedStatus(
            name=f.name,
            url=feed_client.public_url(f.url),
            has_key=f.api_key is not None,
            last_pull_at=as_utc(f.last_pull_at),
            last_success_at=as_utc(f.last_success_at),
            high_water_mark=as_utc(f.high_water_mark),
            last_error=f.last_error,
            failures=f.failures,
            next_pull_after=as_utc(f.next_pull_after),
            fetched=f.last_fetched,
            queued=f.last_queued,
            superseded=f.last_superseded,
            unchanged=f.last_unchanged,
            refused=f.last_refused,
        )
        for f in session.execute(select(Feed).order_by(Feed.name)).scalars()
    ]


def feed_id(session: Session, name: str) -> int:
    return _feed_named(session, name).id


# ---- pulling -------------------------------------------------------------------------------


def _digest(doc: dict[str, Any]) -> str:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _modified(doc: dict[str, Any]) -> datetime | None:
    value = doc.get("last_modified")
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class _Item:
    remote_id: str | None  # None: a record without an id, refused and not remembered
    digest: str
    record: Candidate | Problem


def _items(docs: Sequence[dict[str, Any]], *, page: int) -> list[_Item]:
    """The page's records, one per service at a location, each under the remote id it is
    remembered by (the service id; `#n` for the n-th location after the first)."""
    items = []
    for i, doc in enumerate(docs):
        where = f"page {page} [{i}]"
        service_id = doc.get("id")
        if not isinstance(service_id, str) or not service_id.strip():
            items.append(_Item(None, "", Problem(where, "a service without an id", "id")))
            continue
        digest = _digest(doc)
        for n, record in enumerate(read_document(doc, where=f"{where} service {service_id}")):
            remote_id = service_id if n == 0 else f"{service_id}#{n}"
            items.append(_Item(remote_id[:200], digest, record))
    return items


def _take_page(
    session: Session, *, feed: Feed, docs: Sequence[dict[str, Any]], page: int, summary: PullSummary
) -> None:
    """Queue what changed on one page, and supersede what it replaces."""
    items = _items(docs, page=page)
    known = {
        r.remote_id: r
        for r in session.execute(
            select(FeedRecord).where(
                FeedRecord.feed_id == feed.id,
                FeedRecord.remote_id.in_(sorted({i.remote_id for i in items if i.remote_id})),
            )
        ).scalars()
    }
    changed = [
        i
        for i in items
        if i.remote_id is None or i.remote_id not in known or known[i.remote_id].digest != i.digest
    ]
    summary.unchanged += len(items) - len(changed)
    if not changed:
        return
    source = source_of(feed.name)
    report = ImportReport(dataset=feed.name, source=source, dry_run=False)
    outcomes = queue_chunk(
        session,
        [i.record for i in changed],
        matcher=Matcher(session),
        report=report,
        submitter=None,
        strict=False,
        origin=SubmissionOrigin.FEED,
    )
    summary.unchanged += report.unchanged
    summary.refused += len(report.problems)
    now = utcnow()
    for item, outcome in zip(changed, outcomes, strict=True):
        new_id = outcome.id if isinstance(outcome, Submission) else None
        if new_id is not None:
            summary.queued += 1
            summary.submission_ids.append(new_id)
        if item.remote_id is None:
            continue
        record = known.get(item.remote_id)
        if record is None:
            record = FeedRecord(feed_id=feed.id, remote_id=item.remote_id, digest=item.digest)
            session.add(record)
        elif record.submission_id is not None and record.submission_id != new_id:
            why = (
                f"superseded by submission #{new_id}, the feed's newer version of this record"
                if new_id is not None
                else "the feed's newer version of this record proposes nothing to queue"
            )
            if supersede(session, submission_id=record.submission_id, source=source, reason=why):
                summary.superseded += 1
        record.digest, record.submission_id, record.seen_at = item.digest, new_id, now
    for problem in report.problems:
        log.info("feed %s: %s refused: %s", feed.name, problem.where, problem.reason)
    session.flush()


def _finish(
    session: Session,
    feed: Feed,
    summary: PullSummary,
    *,
    settings: Settings,
    mark: datetime | None,
) -> None:
    now = utcnow()
    feed.last_fetched, feed.last_queued = summary.fetched, summary.queued
    feed.last_superseded, feed.last_unchanged = summary.superseded, summary.unchanged
    feed.last_refused = summary.refused
    if summary.error is None:
        feed.last_success_at, feed.last_error, feed.failures = now, None, 0
        feed.next_pull_after = None
        if mark is not None:
            feed.high_water_mark = mark
        return
    feed.last_error = summary.error[:2000]
    feed.failures += 1
    wait = min(
        settings.feed_retry_seconds * 2 ** (feed.failures - 1), settings.feed_retry_max_seconds
    )
    feed.next_pull_after = now + timedelta(seconds=wait)


def pull_feed(
    name: str, *, settings: Settings, sessions: SessionFactory = unit_of_work
) -> PullSummary:
    """Pull one feed now, whatever its backoff: every service modified since its mark."""
    with sessions() as session:
        feed = _feed_named(session, name)
        feed.last_pull_at = utcnow()
        ident, url, key, mark = feed.id, feed.url, feed.api_key, as_utc(feed.high_water_mark)
    summary = PullSummary(feed=name)
    deadline = time.monotonic() + settings.feed_pull_max_seconds
    first_answer: datetime | None = None
    seen: list[datetime] = []
    try:
        with (
            feed_client.client(api_key=key, timeout=settings.feed_timeout_seconds) as http,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"feed-{ident}") as ahead,
        ):

            def fetch(page: int) -> feed_client.Page:
                return feed_client.fetch_services(
                    http,
                    url,
                    page=page,
                    per_page=settings.feed_page_size,
                    modified_after=mark,
                    max_bytes=settings.feed_max_page_bytes,
                    deadline=deadline,
                )

            # The next page is asked for while this one is queued: the remote renders its
            # records as we read ours.
            coming = ahead.submit(fetch, 1)
            page = 1
            while True:
                got = coming.result()
                more = page < got.total_pages and bool(got.contents)
                if more:
                    coming = ahead.submit(fetch, page + 1)
                if page == 1:
                    first_answer = got.server_time
                summary.fetched += len(got.contents)
                summary.pages = page
                seen.extend(m for d in got.contents if (m := _modified(d)) is not None)
                with sessions() as session:
                    feed = session.get_one(Feed, ident)
                    _take_page(session, feed=feed, docs=got.contents, page=page, summary=summary)
                if not more:
                    break
                page += 1
    except FeedError as exc:
        summary.error = str(exc)
    except Exception as exc:
        # A bug or a database error: recorded like a remote's failure (by its type only, as
        # a message could quote a request), and the other feeds still pull.
        log.exception("feed %s: the pull failed unexpectedly", name)
        summary.error = f"the pull failed: {type(exc).__name__}"
    with sessions() as session:
        feed = session.get_one(Feed, ident)
        _finish(
            session,
            feed,
            summary,
            settings=settings,
            mark=feed_client.next_mark(first_answer, seen) or mark,
        )
    if summary.error:
        log.warning("feed %s failed: %s", name, summary.error)
    else:
        log.info(
            "feed %s: %d fetched, %d queued, %d superseded, %d unchanged, %d refused",
            name,
            summary.fetched,
            summary.queued,
            summary.superseded,
            summary.unchanged,
            summary.refused,
        )
    return summary


def pull_due(*, settings: Settings, sessions: SessionFactory = unit_of_work) -> list[PullSummary]:
    """The scheduler's job: pull every feed not waiting out a failure, one after another."""
    now = utcnow()
    with sessions() as session:
        names = list(
            session.execute(
                select(Feed.name)
                .where(or_(Feed.next_pull_after.is_(None), Feed.next_pull_after <= now))
                .order_by(Feed.name)
            ).scalars()
        )
    return [pull_feed(name, settings=settings, sessions=sessions) for name in names]
