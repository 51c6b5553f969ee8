"""Benchmark the verification sweeps.

1. 10,000 website checks against a local server (a separate uvicorn process on 127.0.0.1)
   that answers every request after 100 ms, with a global concurrency of 100. The URLs are
   spread over 500 fake hostnames that a HostMapResolver sends to 127.0.0.1, so the per-host
   limit applies; the server counts concurrent requests per Host header. The checker's and the
   server's CPU time are reported apart (the sweep is bound by the checker's CPU per check).
   Targets: wall time within 1.3x of the ideal 10,000 x 0.1 s / 100 = 10 s; no host above
   its per-host limit; peak memory of the checking process under 200 MB.
2. The time to open due tasks for 100,000 offices (bulk-inserted with SQLAlchemy core), and
   the time of the idempotent second run.

    .venv/bin/python bench/verification.py [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DELAY = 0.1
CHECKS = 10_000
CONCURRENCY = 100
PER_HOST = 4
HOSTS = 500
OFFICES = 100_000


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
            await asyncio.sleep(DELAY)
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- 1. website sweep ------------------------------------------------------------------


def website_sweep() -> dict[str, Any]:
    from app.verification.checks import WebsiteChecker
    from app.verification.transport import HostMapResolver

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
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
            ) as checker:
                started = time.perf_counter()
                findings = await checker.check_many(urls)
                return time.perf_counter() - started, findings

        load_before = psutil.getloadavg()[0]
        server_proc = psutil.Process(server.pid)
        server_before = server_proc.cpu_times()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)

        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        wall, findings = asyncio.run(run())
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
        server_after = server_proc.cpu_times()
        server_cpu = (server_after.user - server_before.user) + (
            server_after.system - server_before.system
        )
        stats = httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=5).json()
    finally:
        server.terminate()
        server.wait(timeout=10)
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


# ---- 2. opening due tasks ----------------------------------------------------------------


def open_tasks(database_url: str | None) -> dict[str, Any]:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import func, insert, select

    from app.config import Settings
    from app.db import make_engine, unit_of_work
    from app.directory.models import Office, Organization
    from app.kit.clock import utcnow
    from app.verification import jobs
    from app.verification.models import VerificationTask

    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='hw-bench-')}/bench.db"
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")
    engine = make_engine(url)
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
    parser.add_argument("--database-url", help="for the due-tasks part (default: temp SQLite)")
    parser.add_argument("--skip-web", action="store_true")
    parser.add_argument("--skip-tasks", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

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
