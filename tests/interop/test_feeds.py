"""Feeds between two real Homeward instances on 127.0.0.1: A serves its ORAPI under uvicorn
over its own database, B (also under uvicorn, over another database) pulls A into its review
queue as `feed: A`, and B's reviewer approves over B's API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.auth.service import create_key
from app.config import get_settings
from app.db import make_engine, unit_of_work
from app.directory import lookup, service
from app.interop import feeds
from app.interop.models import Feed
from app.review.models import Submission, SubmissionStatus
from app.schedule.runs import run_job
from tests.conftest import migrate, throwaway_database
from tests.faults.live import live_app
from tests.interop import sample


@dataclass
class Instance:
    base: str
    engine: Engine

    def sessions(self) -> Callable[[], AbstractContextManager[Session]]:
        return lambda: unit_of_work(self.engine)


@contextmanager
def instance(prefix: str) -> Iterator[Instance]:
    with throwaway_database(prefix) as url:
        migrate(url)
        engine = make_engine(url)
        try:
            with live_app(url) as base:
                yield Instance(base, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def two() -> Iterator[tuple[Instance, Instance]]:
    with instance("feeda") as a, instance("feedb") as b:
        yield a, b


def _pending_from_a(b: Instance) -> list[Submission]:
    with Session(b.engine) as session:
        return list(
            session.execute(
                select(Submission)
                .where(Submission.source == "feed: A", Submission.status == "pending")
                .order_by(Submission.id)
            ).scalars()
        )


def _pull(b: Instance) -> feeds.PullSummary:
    return feeds.pull_feed("A", settings=get_settings(), sessions=b.sessions())


def test_a_directory_follows_another_through_the_review_queue(
    two: tuple[Instance, Instance],
) -> None:
    a, b = two
    with unit_of_work(a.engine) as session:
        built = sample.build(session)
        # The feed's key on A is an officer's: it may not see confidential organisations.
        feed_key = create_key(session, name="directory B", role="officer").secret
        lagos_id, lagos_phone = built.lagos.id, built.lagos.phones[0].number
        lagos_version = built.lagos.version
    with unit_of_work(b.engine) as session:
        reviewer = create_key(session, name="B reviewer", role="reviewer").secret
        feeds.add_feed(
            session, name="A", url=f"{a.base}/hsds/", api_key=feed_key, created_by="test"
        )
    headers = {"Authorization": f"Bearer {reviewer}"}

    # The scheduler's job pulls it: every non-confidential office of A arrives for review.
    run = run_job(
        "feeds",
        settings=get_settings(),
        slot="test-1",
        instance_id="test",
        sessions=b.sessions(),
    )
    assert run is not None and run.status == "done", run
    pending = _pending_from_a(b)
    titles = " | ".join(s.title for s in pending)
    assert len(pending) == run.processed >= 4, titles
    assert "Safe House" not in titles
    assert {s.origin for s in pending} == {"feed"}
    assert {s.submitter_name for s in pending} == {"feed: A"}
    with Session(b.engine) as session:
        feed = session.execute(select(Feed)).scalar_one()
        assert feed.last_error is None and feed.failures == 0
        assert feed.last_fetched == len(pending) + feed.last_refused
        assert feed.last_queued == len(pending)
        assert feed.high_water_mark is not None
    queue = httpx.get(f"{b.base}/api/v1/submissions", headers=headers, params={"per_page": 200})
    assert queue.status_code == 200, queue.text
    assert {i["source"] for i in queue.json()["items"]} == {"feed: A"}
    assert "Safe House" not in queue.text
    # Nothing is live on B before a decision.
    contacts = httpx.get(f"{b.base}/api/v1/contacts", headers=headers)
    assert contacts.status_code == 200
    assert "Ikeja" not in contacts.text

    # A second pull with nothing changed on A queues nothing.
    again = _pull(b)
    assert again.ok and again.queued == 0 and again.superseded == 0, again
    assert [s.id for s in _pending_from_a(b)] == [s.id for s in pending]

    # A changes Ikeja's hours: the pending proposal is replaced, not doubled.
    with unit_of_work(a.engine) as session:
        service.update_office(
            session,
            office_id=lagos_id,
            changes={"opening_hours": "Mon-Sat 08:00-18:00"},
            expected_version=lagos_version,
            provenance=sample.REVIEWER,
        )
    changed = _pull(b)
    assert changed.ok and changed.queued == 1 and changed.superseded == 1, changed
    now_pending = _pending_from_a(b)
    assert len(now_pending) == len(pending)
    (new,) = [s for s in now_pending if s.id == changed.submission_ids[0]]
    assert new.changes["office.opening_hours"] == "Mon-Sat 08:00-18:00"
    with Session(b.engine) as session:
        replaced = [
            s
            for s in session.execute(
                select(Submission).where(Submission.status == SubmissionStatus.WITHDRAWN)
            ).scalars()
        ]
    assert len(replaced) == 1
    assert replaced[0].decided_by == "feed: A"
    assert f"superseded by submission #{new.id}" in (replaced[0].decision_reason or "")

    # B's reviewer approves it: the contact goes live on B, its revisions naming the feed.
    approved = httpx.post(f"{b.base}/api/v1/submissions/{new.id}/approve", headers=headers, json={})
    assert approved.status_code == 200, approved.text
    office_id = approved.json()["office_id"]
    history = httpx.get(f"{b.base}/api/v1/contacts/{office_id}/history", headers=headers)
    assert history.status_code == 200, history.text
    revisions = history.json()
    assert revisions and {r["actor"] for r in revisions} == {"feed: A"}
    assert {r["submission_id"] for r in revisions} == {new.id}
    assert all(r["approved_by"] for r in revisions)
    contact = httpx.get(f"{b.base}/api/v1/contacts/{office_id}", headers=headers).json()
    assert contact["opening_hours"] == "Mon-Sat 08:00-18:00"

    # Unchanged, nothing more; a further change on A arrives as a correction of B's contact.
    assert _pull(b).queued == 0
    with unit_of_work(a.engine) as session:
        office = lookup.get_office(session, lagos_id, refresh=True)
        service.update_office(
            session,
            office_id=lagos_id,
            changes={"email": "ikeja-new@legal.example.org"},
            expected_version=office.version,
            provenance=sample.REVIEWER,
        )
    correction = _pull(b)
    assert correction.queued == 1 and correction.superseded == 0, correction
    with Session(b.engine) as session:
        sub = session.get_one(Submission, correction.submission_ids[0])
        assert sub.kind == "correction" and sub.office_id == office_id
        # The one changed field, and the source record kept for the round trip (hsds_source)
        # now holding the new value.
        assert set(sub.changes) == {"office.email", "office.hsds_source"}
        assert sub.changes["office.email"] == "ikeja-new@legal.example.org"
        source = sub.changes["office.hsds_source"]["service"]
        assert source["email"] == "ikeja-new@legal.example.org"
        total = session.execute(select(func.count()).select_from(Submission)).scalar_one()
    assert total == len(pending) + 2
    assert lagos_phone in contact_numbers(b, office_id, headers)


def contact_numbers(b: Instance, office_id: int, headers: dict[str, str]) -> str:
    body: Any = httpx.get(f"{b.base}/api/v1/contacts/{office_id}", headers=headers).json()
    return " ".join(p["number"] for p in body["phones"])
