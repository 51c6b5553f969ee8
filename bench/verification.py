"""Benchmark the verification sweeps.

1. 10,000 website checks against a local server (a separate uvicorn process on 127.0.0.1)
   that answers every request after 100 ms, with a global concurrency of 100. The URLs are
   spread over 500 fake hostnames that a HostMapResolver sends to 127.0.0.1, so the per-host
   limit applies; the server counts concurrent requests per Host header. The checker's and the
   server's CPU time are reported apart (the sweep is bound by the checker's CPU per check).
   Targets: wall time within 1.3x of the ideal 10,000 x 0.1 s / 100 = 10 s; no host above
   its per-host limit; peak memory of the checking process under 200 MB.
2. A full `automated_checks` job over 10,000 offices whose websites are on the same server
   and hosts, batches of 500, with one office per batch on a stalled site (answers after 3 s,
   the check gives up after 2 s): the job is a pipeline, so the stalls cost about one
   timeout in all, not one per batch (a batch-by-batch sweep takes at least 20 x 2 s).
   Wall and CPU time, offices/s, and the batches stored.
3. The time to open due tasks for 100,000 offices (bulk-inserted with SQLAlchemy core), and
   the time of the idempotent second run.

    .venv/bin/python -m bench.verification [--database-url postgresql+psycopg://…]
        [--skip-web] [--skip-job] [--skip-tasks]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent

DELAY = 0.1
CHECKS = 10_000
CONCURRENCY = 100
PER_HOST = 4
HOSTS = 500
OFFICES = 100_000
JOB_OFFICES = 10_000
JOB_BATCH = 500
STALL = 3.0  # a stalled site answers after this long...
JOB_TIMEOUT = 2.0  # ...and the job's checks give up after this long
# The sites are a local server: checks connect to public addresses only unless widened.
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


# ---- the slow server (run in its own process) --------------------------------------------


class SlowSite:
    """Answers after DELAY seconds; tracks concurrent requests per Host and overall."""

    def __init__(self) -> None:
        self.in_flight: Counter[str] = Counter()
        self.max_per_host: Counter[str] = Counter()
        self.total = 0
        self.max_total = 0
        self.served = 0
        self.clients: set[tuple[str, int]] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/_stats":
            body = json.dumps(
                {
                    "served": self.served,
                    "max_total": self.max_total,
                    "max_per_host": max(self.max_per_host.values(), default=0),
                    "hosts": len(self.max_per_host),
                    "connections": len(self.clients),
                }
            ).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        host = dict(scope["headers"]).get(b"host", b"").decode()
        self.clients.add(tuple(scope["client"]))
        self.in_flight[host] += 1
        self.total += 1
        self.max_per_host[host] = max(self.max_per_host[host], self.in_flight[host])
        self.max_total = max(self.max_total, self.total)
        try:
            await asyncio.sleep(STALL if scope["path"] == "/stall" else DELAY)
        finally:
            self.in_flight[host] -= 1
            self.total -= 1
            self.served += 1
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html")],
            }
        )
        await send({"type": "http.response.body", "body": b"<html>ok</html>"})


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(
        SlowSite(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=4096,
        timeout_keep_alive=60,
    )


# ---- 1. website sweep ------------------------------------------------------------------


@contextmanager
def slow_server() -> Iterator[tuple[int, psutil.Process]]:
    """The slow server in its own process: (port, process)."""
    from bench.local_server import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.verification", "--serve", str(port)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port, psutil.Process(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def website_sweep() -> dict[str, Any]:
    from app.verification.checks import WebsiteChecker
    from app.verification.transport import HostMapResolver

    with slow_server() as (port, server_proc):
        # 20 consecutive URLs per host, so hosts have queues and the per-host limit binds
        per_host_urls = CHECKS // HOSTS
        urls = [
            (i, f"http://www.site{i // per_host_urls}.bench.test/page/{i}") for i in range(CHECKS)
        ]

        async def run() -> tuple[float, list[Any]]:
            resolver = HostMapResolver({"*.bench.test": ("127.0.0.1", port)})
            async with WebsiteChecker(
                timeout=10,
                concurrency=CONCURRENCY,
                per_host=PER_HOST,
                max_redirects=5,
                resolver=resolver,
                allowed_networks=LOOPBACK,
            ) as checker:
                started = time.perf_counter()
                findings = await checker.check_many(urls)
                return time.perf_counter() - started, findings

        load_before = psutil.getloadavg()[0]
        server_before = process_cpu(server_proc)
        cpu_before = cpu_seconds()

        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        wall, findings = asyncio.run(run())
        cpu = cpu_seconds() - cpu_before
        server_cpu = process_cpu(server_proc) - server_before
        stats = httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=5).json()
    ok = sum(1 for f in findings if f.ok)
    return {
        "wall": wall,
        "ok": ok,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "load_before": load_before,
        "failures": Counter(flag for f in findings for flag in f.flags),
        "stats": stats,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_now_mb": psutil.Process().memory_info().rss / 2**20,
    }


def migrated_engine(database_url: str | None) -> tuple[str, Any]:
    """(url, engine) of the given database, or of a new SQLite file, at the latest schema."""
    from alembic import command
    from alembic.config import Config

    from app.db import make_engine

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hw-bench-')}/bench.db"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")
    return url, make_engine(url)


# ---- 2. the automated_checks job ----------------------------------------------------------


def checks_job(database_url: str | None) -> dict[str, Any]:
    from sqlalchemy import insert

    from app.config import Settings
    from app.db import unit_of_work
    from app.directory.models import Office, Organization
    from app.kit.clock import utcnow
    from app.verification import jobs
    from app.verification.transport import HostMapResolver

    url, engine = migrated_engine(database_url)
    now = utcnow()
    per_host = JOB_OFFICES // HOSTS

    def website(i: int) -> str:
        if i % JOB_BATCH == JOB_BATCH // 2:  # one stalled site per batch
            return f"http://stall{i}.bench.test/stall"
        return f"http://www.site{i // per_host}.bench.test/office/{i}"

    with engine.begin() as conn:
        org = conn.execute(
            insert(Organization)
            .values(
                name="Bench Checks Network (demo)",
                category="ngo",
                confidential=False,
                is_demo=True,
                status="active",
                search_text="bench checks network demo",
                version=1,
                created_at=now,
                updated_at=now,
            )
            .returning(Organization.id)
        ).scalar_one()
        conn.execute(
            insert(Office),
            [
                {
                    "organization_id": org,
                    "name": f"Bench checked office {i}",
                    "country": "AL",  # apart from the due-task offices (NG)
                    "region": "AL-11",
                    "meets_on_arrival": False,
                    "status": "active",
                    "search_text": f"bench checked office {i}",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "last_verified_at": now,
                    "email": f"desk{i}@example.org",
                    "website": website(i),
                }
                for i in range(JOB_OFFICES)
            ],
        )
    stored: list[int] = []
    with slow_server() as (port, server_proc):
        settings = Settings(
            database_url=url,
            web_check_timeout_seconds=JOB_TIMEOUT,
            web_check_concurrency=CONCURRENCY,
            web_check_per_host=PER_HOST,
            web_check_allowed_networks=list(LOOPBACK),
        )
        server_before = process_cpu(server_proc)
        cpu_before = cpu_seconds()
        started = time.perf_counter()
        summary = jobs.automated_checks(
            settings=settings,
            sessions=lambda: unit_of_work(engine),
            country="AL",
            batch_size=JOB_BATCH,
            resolver=HostMapResolver({"*.bench.test": ("127.0.0.1", port)}),
            on_batch=lambda n, _findings: stored.append(n),
        )
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_before
        server_cpu = process_cpu(server_proc) - server_before
    engine.dispose()
    return {
        "backend": engine.dialect.name,
        "wall": wall,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "offices": summary.offices,
        "stored": summary.stored,
        "timeouts": summary.flags["website:timeout"],
        "website_failures": summary.failures["website"],
        "batches": len(stored),
        "largest_batch": max(stored, default=0),
    }


# ---- 3. opening due tasks ----------------------------------------------------------------


def open_tasks(database_url: str | None) -> dict[str, Any]:
    from sqlalchemy import func, insert, select

    from app.config import Settings
    from app.db import unit_of_work
    from app.directory.models import Office, Organization
    from app.kit.clock import utcnow
    from app.verification import jobs
    from app.verification.models import VerificationTask

    url, engine = migrated_engine(database_url)
    now = utcnow()
    started = time.perf_counter()
    with engine.begin() as conn:
        orgs = (
            conn.execute(
                insert(Organization).returning(Organization.id),
                [
                    {
                        "name": f"Bench Organisation {i} (demo)",
                        "category": ("ngo", "lawyer", "social_welfare", "law_enforcement")[i % 4],
                        "confidential": False,
                        "is_demo": True,
                        "status": "active",
                        "search_text": f"bench organisation {i}",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(1000)
                ],
            )
            .scalars()
            .all()
        )
        for start in range(0, OFFICES, 10_000):
            conn.execute(
                insert(Office),
                [
                    {
                        "organization_id": orgs[i % len(orgs)],
                        "name": f"Bench office {i}",
                        "country": "NG",
                        "region": "NG-LA",
                        "meets_on_arrival": False,
                        "status": "active",
                        "search_text": f"bench office {i}",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        # every office is due (150..179 days since verification)
                        "last_verified_at": now - timedelta(days=150 + i % 30),
                    }
                    for i in range(start, min(start + 10_000, OFFICES))
                ],
            )
    loaded = time.perf_counter() - started
    settings = Settings(database_url=url)

    def sessions() -> Any:
        return unit_of_work(engine)

    started = time.perf_counter()
    opened = jobs.open_due_tasks(settings=settings, sessions=sessions)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = jobs.open_due_tasks(settings=settings, sessions=sessions)
    second = time.perf_counter() - started
    with engine.connect() as conn:
        tasks, offices = conn.execute(
            select(
                func.count(VerificationTask.id), func.count(VerificationTask.office_id.distinct())
            )
        ).one()
    engine.dispose()
    return {
        "backend": engine.dialect.name,
        "load_s": loaded,
        "opened": opened,
        "first_s": first,
        "again": again,
        "second_s": second,
        "tasks": tasks,
        "distinct_offices": offices,
        "batch_size": settings.scheduler_batch_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url", help="for the job and due-tasks parts (default: temp SQLite files)"
    )
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-job", action="store_true")
    parser.add_argument("--skip-tasks", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    # The job first: the web sweep installs uvloop, and the scheduler runs jobs on asyncio.
    job = None if args.skip_job else checks_job(args.database_url)
    if not args.skip_web:
        web = website_sweep()
        ideal = CHECKS * DELAY / CONCURRENCY
        print(f"website checks: {CHECKS} URLs over {HOSTS} hosts, {DELAY * 1000:.0f} ms each")
        print(f"  concurrency {CONCURRENCY}, per-host limit {PER_HOST}")
        print(
            f"  wall time          {web['wall']:.2f} s (ideal {ideal:.1f} s, "
            f"ratio {web['wall'] / ideal:.2f}x, target <= 1.30x)"
        )
        print(f"  throughput         {CHECKS / web['wall']:.0f} checks/s")
        print(f"  ok                 {web['ok']} / {CHECKS} {dict(web['failures']) or ''}")
        print(
            f"  checker CPU        {web['cpu']:.1f} s "
            f"({web['cpu'] / CHECKS * 1000:.2f} ms per check;"
            f" load average {web['load_before']:.1f} before, {psutil.getloadavg()[0]:.1f} after,"
            f" {psutil.cpu_count()} CPUs)"
        )
        print(
            f"  server CPU         {web['server_cpu']:.1f} s "
            f"({web['server_cpu'] / CHECKS * 1000:.2f} ms per request)"
        )
        print(
            f"  server saw         {web['stats']['served']} requests, "
            f"{web['stats']['hosts']} hosts, {web['stats']['connections']} connections"
        )
        print(
            f"  max concurrent     {web['stats']['max_total']} overall (limit {CONCURRENCY}), "
            f"{web['stats']['max_per_host']} per host (limit {PER_HOST})"
        )
        print(
            f"  peak RSS           {web['rss_peak_mb']:.0f} MB (target < 200 MB); "
            f"now {web['rss_now_mb']:.0f} MB"
        )

    if job is not None:
        stalls = JOB_OFFICES // JOB_BATCH
        ideal = JOB_OFFICES * DELAY / CONCURRENCY + JOB_TIMEOUT
        print(
            f"automated_checks job ({job['backend']}): {JOB_OFFICES} offices (website + email), "
            f"batches of {JOB_BATCH}, {stalls} stalled sites ({STALL:g} s, timeout "
            f"{JOB_TIMEOUT:g} s)"
        )
        print(
            f"  wall time          {job['wall']:.2f} s (ideal {ideal:.1f} s; batch by batch, "
            f"one timeout per batch: >= {stalls * JOB_TIMEOUT:.0f} s); "
            f"{job['offices'] / job['wall']:.0f} offices/s"
        )
        print(
            f"  job CPU            {job['cpu']:.1f} s ({job['cpu'] / JOB_OFFICES * 1000:.2f} ms "
            f"per office, checks and storing); server CPU {job['server_cpu']:.1f} s"
        )
        print(
            f"  stored             {job['offices']} offices, {job['stored']} results in "
            f"{job['batches']} batches (largest {job['largest_batch']}); "
            f"{job['website_failures']} website failures, {job['timeouts']} timeouts"
        )

    if args.skip_tasks:
        return
    tasks = open_tasks(args.database_url)
    print(
        f"open due tasks ({tasks['backend']}): {OFFICES} due offices "
        f"(bulk load {tasks['load_s']:.1f} s), batches of {tasks['batch_size']}"
    )
    print(
        f"  first run          {tasks['opened']} tasks in {tasks['first_s']:.2f} s "
        f"({tasks['opened'] / tasks['first_s']:.0f} offices/s)"
    )
    print(f"  second run         {tasks['again']} tasks in {tasks['second_s']:.2f} s (idempotent)")
    print(f"  tasks in database  {tasks['tasks']} for {tasks['distinct_offices']} offices")


if __name__ == "__main__":
    main()
