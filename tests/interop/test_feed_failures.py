"""Feeds that fail: a real local server (uvicorn in a thread) that is slow, answers bad JSON,
an error, something that is not an ORAPI page, a body over the cap, or trickles bytes; and a
port nothing listens on. Each failure is the feed's last error, the feed waits (backoff), the
other feeds and jobs go on, and the remote key never shows."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.db import unit_of_work
from app.interop import feeds
from app.interop.models import Feed
from app.kit.clock import as_utc, utcnow
from app.review.models import Submission
from app.schedule.runs import run_job
from app.verification.models import JobRun
from bench.local_server import free_port
from tests.factories import NG_PHONE
from tests.verification.web_server import RunningServer

SECRET = "feed-key-that-must-never-show-0123456789"
CAP = 256 * 1024

SERVICE = {
    "id": "4f6b1a0e-8d1c-4c39-9d0a-6a8d3c1f2e11",
    "name": "Example Returnee Desk (demo)",
    "status": "active",
    "last_modified": "2026-06-01T10:00:00+00:00",
    "organization": {"id": "9b0f5a3e-0c55-4b8e-9e6f-1d2c3b4a5f60", "name": "Example Aid (demo)"},
    "phones": [{"id": "p1", "number": NG_PHONE}],
    "service_at_locations": [
        {
            "id": "s1",
            "location": {
                "id": "l1",
                "name": "Lagos desk",
                "addresses": [
                    {"address_type": "physical", "city": "Lagos", "country": "NG"},
                ],
            },
        }
    ],
}
PAGE = {"total_items": 1, "total_pages": 1, "page_number": 1, "contents": [SERVICE]}


class BadOrapi:
    """`/<mode>/hsds/services`: one way for a feed to fail per mode; `good` is a valid page."""

    def __init__(self) -> None:
        self.authorizations: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.authorizations.append(dict(scope["headers"]).get(b"authorization", b""))
        mode = scope["path"].split("/")[1]

        async def start(status: int = 200, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json"), *headers],
                }
            )

        async def body(data: bytes, more: bool = False) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": more})

        if mode == "slow":
            await asyncio.sleep(5)
        if mode == "good":
            await start()
            await body(json.dumps(PAGE).encode())
        elif mode == "mixed":
            nameless = {k: v for k, v in SERVICE.items() if k != "id"}
            await start()
            await body(json.dumps({**PAGE, "contents": [nameless, SERVICE, "text"]}).encode())
        elif mode == "badjson":
            await start()
            await body(b'{"contents": [{"id": "x", ')
        elif mode == "error":
            await start(500)
            await body(b'{"error": "broken"}')
        elif mode == "notapage":
            await start()
            await body(b'{"services": []}')
        elif mode == "huge":
            # No Content-Length: the cap must hold while reading.
            await start()
            chunk = b" " * 65536
            for _ in range(2 * CAP // len(chunk) + 2):
                await body(chunk, more=True)
            await body(b"{}")
        elif mode == "biglength":
            await start(headers=((b"content-length", str(CAP * 4).encode()),))
            await body(b" " * (CAP * 4))
        elif mode == "trickle":
            await start()
            for _ in range(100):
                await body(b" ", more=True)
                await asyncio.sleep(0.1)
            await body(json.dumps(PAGE).encode())
        else:
            await start(404)
            await body(b"{}")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, BadOrapi]]:
    site = BadOrapi()
    running = RunningServer(site).start()
    yield f"http://127.0.0.1:{running.port}", site
    running.stop()


def _settings(**changes: Any) -> Settings:
    base = {
        "feed_timeout_seconds": 1.0,
        "feed_max_page_bytes": CAP,
        "feed_pull_max_seconds": 4.0,
        "feed_retry_seconds": 60.0,
        "feed_retry_max_seconds": 200.0,
    }
    return get_settings().model_copy(update={**base, **changes})


def _sessions(engine: Engine) -> Any:
    return lambda: unit_of_work(engine)


def _feed(engine: Engine, name: str) -> Feed:
    with Session(engine) as session:
        return session.execute(select(Feed).where(Feed.name == name)).scalar_one()


BAD = {
    "slow": "did not answer in time",
    "badjson": "not JSON",
    "error": "HTTP 500",
    "notapage": "not an ORAPI page",
    "huge": "over the cap",
    "biglength": "over the cap",
    "trickle": "ran out of time",
    "down": "cannot reach",
}


def test_failing_feeds_record_why_wait_and_never_hold_up_the_others(
    committed_engine: Engine, server: tuple[str, BadOrapi], caplog: pytest.LogCaptureFixture
) -> None:
    base, site = server
    nobody = f"http://127.0.0.1:{free_port()}"
    with unit_of_work(committed_engine) as session:
        for mode in BAD:
            url = f"{nobody}/hsds" if mode == "down" else f"{base}/{mode}/hsds"
            feeds.add_feed(session, name=mode, url=url, api_key=SECRET, created_by="test")
        feeds.add_feed(
            session, name="good", url=f"{base}/good/hsds", api_key=SECRET, created_by="t"
        )
    settings = _settings()
    caplog.set_level(logging.DEBUG)

    started = utcnow()
    summaries = {
        s.feed: s for s in feeds.pull_due(settings=settings, sessions=_sessions(committed_engine))
    }
    assert summaries["good"].ok and summaries["good"].queued == 1, summaries["good"]
    ended = utcnow()
    for mode, reason in BAD.items():
        assert summaries[mode].error is not None and reason in summaries[mode].error, (
            mode,
            summaries[mode],
        )
        feed = _feed(committed_engine, mode)
        assert feed.last_error == summaries[mode].error
        assert feed.failures == 1 and feed.last_success_at is None and feed.high_water_mark is None
        after = as_utc(feed.next_pull_after)
        assert after is not None
        assert started + timedelta(seconds=60) <= after <= ended + timedelta(seconds=60)
    with Session(committed_engine) as session:
        (queued,) = session.execute(select(Submission)).scalars()
        assert queued.source == "feed: good" and queued.origin == "feed"

    # At the next run the failed feeds are waiting; the good one pulls (and queues nothing).
    again = {
        s.feed: s for s in feeds.pull_due(settings=settings, sessions=_sessions(committed_engine))
    }
    assert set(again) == {"good"} and again["good"].queued == 0 and again["good"].unchanged == 1
    # Pulled by hand, a failing feed waits twice as long, up to the most.
    for expected in (120, 200):
        assert feeds.pull_feed(
            "error", settings=settings, sessions=_sessions(committed_engine)
        ).error
        feed = _feed(committed_engine, "error")
        after, pulled = as_utc(feed.next_pull_after), as_utc(feed.last_pull_at)
        assert after is not None and pulled is not None
        assert (
            pulled + timedelta(seconds=expected) <= after <= utcnow() + timedelta(seconds=expected)
        )

    # The key went to the server as a bearer token, and nowhere else.
    assert f"Bearer {SECRET}".encode() in site.authorizations
    assert SECRET not in caplog.text
    with Session(committed_engine) as session:
        assert all(
            SECRET not in (f.last_error or "") for f in session.execute(select(Feed)).scalars()
        )


def _add_feed(engine: Engine, server: tuple[str, BadOrapi], name: str, mode: str) -> None:
    """A feed `name` (no key) on the test server's `mode` endpoint."""
    base, _ = server
    with unit_of_work(engine) as session:
        feeds.add_feed(session, name=name, url=f"{base}/{mode}/hsds", api_key=None, created_by="t")


def test_a_stuck_feed_does_not_hold_up_other_jobs(
    committed_engine: Engine, server: tuple[str, BadOrapi]
) -> None:
    _add_feed(committed_engine, server, "stuck", "trickle")
    settings = _settings(feed_pull_max_seconds=6.0)
    sessions = _sessions(committed_engine)
    pulling = threading.Thread(
        target=run_job,
        args=("feeds",),
        kwargs={"settings": settings, "slot": "s1", "instance_id": "a", "sessions": sessions},
    )
    pulling.start()
    time.sleep(0.5)
    escalated = run_job(
        "escalate", settings=settings, slot="s1", instance_id="a", sessions=sessions
    )
    assert escalated is not None and escalated.status == "done"
    assert pulling.is_alive()  # still waiting on the trickling server
    pulling.join(timeout=30)
    assert not pulling.is_alive()
    with Session(committed_engine) as session:
        runs = {r.job: r for r in session.execute(select(JobRun)).scalars()}
    assert runs["feeds"].status == "done" and runs["escalate"].status == "done"
    assert as_utc(runs["escalate"].finished_at) < as_utc(runs["feeds"].finished_at)  # type: ignore[operator]
    assert "ran out of time" in (_feed(committed_engine, "stuck").last_error or "")


def test_feeds_from_the_terminal(
    homeward, committed_engine: Engine, server: tuple[str, BadOrapi], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base, _ = server
    added = homeward("feeds", "add", "ngo-net", f"{base}/good/hsds/", "--key", SECRET)
    assert added.exit_code == 0, added.output
    assert SECRET not in added.output and "with a key" in added.output
    assert homeward("feeds", "add", "ngo-net", f"{base}/good/hsds").exit_code == 1
    refused = homeward("feeds", "add", "other", "ftp://example.org/hsds")
    assert refused.exit_code == 1 and "url:" in refused.output
    assert homeward("feeds", "add", "bad", f"{base}/error/hsds", "--key", SECRET).exit_code == 0
    with Session(committed_engine) as session:
        assert {f.name for f in session.execute(select(Feed)).scalars()} == {"ngo-net", "bad"}

    pulled = homeward("feeds", "pull", "ngo-net")
    assert pulled.exit_code == 0, pulled.output
    assert "1 fetched, 1 queued" in pulled.output
    failed = homeward("feeds", "pull", "bad")
    assert failed.exit_code == 1 and "HTTP 500" in failed.output

    listed = homeward("feeds", "list")
    assert listed.exit_code == 0, listed.output
    assert "ngo-net" in listed.output and "HTTP 500 (1 in a row" in listed.output
    assert "1 fetched, 1 queued, 0 superseded, 0 unchanged, 0 refused" in listed.output
    assert SECRET not in listed.output

    assert homeward("feeds", "remove", "bad").exit_code == 0
    missing = homeward("feeds", "remove", "bad")
    assert missing.exit_code == 1 and "no feed named 'bad'" in missing.output
    with Session(committed_engine) as session:
        assert [f.name for f in session.execute(select(Feed)).scalars()] == ["ngo-net"]
        # What a removed feed queued stays for the reviewers.
        assert session.execute(select(Submission)).scalars().all()


def test_records_without_an_id_are_refused_and_the_others_queued(
    committed_engine: Engine, server: tuple[str, BadOrapi]
) -> None:
    _add_feed(committed_engine, server, "mixed", "mixed")
    sessions = _sessions(committed_engine)
    first = feeds.pull_feed("mixed", settings=_settings(), sessions=sessions)
    assert first.ok and (first.fetched, first.queued, first.refused) == (2, 1, 1), first
    second = feeds.pull_feed("mixed", settings=_settings(), sessions=sessions)
    assert second.ok and (second.queued, second.refused, second.unchanged) == (0, 1, 1), second
    assert (
        _feed(committed_engine, "mixed").last_refused,
        _feed(committed_engine, "mixed").last_error,
    ) == (1, None)
