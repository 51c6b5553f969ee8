"""The scheduler: listing jobs, one run per trigger, kill -9 mid-sweep then resume, and two
scheduler processes electing one leader that a standby replaces when it dies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.config import PROJECT_ROOT, Settings
from app.db import unit_of_work
from app.kit.clock import utcnow
from app.schedule import runs
from app.schedule.scheduler import (
    cron_trigger,
    list_jobs,
    missed_jobs,
    previous_fire_time,
    slot_for,
)
from app.verification import jobs
from app.verification.models import JobRun, SchedulerInstance, VerificationTask
from bench.local_server import free_port
from bench.synthetic import Directory, Mix, example_numbers, populate
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


def subprocess_env(**settings: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": TEST_DATABASE_URL}
    env.pop("HOMEWARD_DATABASE_URL", None)
    env.update({f"HOMEWARD_{k.upper()}": v for k, v in settings.items()})
    return env


def homeward(*args: str) -> list[str]:
    # The same commands as `homeward …`, without importing the PDF stack at start-up.
    return [sys.executable, "-m", "app.schedule", *args]


def test_list_prints_jobs_and_next_run_times() -> None:
    result = CliRunner().invoke(cli_app, ["scheduler", "--list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in runs.JOBS:
        assert name in result.output
    settings = Settings(scheduler_open_tasks_cron="7 * * * *")
    at = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
    schedule = {j.name: j for j in list_jobs(settings, now=at)}
    assert schedule["open_due_tasks"].next_run == datetime(2026, 6, 1, 11, 7, tzinfo=UTC)
    assert schedule["automated_checks"].next_run == datetime(2026, 6, 2, 2, 30, tzinfo=UTC)
    assert f"{schedule['open_due_tasks'].next_run:%Y-%m-%d %H:%M:%S}" in result.output or (
        # the CLI uses the real clock; its next hourly run is some HH:07
        ":07:00" in result.output
    )


def test_cron_with_seconds_and_slots() -> None:
    trigger = cron_trigger("*/2 * * * * *")
    at = datetime(2026, 6, 1, 10, 0, 1, 500, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, at) == datetime(2026, 6, 1, 10, 0, 2, tzinfo=UTC)
    assert slot_for("7 * * * *", at) == "2026-06-01T10:00:00+00:00"
    assert slot_for("*/2 * * * * *", at) == "2026-06-01T10:00:01+00:00"
    with pytest.raises(ValueError):
        cron_trigger("every hour")


def test_a_trigger_runs_a_job_once(committed_engine: Engine, settings: Settings) -> None:
    def sessions() -> Any:
        return unit_of_work(committed_engine)

    slot = "2026-06-01T05:00"
    first = runs.run_job(
        "escalate", settings=settings, slot=slot, instance_id="a", sessions=sessions
    )
    second = runs.run_job(
        "escalate", settings=settings, slot=slot, instance_id="b", sessions=sessions
    )
    assert first is not None and first.status == "done"
    assert second is None
    with Session(committed_engine) as session:
        assert session.execute(select(func.count(JobRun.id))).scalar_one() == 1


def _task_counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return session.execute(
            select(
                func.count(VerificationTask.id), func.count(VerificationTask.office_id.distinct())
            )
        ).one()  # type: ignore[return-value]


def _done_run(job: str, started_at: datetime) -> JobRun:
    """A finished run of `job`, started (by instance "a") in the minute of its slot."""
    slot = started_at.replace(second=0, microsecond=0).isoformat()
    return JobRun(job=job, slot=slot, instance_id="a", status="done", started_at=started_at)


def _populate_all_due(engine: Engine, total: int) -> None:
    """`total` active, public offices, all last verified 170 days ago (due)."""
    rng = random.Random(7)
    all_due = Mix(
        verified=1,
        closed=0,
        temporarily_closed=0,
        confidential=0,
        verified_at=utcnow() - timedelta(days=170),
    )
    populate(engine, Directory(), total, rng, example_numbers(rng), mix=all_due)


def test_kill_9_mid_sweep_then_resume_completes_without_duplicates(
    committed_engine: Engine,
) -> None:
    total = 400
    _populate_all_due(committed_engine, total)
    env = subprocess_env(scheduler_batch_size="25", scheduler_batch_pause_seconds="0.2")
    proc = subprocess.Popen(
        homeward("scheduler", "run-once", "open_due_tasks"),
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _task_counts(committed_engine)[0] >= 50, timeout=60, what="2 batches")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    partial, _ = _task_counts(committed_engine)
    assert 50 <= partial < total, "the job was not killed mid-sweep"
    with Session(committed_engine) as session:
        assert runs.unfinished_jobs(session) == ["open_due_tasks"]

    resumed = subprocess.run(
        homeward("scheduler", "run-once", "open_due_tasks"),
        env=subprocess_env(scheduler_batch_size="25"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{total - partial} processed" in resumed.stdout
    assert _task_counts(committed_engine) == (total, total)
    # A third run finds nothing to do.
    again = jobs.open_due_tasks(
        settings=Settings(), sessions=lambda: unit_of_work(committed_engine)
    )
    assert again == 0


def _instance(engine: Engine, pid: int) -> SchedulerInstance | None:
    with Session(engine) as session:
        return session.execute(
            select(SchedulerInstance).where(SchedulerInstance.pid == pid)
        ).scalar_one_or_none()


def _all_runs(engine: Engine) -> list[JobRun]:
    with Session(engine) as session:
        return list(session.execute(select(JobRun)).scalars())


def _runs(engine: Engine) -> list[JobRun]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(JobRun).where(JobRun.job == "open_due_tasks").order_by(JobRun.id)
            ).scalars()
        )


@pytest.fixture
def schedulers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.skipif(
    not IS_POSTGRES,
    reason="leader election uses a PostgreSQL advisory lock (SQLite runs one scheduler)",
)
def test_two_schedulers_elect_one_leader_and_the_standby_takes_over(
    committed_engine: Engine, schedulers: list[subprocess.Popen[bytes]]
) -> None:
    never = "0 0 1 1 *"
    env = subprocess_env(
        scheduler_open_tasks_cron="*/2 * * * * *",
        scheduler_checks_cron=never,
        scheduler_escalate_cron=never,
        scheduler_poll_seconds="1",
        scheduler_heartbeat_seconds="1",
    )

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            homeward("scheduler"),
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        schedulers.append(proc)
        return proc

    def role(pid: int) -> str | None:
        row = _instance(committed_engine, pid)
        return row.role if row else None

    leader = start()
    wait_for(lambda: role(leader.pid) == "leader", timeout=90, what="a leader")
    standby = start()
    wait_for(lambda: role(standby.pid) == "standby", timeout=90, what="a standby")
    wait_for(lambda: len(_runs(committed_engine)) >= 3, timeout=90, what="three triggers")
    time.sleep(1.5)  # the standby keeps waiting: still one leader
    assert role(standby.pid) == "standby"
    leader_row = _instance(committed_engine, leader.pid)
    assert leader_row is not None
    runs = _runs(committed_engine)
    assert {r.instance_id for r in runs} == {leader_row.instance_id}
    assert len({r.slot for r in runs}) == len(runs)

    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(timeout=10)
    took = wait_for(lambda: role(standby.pid) == "leader", timeout=60, what="the takeover")
    assert took < 60
    standby_row = _instance(committed_engine, standby.pid)
    assert standby_row is not None
    wait_for(
        lambda: any(r.instance_id == standby_row.instance_id for r in _runs(committed_engine)),
        timeout=30,
        what="a run by the new leader",
    )
    standby.send_signal(signal.SIGTERM)
    standby.wait(timeout=15)
    runs = _runs(committed_engine)
    # Each trigger ran once: no slot twice, and the new leader only ran later triggers.
    assert len({r.slot for r in runs}) == len(runs)
    old = [r.slot for r in runs if r.instance_id == leader_row.instance_id]
    new = [r.slot for r in runs if r.instance_id == standby_row.instance_id]
    assert old and new and max(old) < min(new)
    assert role(standby.pid) == "stopped"


@pytest.mark.skipif(
    IS_POSTGRES, reason="the file lock is the SQLite stand-in for the advisory lock"
)
def test_sqlite_allows_one_scheduler_per_database(
    committed_engine: Engine, schedulers: list[subprocess.Popen[bytes]]
) -> None:
    env = subprocess_env(scheduler_poll_seconds="0.5", scheduler_heartbeat_seconds="1")
    for _ in range(2):  # started together: one gets the lock, the other waits
        schedulers.append(
            subprocess.Popen(
                homeward("scheduler"),
                env=env,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def roles() -> list[str | None]:
        rows = [_instance(committed_engine, p.pid) for p in schedulers]
        return [r.role if r else None for r in rows]

    wait_for(
        lambda: sorted(map(str, roles())) == ["leader", "standby"],
        timeout=90,
        what="one leader and one standby",
    )
    leader, standby = schedulers if roles()[0] == "leader" else schedulers[::-1]
    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(timeout=10)
    wait_for(
        lambda: (_instance(committed_engine, standby.pid) or leader_row_missing()).role == "leader",
        timeout=90,
        what="the takeover",
    )


def leader_row_missing() -> SchedulerInstance:
    raise AssertionError("the standby has no heartbeat row")


def test_previous_fire_time_is_the_latest_trigger_at_or_before_now() -> None:
    now = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
    assert previous_fire_time("7 * * * *", now) == datetime(2026, 6, 1, 10, 7, tzinfo=UTC)
    assert previous_fire_time("30 2 * * *", now) == datetime(2026, 6, 1, 2, 30, tzinfo=UTC)
    assert previous_fire_time("30 10 * * *", now) == now
    assert previous_fire_time("0 5 1 1 *", now) == datetime(2026, 1, 1, 5, tzinfo=UTC)
    assert previous_fire_time("*/2 * * * * *", now) == now


def test_triggers_missed_while_no_scheduler_ran_are_caught_up_once(
    committed_engine: Engine,
) -> None:
    settings = Settings(
        scheduler_open_tasks_cron="7 * * * *",
        scheduler_checks_cron="30 2 * * *",
        scheduler_escalate_cron="0 5 * * *",
        scheduler_outreach_cron="20 * * * *",
    )
    now = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
    with Session(committed_engine) as session:
        # A new install has never run anything: every job is due once, in its latest slot.
        missed = dict(missed_jobs(session, settings, now=now))
        assert set(missed) == set(runs.JOBS)
        assert missed["open_due_tasks"] == "2026-06-01T10:07:00+00:00"
        assert missed["automated_checks"] == "2026-06-01T02:30:00+00:00"
        assert missed["escalate"] == "2026-06-01T05:00:00+00:00"
        # escalate ran after its 05:00 trigger; open_due_tasks last ran before 10:07.
        session.add(_done_run("escalate", datetime(2026, 6, 1, 5, 0, 2, tzinfo=UTC)))
        session.add(_done_run("open_due_tasks", datetime(2026, 6, 1, 9, 7, 1, tzinfo=UTC)))
        session.commit()
        missed = dict(missed_jobs(session, settings, now=now, skip=["automated_checks"]))
    assert missed == {
        "open_due_tasks": "2026-06-01T10:07:00+00:00",
        "outreach": "2026-06-01T10:20:00+00:00",
        "feeds": "2026-06-01T10:30:00+00:00",
    }


def test_serve_with_scheduler_fills_the_worklist_and_stops_together(
    committed_engine: Engine,
) -> None:
    """`make run` serves with `--with-scheduler`: the scheduler, a process of its own, catches
    up the jobs a new install never ran, and stops when the server stops."""
    _populate_all_due(committed_engine, 30)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--with-scheduler", "--port", str(port)],
        env=subprocess_env(scheduler_heartbeat_seconds="1"),
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def serving() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).is_success
            except httpx.HTTPError:
                return False

        wait_for(serving, timeout=120, what="the server")
        wait_for(lambda: _task_counts(committed_engine)[0] == 30, timeout=90, what="tasks")

        def done() -> set[str]:
            return {r.job for r in _all_runs(committed_engine) if r.status == "done"}

        # The worklist and the digest; automated_checks may still be at work on websites.
        wait_for(lambda: {"open_due_tasks", "escalate"} <= done(), timeout=90, what="jobs")
        assert max(Counter(r.job for r in _all_runs(committed_engine)).values()) == 1
        with Session(committed_engine) as session:
            scheduler = session.execute(select(SchedulerInstance)).scalar_one()
        assert scheduler.role == "leader"
        os.kill(server.pid, signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    stopped = _instance(committed_engine, scheduler.pid)
    assert stopped is not None and stopped.role == "stopped"
