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
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp.abc import AbstractResolver
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import Settings
from app.db import unit_of_work
from app.directory.models import Office
from app.kit.clock import as_utc, utcnow
from app.verification import checks, sweep
from app.verification.models import CheckKind, JobRun
from app.verification.reports import write_digests
from app.verification.tasks import escalate_batch, open_due_tasks_batch

log = logging.getLogger("homeward.jobs")

SessionFactory = Callable[[], AbstractContextManager[Session]]
Progress = Callable[[int], None]


def _pause(settings: Settings) -> None:
    if settings.scheduler_batch_pause_seconds > 0:
        time.sleep(settings.scheduler_batch_pause_seconds)


def open_due_tasks(
    *, settings: Settings, sessions: SessionFactory = unit_of_work, batch_size: int | None = None
) -> int:
    """Open a task for every office that needs one (due, overdue, stale or never verified).

    Returns the number of tasks opened. Running it twice opens nothing the second time.
    """
    after, opened = 0, 0
    with sessions() as session:
        until = session.execute(select(func.max(Office.id))).scalar() or 0
    while True:
        with sessions() as session:
            last, n = open_due_tasks_batch(
                session,
                now=utcnow(),
                settings=settings,
                after_id=after,
                limit=batch_size or settings.scheduler_batch_size,
                until_id=until,
            )
        if last is None:
            break
        after, opened = last, opened + n
        log.info("open_due_tasks: up to office %s, %s opened so far", after, opened)
        _pause(settings)
    return opened


def escalate(
    *, settings: Settings, sessions: SessionFactory = unit_of_work, batch_size: int | None = None
) -> int:
    """Refresh every active task's freshness and priority, escalate stale ones, release
    lapsed claims, then write today's per-country digest. Returns tasks changed."""
    after, changed = 0, 0
    while True:
        with sessions() as session:
            last, n = escalate_batch(
                session,
                now=utcnow(),
                settings=settings,
                after_id=after,
                limit=batch_size or settings.scheduler_batch_size,
            )
        if last is None:
            break
        after, changed = last, changed + n
        _pause(settings)
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


def _outreach(settings: Settings, sessions: SessionFactory) -> int:
    """The outreach job (app/outreach/jobs.py); it does nothing without an SMTP host."""
    from app.outreach.jobs import run_outreach  # outreach stands on verification

    summary = run_outreach(settings=settings, sessions=sessions)
    return summary.sent + summary.reminded + summary.bounced


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    cron_setting: str
    run: Callable[[Settings, SessionFactory], int]

    def cron(self, settings: Settings) -> str:
        return str(getattr(settings, self.cron_setting))


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            "open_due_tasks",
            "open a verification task for every office entering 'due'",
            "scheduler_open_tasks_cron",
            lambda s, sessions: open_due_tasks(settings=s, sessions=sessions),
        ),
        JobSpec(
            "automated_checks",
            "check phones, websites and emails not checked for N days",
            "scheduler_checks_cron",
            lambda s, sessions: automated_checks(settings=s, sessions=sessions).offices,
        ),
        JobSpec(
            "outreach",
            "mail update requests and reminders; raise tasks of offices that do not answer",
            "scheduler_outreach_cron",
            lambda s, sessions: _outreach(s, sessions),
        ),
        JobSpec(
            "escalate",
            "mark overdue/stale, raise priorities, write per-country digests",
            "scheduler_escalate_cron",
            lambda s, sessions: escalate(settings=s, sessions=sessions),
        ),
    )
}


def run_job(
    name: str,
    *,
    settings: Settings,
    slot: str,
    instance_id: str,
    sessions: SessionFactory = unit_of_work,
) -> JobRun | None:
    """Run a job once for `slot` (its trigger time). Returns None when this slot already ran
    (another scheduler got there first): the (job, slot) unique constraint decides."""
    spec = JOBS[name]
    with sessions() as session:
        run = JobRun(job=name, slot=slot, instance_id=instance_id, status="running")
        try:
            with session.begin_nested():
                session.add(run)
        except IntegrityError:
            log.info("%s for %s already ran; skipping", name, slot)
            return None
    started = time.perf_counter()
    try:
        processed = spec.run(settings, sessions)
    except Exception as exc:
        with sessions() as session:
            row = session.get(JobRun, run.id)
            if row is not None:
                row.status, row.finished_at = "failed", utcnow()
                row.detail = f"{type(exc).__name__}: {exc}"[:2000]
        log.exception("%s failed", name)
        raise
    with sessions() as session:
        row = session.get(JobRun, run.id)
        assert row is not None
        row.status, row.finished_at, row.processed = "done", utcnow(), processed
        row.detail = f"{time.perf_counter() - started:.2f} s"
        run = row
    log.info("%s done: %s processed", name, processed)
    return run


def last_started(session: Session) -> dict[str, datetime | None]:
    """When each job last started, whatever its outcome."""
    rows = session.execute(select(JobRun.job, func.max(JobRun.started_at)).group_by(JobRun.job))
    return {job: as_utc(started) for job, started in rows}


def unfinished_jobs(session: Session) -> list[str]:
    """Jobs whose latest run never finished (its process died): resume them."""
    latest: dict[str, JobRun] = {}
    for run in session.execute(select(JobRun).order_by(JobRun.started_at, JobRun.id)).scalars():
        latest[run.job] = run
    return sorted(name for name, run in latest.items() if run.status == "running")
