"""`homeward scheduler`: APScheduler 3 in a process of its own (never in web workers).

On PostgreSQL several schedulers may run: the one holding a session-level advisory lock, on a
connection kept for the process lifetime, runs the jobs; the others poll for the lock every
`scheduler_poll_seconds` and take over when the leader's connection goes away (the server
frees the lock at once when a process dies). On SQLite a file lock keeps to one scheduler per
machine. Every process writes a heartbeat row; each (job, trigger time) runs once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Protocol

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.kit.clock import utcnow
from app.schedule.runs import JOBS, last_started, run_job, unfinished_jobs
from app.verification.models import SchedulerInstance

log = logging.getLogger("homeward.scheduler")

# pg_try_advisory_lock key: the bytes of "Homeward" as a signed 64-bit integer.
ADVISORY_LOCK_KEY = int.from_bytes(b"Homeward", "big", signed=True)
# A six-field cron expression's fields, in order, as CronTrigger names them.
SIX_CRON_FIELDS = ("second", "minute", "hour", "day", "month", "day_of_week")


def cron_trigger(expr: str) -> CronTrigger:
    """Five fields (standard crontab) or six with seconds first."""
    fields = expr.split()
    if len(fields) == 5:
        return CronTrigger.from_crontab(expr, timezone=UTC)
    if len(fields) == 6:
        return CronTrigger(**dict(zip(SIX_CRON_FIELDS, fields, strict=True)), timezone=UTC)
    raise ValueError(f"cron expression needs 5 or 6 fields: {expr!r}")


def previous_fire_time(expr: str, now: datetime) -> datetime | None:
    """The latest time at or before `now` when the cron fired (None if not within a year)."""
    trigger = cron_trigger(expr)
    for window in (timedelta(days=1), timedelta(days=32), timedelta(days=366)):
        fire: datetime | None = trigger.get_next_fire_time(None, now - window)
        if fire is None or fire > now:
            continue
        while True:
            following: datetime | None = trigger.get_next_fire_time(
                fire, fire + timedelta(microseconds=1)
            )
            if following is None or following > now:
                return fire
            fire = following
    return None


def slot_for(expr: str, now: datetime) -> str:
    """The trigger a run belongs to: its fire time at the cron's granularity."""
    grain = now.replace(microsecond=0)
    if len(expr.split()) == 5:
        grain = grain.replace(second=0)
    return grain.isoformat()


@dataclass(frozen=True)
class JobSchedule:
    name: str
    cron: str
    description: str
    next_run: datetime | None


def list_jobs(settings: Settings, *, now: datetime | None = None) -> list[JobSchedule]:
    """The jobs with their cron expressions and next run times (UTC)."""
    now = now or datetime.now(UTC)
    out = []
    for spec in JOBS.values():
        expr = spec.cron(settings)
        out.append(
            JobSchedule(
                spec.name,
                expr,
                spec.description,
                cron_trigger(expr).get_next_fire_time(None, now),
            )
        )
    return out


# ---- leadership -------------------------------------------------------------------------


class Leadership(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """A session-level advisory lock on one dedicated connection, held for the process
    lifetime. Losing the connection means losing the lock."""

    def __init__(self, engine: Engine, key: int = ADVISORY_LOCK_KEY) -> None:
        self.engine, self.key = engine, key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        return bool(got.scalar())

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            # A session-level lock lives as long as its session: a live connection holds it.
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.exception("lost the leader connection")
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            finally:
                self._conn.close()
                self._conn = None


class FileLock:
    """SQLite: one scheduler per database file, via flock on a file next to it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def try_acquire(self) -> bool:
        self._fh = self._fh or open(self.path, "a+")  # noqa: SIM115 - held for the lifetime
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def still_held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def leadership_for(engine: Engine, settings: Settings) -> Leadership:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = engine.url.database
    if database and database != ":memory:":
        return FileLock(f"{database}.scheduler.lock")  # next to the database file
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.var_dir / "scheduler.lock"))


# ---- heartbeat --------------------------------------------------------------------------


def beat(engine: Engine, *, instance_id: str, role: str, became_leader: bool = False) -> None:
    """Upsert this process's heartbeat row."""
    now = utcnow()
    with unit_of_work(engine) as session:
        row = session.get(SchedulerInstance, instance_id)
        if row is None:
            row = SchedulerInstance(
                instance_id=instance_id,
                hostname=socket.gethostname()[:200],
                pid=os.getpid(),
                role=role,
                started_at=now,
                last_beat_at=now,
            )
            session.add(row)
        row.role, row.last_beat_at = role, now
        if became_leader:
            row.became_leader_at = now
    log.debug("heartbeat %s %s", instance_id, role)


def instances(session: Session, *, since: datetime) -> list[SchedulerInstance]:
    from sqlalchemy import select

    return list(
        session.execute(
            select(SchedulerInstance)
            .where(SchedulerInstance.last_beat_at >= since)
            .order_by(SchedulerInstance.started_at)
        ).scalars()
    )


# ---- the process ------------------------------------------------------------------------


# The slot of a run that resumes an interrupted one: made unique when it starts.
RESUME = "resume"


def _run(
    name: str, settings: Settings, engine: Engine, instance_id: str, slot: str | None = None
) -> None:
    """Run job `name` in slot `slot`: by default its trigger's own, RESUME for a run that
    finishes an interrupted one. A failure is logged; the job runs again at its next trigger."""
    now = datetime.now(UTC)
    if slot is None:
        slot = slot_for(JOBS[name].cron(settings), now)
    elif slot == RESUME:
        slot = f"{RESUME}:{now.isoformat()}"
    try:
        run_job(
            name,
            settings=settings,
            slot=slot,
            instance_id=instance_id,
            sessions=lambda: unit_of_work(engine),
        )
    except Exception:
        log.exception("job %s (slot %s) failed; it will run at its next trigger", name, slot)


def missed_jobs(
    session: Session, settings: Settings, *, now: datetime, skip: Collection[str] = ()
) -> list[tuple[str, str]]:
    """(job, slot) for each job whose latest trigger passed while no scheduler ran it: a new
    install (the demo's worklist and digest), or a scheduler that was down at 02:30. The slot
    is that trigger's own, so a scheduler that did run it makes the catch-up a no-op."""
    started = last_started(session)
    missed = []
    for spec in JOBS.values():
        expr = spec.cron(settings)
        fired = previous_fire_time(expr, now)
        if spec.name in skip or fired is None:
            continue
        latest = started.get(spec.name)
        if latest is None or latest < fired:
            missed.append((spec.name, slot_for(expr, fired)))
    return missed


def build_scheduler(
    settings: Settings, engine: Engine, *, instance_id: str, leadership: Leadership
) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
    )
    for spec in JOBS.values():
        scheduler.add_job(
            _run,
            trigger=cron_trigger(spec.cron(settings)),
            args=(spec.name, settings, engine, instance_id),
            id=spec.name,
            name=spec.description,
        )

    def heartbeat() -> None:
        if not leadership.still_held():
            # Another scheduler may already lead: stop at once rather than run jobs twice.
            log.error("leadership lost; exiting so a standby takes over")
            os._exit(75)
        try:
            beat(engine, instance_id=instance_id, role="leader")
        except Exception:
            log.exception("heartbeat failed")

    scheduler.add_job(
        heartbeat,
        "interval",
        seconds=settings.scheduler_heartbeat_seconds,
        id="heartbeat",
        max_instances=1,
    )
    return scheduler


def run_forever(settings: Settings, engine: Engine) -> None:
    """Wait for leadership, then run the jobs until SIGTERM/SIGINT."""
    instance_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    leadership = leadership_for(engine, settings)
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler %s starting (%s)", instance_id, engine.dialect.name)
    try:
        beat(engine, instance_id=instance_id, role="standby")
        while not leadership.try_acquire():
            log.info(
                "standby: another scheduler leads; retrying in %gs", settings.scheduler_poll_seconds
            )
            time.sleep(settings.scheduler_poll_seconds)
            beat(engine, instance_id=instance_id, role="standby")
        log.info("scheduler %s is the leader", instance_id)
        beat(engine, instance_id=instance_id, role="leader", became_leader=True)
        scheduler = build_scheduler(
            settings, engine, instance_id=instance_id, leadership=leadership
        )
        with unit_of_work(engine) as session:
            to_resume = unfinished_jobs(session)
            to_catch_up = missed_jobs(session, settings, now=utcnow(), skip=to_resume)
        for name in to_resume:
            log.info("resuming %s, interrupted in a previous run", name)
            scheduler.add_job(
                _run,
                args=(name, settings, engine, instance_id, RESUME),
                id=f"resume-{name}",
                next_run_time=datetime.now(UTC) + timedelta(seconds=1),
            )
        for name, slot in to_catch_up:
            log.info("%s missed its trigger at %s; running it now", name, slot)
            scheduler.add_job(
                _run,
                args=(name, settings, engine, instance_id, slot),
                id=f"catch-up-{name}",
                next_run_time=datetime.now(UTC) + timedelta(seconds=1),
            )
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("scheduler %s stopping", instance_id)
    finally:
        leadership.release()
        try:
            beat(engine, instance_id=instance_id, role="stopped")
        except Exception:
            log.debug("could not write the final heartbeat", exc_info=True)
