"""Region query benchmark: the real app under uvicorn against the same SQL through the driver.

Builds the synthetic directory (bench/synthetic.py: clearly fictional, spread over every ISO
3166-1 country and its ISO 3166-2 regions, SQLAlchemy core bulk inserts). Then, for SQLite
and for a throwaway PostgreSQL database on 127.0.0.1:

* serves the app with uvicorn (1 worker) as a subprocess with an officer key;
* measures `GET /api/v1/contacts?country=..&region=..` one request at a time (p50, p99);
* runs the equivalent SQL (count + page + the phones, languages and services of the page)
  through the DBAPI driver directly (sqlite3 / psycopg) for the same regions (p50, p99);
* measures requests per second with 16 concurrent clients;
* prints the server's RSS after serving at the small size and again at the full size.

Usage: .venv/bin/python -m bench.query [--offices 100000] [--requests 600] [--db both]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import psutil
import psycopg

from app.auth.service import create_key
from app.db import unit_of_work
from bench.databases import bench_database, db_kinds, migrated_engine
from bench.local_server import uvicorn_server
from bench.synthetic import Directory, example_numbers, populate

CONCURRENCY = 16
PER_PAGE = 50


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
    raw_ms: list[float]
    rps: float
    rss_mb: float
    # CPU seconds spent per request by the server process and per raw query by this process:
    # on a shared, busy machine these say more than wall-clock latency does.
    app_cpu_ms: float
    raw_cpu_ms: float
    # The framework's floor: GET /health (no key, no database) through the same server.
    health_p50_ms: float
    health_cpu_ms: float


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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


def measure(
    base: str,
    server: psutil.Process,
    headers: dict[str, str],
    raw: RawQuery,
    directory: Directory,
    requests: int,
    rng: random.Random,
) -> Figures:
    regions = sorted(directory.regions_with_offices)
    queries = [regions[rng.randrange(len(regions))] for _ in range(requests)]
    with httpx.Client(base_url=base, headers=headers) as client:
        for country, region in queries[:50]:  # warm up: imports, caches, connection pool
            client.get("/api/v1/contacts", params={"country": country, "region": region})
            raw.run(country, region)
        app_ms: list[float] = []
        raw_ms: list[float] = []
        server_cpu = raw_cpu = 0.0
        for country, region in queries:
            cpu_before = sum(server.cpu_times()[:2])
            start = time.perf_counter()
            resp = client.get("/api/v1/contacts", params={"country": country, "region": region})
            app_ms.append((time.perf_counter() - start) * 1000)
            server_cpu += sum(server.cpu_times()[:2]) - cpu_before
            resp.raise_for_status()
            cpu_before = time.process_time()
            start = time.perf_counter()
            total = raw.run(country, region)
            raw_ms.append((time.perf_counter() - start) * 1000)
            raw_cpu += time.process_time() - cpu_before
            if resp.json()["total"] != total:
                raise AssertionError(f"app and raw SQL disagree for {country}/{region}")
        health_ms: list[float] = []
        cpu_before = sum(server.cpu_times()[:2])
        for _ in range(len(queries)):
            start = time.perf_counter()
            client.get("/health").raise_for_status()
            health_ms.append((time.perf_counter() - start) * 1000)
        health_cpu = sum(server.cpu_times()[:2]) - cpu_before
    failures: list[str] = []
    rps = asyncio.run(_concurrent(base, headers, queries * 2, failures))
    if failures:
        print(f"  {len(failures)} of {len(queries) * 2} concurrent requests failed: {failures[:3]}")
    rss = server.memory_info().rss / 2**20
    return Figures(
        app_ms=app_ms,
        raw_ms=raw_ms,
        rps=rps,
        rss_mb=rss,
        app_cpu_ms=server_cpu / len(queries) * 1000,
        raw_cpu_ms=raw_cpu / len(queries) * 1000,
        health_p50_ms=percentile(health_ms, 0.5),
        health_cpu_ms=health_cpu / len(queries) * 1000,
    )


def report(label: str, offices: int, f: Figures) -> None:
    app50, app99 = percentile(f.app_ms, 0.5), percentile(f.app_ms, 0.99)
    raw50, raw99 = percentile(f.raw_ms, 0.5), percentile(f.raw_ms, 0.99)
    print(
        f"{label:<10} {offices:>7} offices | app p50 {app50:6.2f} ms  p99 {app99:6.2f} ms"
        f" | raw p50 {raw50:6.2f} ms  p99 {raw99:6.2f} ms | app/raw p50 {app50 / raw50:4.2f}x"
        f" | {f.rps:6.0f} req/s @{CONCURRENCY} | server RSS {f.rss_mb:6.1f} MB"
        f" | mean app {statistics.fmean(f.app_ms):.2f} ms"
        f" | CPU per request: server {f.app_cpu_ms:.2f} ms, raw {f.raw_cpu_ms:.2f} ms"
        f" | /health p50 {f.health_p50_ms:.2f} ms, server CPU {f.health_cpu_ms:.2f} ms"
        f" | load {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs",
        flush=True,
    )


# ---- the run ------------------------------------------------------------------------------------


def run(kind: str, offices: int, small: int, requests: int, seed: int) -> list[str]:
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
            with uvicorn_server(url) as (base, server):
                first = measure(base, server, headers, raw, directory, requests, rng)
                report(kind, directory.offices, first)
                started = time.perf_counter()
                populate(engine, directory, offices - small, rng, numbers)
                print(
                    f"{kind}: {offices - small} more offices inserted in"
                    f" {time.perf_counter() - started:.1f} s"
                )
                full = measure(base, server, headers, raw, directory, requests, rng)
                report(kind, directory.offices, full)
        finally:
            raw.close()
            engine.dispose()
    app50, raw50, app99 = (
        percentile(full.app_ms, 0.5),
        percentile(full.raw_ms, 0.5),
        percentile(full.app_ms, 0.99),
    )
    growth = (full.rss_mb - first.rss_mb) / first.rss_mb
    print(
        f"{kind}: targets: app/raw p50 {app50 / raw50:.2f}x (<= 3x)"
        + (f", p99 {app99:.1f} ms (< 50 ms)" if kind == "sqlite" else "")
        + f", RSS {first.rss_mb:.1f} -> {full.rss_mb:.1f} MB ({growth:+.0%}, within 20%)"
    )
    if app50 > 3 * raw50:
        misses.append(f"{kind}: app p50 is {app50 / raw50:.2f}x raw")
    if kind == "sqlite" and app99 >= 50:
        misses.append(f"{kind}: p99 {app99:.1f} ms")
    if abs(growth) > 0.2:
        misses.append(f"{kind}: RSS grew {growth:+.0%}")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=100_000, help="full directory size")
    parser.add_argument(
        "--small", type=int, default=10_000, help="size of the first memory checkpoint"
    )
    parser.add_argument("--requests", type=int, default=600, help="sequential requests per size")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.small >= args.offices:
        parser.error("--small must be below --offices")
    misses: list[str] = []
    for kind in db_kinds(args.db):
        misses += run(kind, args.offices, args.small, args.requests, args.seed)
    print("all targets met" if not misses else "targets missed: " + "; ".join(misses))


if __name__ == "__main__":
    main()
