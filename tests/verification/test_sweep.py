"""The automated_checks sweep as a pipeline, against a real local HTTP server: a slow site
holds up only itself, the workers stay busy across batches, and what the job promised before
still holds (batches committed as they finish, an office's findings stored together, limits
and politeness per host, bounded memory, nothing checked twice on a rerun)."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.verification import jobs, sweep
from app.verification.checks import Finding, WebsiteChecker
from app.verification.models import CheckKind, CheckResult
from app.verification.transport import HostMapResolver
from tests.factories import make_office, make_org
from tests.verification.web_server import LOOPBACK, RunningServer


def add_offices(engine: Engine, websites: list[str]) -> list[int]:
    """Committed offices of one organisation (one phone each), in this order of ids."""
    with Session(engine) as session:
        org = make_org(session)
        ids = [make_office(session, org=org, verified_at=None, website=w).id for w in websites]
        session.commit()
    return ids  # type: ignore[return-value]


@dataclass
class Commit:
    offices: set[int]
    findings: list[Finding]
    visible: set[int]  # offices with check results, seen from another connection just after
    slow_in_flight: int  # the slow host's requests the server was still answering


class Run:
    """Runs automated_checks on real transactions and logs every stored batch."""

    def __init__(self, engine: Engine, server: RunningServer, settings: Settings) -> None:
        self.engine, self.server, self.settings = engine, server, settings
        self.commits: list[Commit] = []

    def sessions(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.engine)

    def on_batch(self, n: int, findings: list[Finding]) -> None:
        with Session(self.engine) as session:
            visible = set(session.execute(select(CheckResult.office_id).distinct()).scalars())
        offices = {f.office_id for f in findings}
        assert len(offices) == n  # every office here has a phone: one finding at least
        self.commits.append(
            Commit(offices, findings, visible, self.server.site.in_flight["slow.stall.test"])
        )

    def __call__(self, office_ids: list[int], **overrides: Any) -> sweep.CheckSummary:
        return jobs.automated_checks(
            settings=self.settings,
            sessions=self.sessions,
            office_ids=office_ids,
            resolver=HostMapResolver({"*": ("127.0.0.1", self.server.port)}),
            on_batch=self.on_batch,
            **overrides,
        )


def web_settings(settings: Settings, **web: float) -> Settings:
    return settings.model_copy(update={f"web_check_{k}": v for k, v in web.items()})


def test_a_slow_site_holds_up_only_itself(
    committed_engine: Engine, settings: Settings, web_server: RunningServer
) -> None:
    # The slow office comes first, in the first batch of three; the server answers it after
    # 1.5 s and the check gives up after 1 s. Eleven offices on fast hosts follow. Offices
    # done wait at most 0.2 s for a full batch of three to be stored.
    slow_id, *fast_ids = add_offices(
        committed_engine,
        ["http://slow.stall.test/slow"] + [f"http://fast{i % 4}.stall.test/ok" for i in range(11)],
    )
    run = Run(
        committed_engine,
        web_server,
        web_settings(settings, timeout_seconds=1.0, concurrency=4, per_host=2),
    )
    summary = run([slow_id, *fast_ids], batch_size=3, store_after_seconds=0.2)

    assert summary.offices == 12
    assert all(len(c.offices) <= 3 for c in run.commits)
    *before, last = run.commits
    # Every fast office, its batch-mates and those of the next three batches, was stored
    # (and visible to other connections) while the slow check was still out: the last two
    # in a batch of their own...
    assert set().union(*(c.offices for c in before)) == set(fast_ids)
    assert len(before) >= 4  # 11 fast offices in stored batches of at most 3
    assert before[-1].visible == set(fast_ids)
    assert before[-1].slow_in_flight == 1
    # ...and the slow office, loaded first, was stored last, once its check timed out.
    assert last.offices == {slow_id}
    (slow,) = [f for f in last.findings if f.kind is CheckKind.WEBSITE]
    assert slow.flags == ["timeout"] and slow.elapsed_ms is not None and slow.elapsed_ms >= 900
    assert all(f.ok for c in before for f in c.findings if f.kind is CheckKind.WEBSITE)
    # Whatever order they finished in, each office's findings went in together.
    with Session(committed_engine) as session:
        kinds = session.execute(select(CheckResult.office_id, CheckResult.kind)).all()
    assert sorted(kinds) == sorted(
        (f.office_id, f.kind.value) for c in run.commits for f in c.findings
    )


def test_the_workers_stay_busy_across_batches(
    committed_engine: Engine, settings: Settings, web_server: RunningServer
) -> None:
    site = web_server.site
    ids = add_offices(committed_engine, [f"http://busy{i % 3}.across.test/busy" for i in range(24)])
    run = Run(committed_engine, web_server, web_settings(settings, concurrency=6, per_host=2))
    summary = run(ids, batch_size=3)

    assert summary.offices == 24 and summary.failures["website"] == 0
    # Six checks at once, two per host, with batches of three (one office per host): the
    # sweep never waited for a batch to end, and the limits held across batches.
    assert site.max_group_in_flight["across.test"] == 6
    assert [site.max_in_flight[f"busy{i}.across.test"] for i in range(3)] == [2, 2, 2]
    assert len(run.commits) == 8 and all(len(c.offices) == 3 for c in run.commits)
    # A rerun skips what was checked within checks_max_age_days.
    assert run(ids, batch_size=3).offices == 0
    assert len(site.started["busy0.across.test"]) == 8


def test_memory_stays_bounded_and_hosts_stay_polite(
    committed_engine: Engine,
    settings: Settings,
    web_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = add_offices(committed_engine, ["http://polite.bounded.test/ok"] * 12)
    delay = 0.1
    run = Run(
        committed_engine,
        web_server,
        web_settings(settings, concurrency=1, per_host=1, per_host_delay_seconds=delay),
    )
    loaded: list[int] = []
    outstanding: list[int] = []  # offices loaded and not stored, after each load
    load_targets = sweep.load_targets

    def counting_load(*args: Any, **kwargs: Any) -> list[sweep.OfficeTargets]:
        targets = load_targets(*args, **kwargs)
        loaded.extend(t.office_id for t in targets)
        outstanding.append(len(loaded) - sum(len(c.offices) for c in run.commits))
        return targets

    monkeypatch.setattr(sweep, "load_targets", counting_load)
    summary = run(ids, batch_size=2)

    assert summary.offices == 12 and sorted(loaded) == ids
    # Offices are read ahead only while fewer than website_backlog wait for their check: at
    # most that, a batch just loaded, and under a batch checked and not stored yet.
    assert max(outstanding) <= jobs.website_backlog(2, 1) + 2 * 2 < len(ids)
    starts = web_server.site.started["polite.bounded.test"]
    assert len(starts) == 12
    # The server (a thread of this process) stamps a request when it gets to it, which a
    # loaded machine can put off by tens of milliseconds: that shortens the gap after it and
    # lengthens the one before. Every gap keeps most of the delay, and together they keep it
    # all but one late stamp's worth.
    gaps = [b - a for a, b in pairwise(starts)]
    assert min(gaps) >= delay * 0.5, gaps
    assert starts[-1] - starts[0] >= len(gaps) * delay - 0.05, gaps


def test_a_hosts_politeness_delay_outlasts_its_queue(web_server: RunningServer) -> None:
    """Two sweeps one after the other (two batches): the second waits out the first's
    delay although the host had nothing queued in between."""
    delay = 0.2

    async def run() -> None:
        resolver = HostMapResolver({"*": ("127.0.0.1", web_server.port)})
        async with WebsiteChecker(
            timeout=2,
            concurrency=2,
            per_host=1,
            per_host_delay=delay,
            resolver=resolver,
            allowed_networks=LOOPBACK,
        ) as checker:
            for _ in range(2):
                await checker.check_many([(1, "http://cooling.example.test/ok")])

    asyncio.run(run())
    first, second = web_server.site.started["cooling.example.test"]
    assert second - first >= delay * 0.8


def test_a_failing_callback_stops_the_stream(web_server: RunningServer) -> None:
    async def run() -> None:
        resolver = HostMapResolver({"*": ("127.0.0.1", web_server.port)})

        def fail(_ticket: int, _finding: Finding) -> None:
            raise RuntimeError("cannot store")

        async with (
            WebsiteChecker(
                timeout=2, concurrency=2, per_host=1, resolver=resolver, allowed_networks=LOOPBACK
            ) as checker,
            checker.stream(fail) as stream,
        ):
            stream.submit(1, "http://a.failing.test/ok")
            stream.submit(2, "http://b.failing.test/slow")
            await stream.join()

    with pytest.raises(RuntimeError, match="cannot store"):
        asyncio.run(run())
