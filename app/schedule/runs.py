"""The scheduler's jobs: what each runs and on which cron setting, and one run of a job per
trigger (its slot), recorded in `job_run`.

The table stands above the domains whose work it schedules (verification's sweeps, outreach's
mail), so no domain imports another to be scheduled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.interop.feeds import pull_due
from app.kit.clock import as_utc, utcnow
from app.outreach.jobs import run_outreach
from app.verification.jobs import SessionFactory, automated_checks, escalate, open_due_tasks
from app.verification.models import JobRun

log = logging.getLogger("homeward.jobs")


def _outreach(settings: Settings, sessions: SessionFactory) -> int:
    """The outreach job (app/outreach/jobs.py); it does nothing without an SMTP host."""
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
            "feeds",
            "pull other directories' ORAPI feeds into the review queue",
            "scheduler_feeds_cron",
            lambda s, sessions: sum(p.queued for p in pull_due(settings=s, sessions=sessions)),
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
