"""Region query benchmark: the real app against the floor of its own stack and the raw SQL.

Builds the synthetic directory (bench/synthetic.py: clearly fictional, spread over every ISO
3166-1 country and its ISO 3166-2 regions, SQLAlchemy core bulk inserts). Then, for SQLite
and for a throwaway PostgreSQL database on 127.0.0.1:

* serves the app with uvicorn (`--workers`, default 1) as a subprocess with an officer key,
  and beside it, on the same uvicorn with the same worker count and database, the floor
  (bench/floor.py: a bare ASGI endpoint running the app's own page statement and writing the
  same JSON bytes with orjson; no FastAPI, auth, validation or ORM);
* measures `GET /api/v1/contacts?country=..&region=..` on the app and on the floor, and the
  equivalent SQL (count + page + the phones, languages and services of the page) through the
  DBAPI driver (sqlite3 / psycopg), interleaved query by query, one at a time (p50, p99);
* with two cores or more, the load generator (this process, and the raw SQL) is pinned to the
  last core with `taskset`, the servers to the others;
* measures requests per second with 16 concurrent clients;
* prints the server's RSS after serving at the small size and again at the full size.

Targets: app p50 within 1.5x the floor's, p99 < 25 ms at 100,000 offices, RSS within 20%.
Timings on a shared machine are noisy: run it several times and take the medians.

Usage: .venv/bin/python -m bench.query [--offices 100000] [--requests 600] [--db both]
                                       [--workers 1]
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpx
import psutil
import psycopg

from app.auth.service import create_key
from app.db import unit_of_work
from bench.databases import (
    bench_arguments,
    bench_database,
    db_kinds,
    migrated_engine,
    report_targets,
)
from bench.local_server import uvicorn_server
from bench.synthetic import Directory, example_numbers, populate

CONCURRENCY = 16
PER_PAGE = 50
FLOOR_RATIO = 1.5  # target: the app's p50 within 1.5x the floor's
P99_TARGET_MS = 25.0
T = TypeVar("T")
P = ParamSpec("P")


# ---- the raw SQL equivalent ---------------------------------------------------------------------

RAW_WHERE = (
    "office.country = {p} AND (office.region = {p} OR office.region IS NULL)"
    " AND office.status IN ('active', 'temporarily_closed')"
)
RAW_RANK = (
    "CASE organization.category WHEN 'law_enforcement' THEN 0 WHEN 'ngo' THEN 1"
    " WHEN 'lawyer' THEN 2 WHEN 'social_welfare' THEN 3 WHEN 'helpline' THEN 4"
    " WHEN 'international_org' THEN 5 ELSE 6 END"
)


class RawQuery:
    """The app's region query written by hand and run through the DBAPI driver."""

    def __init__(self, dialect: str, dsn: str) -> None:
        self.p = "?" if dialect == "sqlite" else "%s"
        self.conn: Any = sqlite3.connect(dsn) if dialect == "sqlite" else psycopg.connect(dsn)
        where = RAW_WHERE.format(p=self.p)
        self.count_sql = (
            "SELECT count(office.id) FROM office JOIN organization"
            f" ON organization.id = office.organization_id WHERE {where}"
        )
        self.page_sql = (
            "SELECT office.*, organization.* FROM office JOIN organization"
            f" ON organization.id = office.organization_id WHERE {where}"
            f" ORDER BY {RAW_RANK}, office.region IS NULL, organization.name, office.name,"
            f" office.id LIMIT {PER_PAGE} OFFSET 0"
        )

    def _in(self, n: int) -> str:
        return ", ".join([self.p] * n)

    def run(self, country: str, region: str) -> int:
        cur = self.conn.cursor()
        cur.execute(self.count_sql, (country, region))
        total = cur.fetchone()[0]
        cur.execute(self.page_sql, (country, region))
        rows = cur.fetchall()
        office_ids = [r[0] for r in rows]
        org_ids = sorted({r[1] for r in rows})
        if office_ids:
            cur.execute(
                f"SELECT * FROM phone WHERE office_id IN ({self._in(len(office_ids))})"
                " ORDER BY position, id",
                office_ids,
            )
            cur.fetchall()
            cur.execute(
                "SELECT * FROM office_language WHERE office_id IN"
                f" ({self._in(len(office_ids))}) ORDER BY language",
                office_ids,
            )
            cur.fetchall()
            cur.execute(
                "SELECT * FROM organization_service WHERE organization_id IN"
                f" ({self._in(len(org_ids))}) ORDER BY tag",
                org_ids,
            )
            cur.fetchall()
        cur.close()
        if self.p == "%s":
            self.conn.rollback()
        return int(total)

    def close(self) -> None:
        self.conn.close()


# ---- measuring ----------------------------------------------------------------------------------


@dataclass
class Figures:
    app_ms: list[float]
    floor_ms: list[float]
    raw_ms: list[float]
    rps: float
    rss_mb: float
    # CPU seconds spent per request by the server processes and per raw query by this process:
    # on a shared, busy machine these say more than wall-clock latency does.
    app_cpu_ms: float
    floor_cpu_ms: float
    raw_cpu_ms: float
    # GET /health (no key, no database) through the app's server.
    health_p50_ms: float
    health_cpu_ms: float


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(server: psutil.Process) -> float:
    """User + system CPU of a server and its workers (uvicorn --workers N forks them)."""
    total = 0.0
    for proc in (server, *server.children(recursive=True)):
        with suppress(psutil.NoSuchProcess):
            total += sum(proc.cpu_times()[:2])
    return total


def rss_mb(server: psutil.Process) -> float:
    """Resident memory of a server and its workers."""
    return sum(p.memory_info().rss for p in (server, *server.children(recursive=True))) / 2**20


def pin_load_generator() -> str | None:
    """With two cores or more, pin this process (the load generator and the raw SQL) to the
    last core with `taskset` and return the `taskset -c` list that leaves it to the servers."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return None
    subprocess.run(
        ["taskset", "-cp", str(cores[-1]), str(os.getpid())], check=True, stdout=subprocess.DEVNULL
    )
    return ",".join(str(c) for c in cores[:-1])


async def _concurrent(
    base: str, headers: dict[str, str], queries: list[tuple[str, str]], failures: list[str]
) -> float:
    todo = list(queries)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=timeout
    ) as client:

        async def worker() -> int:
            done = 0
            while todo:
                country, region = todo.pop()
                try:
                    resp = await client.get(
                        "/api/v1/contacts", params={"country": country, "region": region}
                    )
                except httpx.TransportError as exc:
                    # Counted, not hidden: a dropped connection is a failed request.
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if resp.status_code != 200:
                    failures.append(f"HTTP {resp.status_code}: {resp.text[:200]}")
                    continue
                done += 1
            return done

        start = time.perf_counter()
        counts = await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return sum(counts) / elapsed


class Timer:
    """Wall-clock milliseconds and the CPU seconds of one side of the comparison."""

    def __init__(self, cpu: Callable[[], float]) -> None:
        self.cpu = cpu
        self.ms: list[float] = []
        self.cpu_s = 0.0

    def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        cpu_before = self.cpu()
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.ms.append((time.perf_counter() - start) * 1000)
        self.cpu_s += self.cpu() - cpu_before
        return result


def measure(
    servers: Servers,
    headers: dict[str, str],
    raw: RawQuery,
    directory: Directory,
    requests: int,
    rng: random.Random,
) -> Figures:
    """The app, the floor and the raw SQL, interleaved query by query, then the app under load."""
    regions = sorted(directory.regions_with_offices)
    queries = [regions[rng.randrange(len(regions))] for _ in range(requests)]
    with (
        httpx.Client(base_url=servers.app, headers=headers) as app_client,
        httpx.Client(base_url=servers.floor) as floor_client,
    ):

        def get(client: httpx.Client, country: str, region: str) -> httpx.Response:
            params = {"country": country, "region": region}
            resp = client.get("/api/v1/contacts", params=params)
            resp.raise_for_status()
            return resp

        for country, region in queries[:50]:  # warm up: imports, caches, connection pools
            app_body = get(app_client, country, region).content
            floor_body = get(floor_client, country, region).content
            raw.run(country, region)
            if app_body != floor_body:
                raise AssertionError(
                    f"the floor does not answer the app's bytes for {country}/{region}:"
                    f"\n{app_body[:300]!r}\n{floor_body[:300]!r}"
                )
        app = Timer(lambda: cpu_seconds(servers.app_process))
        floor = Timer(lambda: cpu_seconds(servers.floor_process))
        direct = Timer(time.process_time)
        for country, region in queries:
            resp = app(get, app_client, country, region)
            floor(get, floor_client, country, region)
            total = direct(raw.run, country, region)
            if resp.json()["total"] != total:
                raise AssertionError(f"app and raw SQL disagree for {country}/{region}")
        health = Timer(lambda: cpu_seconds(servers.app_process))
        for _ in range(len(queries)):
            health(app_client.get, "/health").raise_for_status()
    failures: list[str] = []
    rps = asyncio.run(_concurrent(servers.app, headers, queries * 2, failures))
    if failures:
        print(f"  {len(failures)} of {len(queries) * 2} concurrent requests failed: {failures[:3]}")
    n = len(queries)
    return Figures(
        app_ms=app.ms,
        floor_ms=floor.ms,
        raw_ms=direct.ms,
        rps=rps,
        rss_mb=rss_mb(servers.app_process),
        app_cpu_ms=app.cpu_s / n * 1000,
        floor_cpu_ms=floor.cpu_s / n * 1000,
        raw_cpu_ms=direct.cpu_s / n * 1000,
        health_p50_ms=percentile(health.ms, 0.5),
        health_cpu_ms=health.cpu_s / n * 1000,
    )


def report(label: str, offices: int, f: Figures) -> None:
    app50, app99 = percentile(f.app_ms, 0.5), percentile(f.app_ms, 0.99)
    floor50, floor99 = percentile(f.floor_ms, 0.5), percentile(f.floor_ms, 0.99)
    raw50, raw99 = percentile(f.raw_ms, 0.5), percentile(f.raw_ms, 0.99)
    print(
        f"{label:<10} {offices:>7} offices | app p50 {app50:6.2f} ms  p99 {app99:6.2f} ms"
        f" | floor p50 {floor50:6.2f} ms  p99 {floor99:6.2f} ms"
        f" | raw p50 {raw50:6.2f} ms  p99 {raw99:6.2f} ms"
        f" | app/floor p50 {app50 / floor50:4.2f}x | app/raw p50 {app50 / raw50:4.2f}x"
        f" | {f.rps:6.0f} req/s @{CONCURRENCY} | server RSS {f.rss_mb:6.1f} MB"
        f" | CPU per request: app {f.app_cpu_ms:.2f} ms, floor {f.floor_cpu_ms:.2f} ms,"
        f" raw {f.raw_cpu_ms:.2f} ms | /health p50 {f.health_p50_ms:.2f} ms,"
        f" CPU {f.health_cpu_ms:.2f} ms | load {psutil.getloadavg()[0]:.1f}"
        f" on {psutil.cpu_count()} CPUs",
        flush=True,
    )


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Servers:
    """The app and its floor, served side by side by the same uvicorn on the same database."""

    app: str
    app_process: psutil.Process
    floor: str
    floor_process: psutil.Process


@contextmanager
def servers(url: str, *, workers: int, cpus: str | None) -> Iterator[Servers]:
    with (
        uvicorn_server(url, workers=workers, cpus=cpus) as (app_base, app_proc),
        uvicorn_server(url, workers=workers, cpus=cpus, app_path="bench.floor:app") as (
            floor_base,
            floor_proc,
        ),
    ):
        yield Servers(app_base, app_proc, floor_base, floor_proc)


def run(
    kind: str, offices: int, small: int, requests: int, seed: int, workers: int, cpus: str | None
) -> list[str]:
    rng = random.Random(seed)
    numbers = example_numbers(rng)
    misses: list[str] = []
    with bench_database(kind) as (url, dsn):
        engine = migrated_engine(url)
        with unit_of_work(engine) as session:
            secret = create_key(session, name="bench officer", role="officer").secret
        headers = {"Authorization": f"Bearer {secret}"}
        directory = Directory()
        started = time.perf_counter()
        populate(engine, directory, small, rng, numbers)
        print(f"{kind}: {small} offices inserted in {time.perf_counter() - started:.1f} s")
        raw = RawQuery(kind, dsn)
        try:
            with servers(url, workers=workers, cpus=cpus) as both:
                first = measure(both, headers, raw, directory, requests, rng)
                report(kind, directory.offices, first)
                started = time.perf_counter()
                populate(engine, directory, offices - small, rng, numbers)
                print(
                    f"{kind}: {offices - small} more offices inserted in"
                    f" {time.perf_counter() - started:.1f} s"
                )
                full = measure(both, headers, raw, directory, requests, rng)
                report(kind, directory.offices, full)
        finally:
            raw.close()
            engine.dispose()
    app50, floor50, app99 = (
        percentile(full.app_ms, 0.5),
        percentile(full.floor_ms, 0.5),
        percentile(full.app_ms, 0.99),
    )
    growth = (full.rss_mb - first.rss_mb) / first.rss_mb
    print(
        f"{kind}: targets: app/floor p50 {app50 / floor50:.2f}x (<= {FLOOR_RATIO}x),"
        f" p99 {app99:.1f} ms (< {P99_TARGET_MS:.0f} ms),"
        f" RSS {first.rss_mb:.1f} -> {full.rss_mb:.1f} MB ({growth:+.0%}, within 20%)"
    )
    if app50 > FLOOR_RATIO * floor50:
        misses.append(f"{kind}: app p50 is {app50 / floor50:.2f}x the floor")
    if app99 >= P99_TARGET_MS:
        misses.append(f"{kind}: p99 {app99:.1f} ms")
    if abs(growth) > 0.2:
        misses.append(f"{kind}: RSS grew {growth:+.0%}")
    return misses


def main() -> None:
    parser = bench_arguments(__doc__, offices_help="full directory size", seed=7)
    parser.add_argument(
        "--small", type=int, default=10_000, help="size of the first memory checkpoint"
    )
    parser.add_argument("--requests", type=int, default=600, help="sequential requests per size")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, app and floor")
    args = parser.parse_args()
    if args.small >= args.offices:
        parser.error("--small must be below --offices")
    cpus = pin_load_generator()
    print(
        f"load generator pinned to CPU {sorted(os.sched_getaffinity(0))}, servers to {cpus}"
        if cpus
        else "one CPU: load generator and servers share it"
    )
    misses: list[str] = []
    for kind in db_kinds(args.db):
        misses += run(kind, args.offices, args.small, args.requests, args.seed, args.workers, cpus)
    report_targets(misses)


if __name__ == "__main__":
    main()
