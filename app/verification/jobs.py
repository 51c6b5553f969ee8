"""Scheduler jobs. Each one is idempotent and resumable: it works in batches, commits each
batch, and skips what is already done, so a job killed mid-sweep loses at most one
uncommitted batch and the next run completes the work without duplicating any."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta

from aiohttp.abc import AbstractResolver
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.directory.models import Office
from app.kit.clock import utcnow
from app.verification import checks, sweep
from app.verification.models import CheckKind
from app.verification.reports import write_digests
from app.verification.tasks import escalate_batch, open_due_tasks_batch

log = logging.getLogger("homeward.jobs")

SessionFactory = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[int], None]


def _pause(settings: Settings) -> None:
    if settings.scheduler_batch_pause_seconds > 0:
        time.sleep(settings.scheduler_batch_pause_seconds)


def _in_batches(
    step: Callable[[Session, int, int], tuple[int | None, int]],
    *,
    job: str,
    settings: Settings,
    sessions: SessionFactory,
    batch_size: int | None,
) -> int:
    """Run `step(session, after_id, limit)` batch after batch, each in its own unit of work,
    until it says it is done (None); returns the sum of what the batches counted."""
    after, total = 0, 0
    while True:
        with sessions() as session:
            last, n = step(session, after, batch_size or settings.scheduler_batch_size)
        if last is None:
            return total
        after, total = last, total + n
        log.info("%s: up to id %s, %s so far", job, after, total)
        _pause(settings)


def open_due_tasks(
    *, settings: Settings, sessions: SessionFactory = unit_of_work, batch_size: int | None = None
) -> int:
    """Open a task for every office that needs one (due, overdue, stale or never verified).

    Returns the number of tasks opened. Running it twice opens nothing the second time.
    """
    with sessions() as session:
        until = session.execute(select(func.max(Office.id))).scalar() or 0
    return _in_batches(
        lambda session, after, limit: open_due_tasks_batch(
            session, now=utcnow(), settings=settings, after_id=after, limit=limit, until_id=until
        ),
        job="open_due_tasks",
        settings=settings,
        sessions=sessions,
        batch_size=batch_size,
    )


def escalate(
    *, settings: Settings, sessions: SessionFactory = unit_of_work, batch_size: int | None = None
) -> int:
    """Refresh every active task's freshness and priority, escalate stale ones, release
    lapsed claims, then write today's per-country digest. Returns tasks changed."""
    changed = _in_batches(
        lambda session, after, limit: escalate_batch(
            session, now=utcnow(), settings=settings, after_id=after, limit=limit
        ),
        job="escalate",
        settings=settings,
        sessions=sessions,
        batch_size=batch_size,
    )
    with sessions() as session:
        countries = write_digests(session, now=utcnow(), settings=settings)
    log.info("escalate: %s tasks changed, digests for %s countries", changed, countries)
    return changed


def website_backlog(batch_size: int, concurrency: int) -> int:
    """How many offices an automated_checks sweep lets wait for their website check: enough
    to keep every worker busy across batches and past hosts that stall, few enough that
    memory does not grow with the number of offices."""
    return max(2 * batch_size, 4 * concurrency)


def automated_checks(
    *,
    settings: Settings,
    sessions: SessionFactory = unit_of_work,
    kinds: Sequence[CheckKind] = sweep.ALL_KINDS,
    country: str | None = None,
    office_ids: Sequence[int] | None = None,
    max_age_days: int | None = -1,
    dry_run: bool = False,
    resolver: AbstractResolver | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int, list[checks.Finding]], None] | None = None,
    store_after_seconds: float = 1.0,
) -> sweep.CheckSummary:
    """Check phones, websites and emails of offices whose last check is older than
    `max_age_days` (-1: the setting; None: every office). Results become check history;
    failures annotate open tasks. Nothing here verifies an office.

    A pipeline, so one slow site holds up only itself: batches of offices are loaded while
    earlier ones are being checked (at most `website_backlog` offices wait for a website
    check), their websites go to one CheckStream whose workers run across batches, and
    offices whose checks are all done are stored in batches of at most `batch_size`, each in
    its own transaction (a smaller batch once its oldest office has waited
    `store_after_seconds`, so finished work is not kept back by a stalled site). An office's
    findings are stored together, so a killed job loses at most the offices not stored yet
    (under one batch of finished work), and the next run, which skips offices checked within
    `max_age_days`, checks exactly those again. `on_batch(offices, findings)` follows each
    stored batch, in the thread that stored it.
    """
    if max_age_days == -1:
        max_age_days = settings.checks_max_age_days
    summary = sweep.CheckSummary()
    limit = batch_size or min(settings.scheduler_batch_size, 500)
    check_websites = CheckKind.WEBSITE in kinds
    # Offices whose website check is out, with their other findings; offices done, unstored,
    # and when the oldest of these was done (event loop time).
    waiting: dict[int, list[checks.Finding]] = {}
    done: list[list[checks.Finding]] = []
    done_since = 0.0

    def finished(findings: list[checks.Finding]) -> None:
        nonlocal done_since
        if not done:
            done_since = asyncio.get_running_loop().time()
        done.append(findings)

    def website_checked(_ticket: int, finding: checks.Finding) -> None:
        findings = waiting.pop(finding.office_id)
        findings.append(finding)
        finished(findings)

    def load(after: int, stream: checks.CheckStream) -> int | None:
        """Load the offices after `after` and start their checks; None when none is left."""
        now = utcnow()
        with sessions() as session:
            targets = sweep.load_targets(
                session,
                after_id=after,
                limit=limit,
                country=country,
                office_ids=office_ids,
                older_than=None if max_age_days is None else now - timedelta(days=max_age_days),
            )
            shared = (
                sweep.shared_numbers(session, (n for t in targets for _, n in t.phones))
                if CheckKind.PHONE in kinds
                else {}
            )
        if not targets:
            return None
        offline: dict[int, list[checks.Finding]] = defaultdict(list)
        for finding in sweep.offline_findings(targets, kinds, shared):
            offline[finding.office_id].append(finding)
        for target in targets:
            findings = offline.pop(target.office_id, [])
            if check_websites and target.website:
                waiting[target.office_id] = findings
                stream.submit(target.office_id, target.website)
            else:
                finished(findings)
        return targets[-1].office_id

    async def store(count: int) -> None:
        """Store the first `count` offices done, in one transaction, in a thread: checks go
        on meanwhile (nothing else uses the database until it is done)."""
        nonlocal done_since
        offices = done[:count]
        del done[:count]
        done_since = asyncio.get_running_loop().time()
        await asyncio.to_thread(write, offices)

    def write(offices: list[list[checks.Finding]]) -> None:
        findings = [f for office in offices for f in office]
        for finding in findings:
            summary.add(finding)
        if not dry_run:
            with sessions() as session:
                stored, annotated = sweep.store_findings(session, findings)
            summary.stored += stored
            summary.annotated_tasks += annotated
        summary.offices += len(offices)
        if on_batch is not None:
            on_batch(len(offices), findings)

    async def run_sweep() -> None:
        async with (
            checks.WebsiteChecker.from_settings(settings, resolver=resolver) as web,
            web.stream(website_checked) as stream,
        ):
            backlog = website_backlog(limit, web.concurrency)
            loop = asyncio.get_running_loop()
            after: int | None = 0  # None: every office has been loaded
            while True:
                store_by = done_since + store_after_seconds  # for a batch smaller than limit
                if len(done) >= limit:
                    await store(limit)
                elif after is not None and stream.pending < backlog:
                    after = load(after, stream)
                    if after is not None and settings.scheduler_batch_pause_seconds > 0:
                        await asyncio.sleep(settings.scheduler_batch_pause_seconds)
                elif done and (not stream.pending or loop.time() >= store_by):
                    await store(len(done))
                elif stream.pending:
                    await stream.wait(store_by - loop.time() if done else None)
                else:
                    return

    asyncio.run(run_sweep())
    return summary
