"""Load benchmark: 16 clients hold the real app under load, nine searches to one write.

Builds the synthetic, clearly fictional directory of bench/query.py (SQLAlchemy core bulk
inserts), then, for SQLite and for a throwaway PostgreSQL database on 127.0.0.1, serves the
app under uvicorn with one worker and then with two, and holds it for `--seconds` with 16
concurrent clients (keep-alive connections), each looping over:

* 90%: `GET /api/v1/contacts?country=..&region=..` (a region that has offices);
* 10%: `POST /api/v1/contacts/{id}/verifications` (a reviewer records a phone call on a
  random office: a write transaction with revisions and a verification event).

It prints, per database and worker count: the requests done, the errors (target 0: any
transport error, i.e. a dropped connection, or any answer other than 200, by kind), p50 and
p99 latency (all requests, then searches and writes apart) and the throughput.

With `--sheet-workers N` it then serves the app with N workers and has the 16 clients fetch
region sheets as PDF (`GET /api/v1/sheets/{country}?region=..`, each region once, so every
one is rendered): PDFs per second, p50 and p99.

Usage: .venv/bin/python -m bench.load [--offices 10000] [--seconds 30] [--db both]
                                      [--workers 1 2 4] [--sheet-workers 2]

It also prints the load average: on a busy machine, wall-clock percentiles say more about the
neighbours than about the app.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import psutil
from sqlalchemy import select

from app.auth.service import create_key
from app.db import unit_of_work
from app.directory.models import Office
from bench.databases import bench_database, db_kinds, migrated_engine
from bench.local_server import local_server
from bench.query import percentile
from bench.synthetic import Directory, example_numbers, populate

CLIENTS = 16
WRITE_SHARE = 0.1


@dataclass
class Run:
    search_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.search_ms) + len(self.write_ms) + sum(self.errors.values())


async def _client(
    client: httpx.AsyncClient,
    regions: list[tuple[str, str]],
    office_ids: list[int],
    until: float,
    rng: random.Random,
    run: Run,
) -> None:
    while time.perf_counter() < until:
        write = rng.random() < WRITE_SHARE
        start = time.perf_counter()
        try:
            if write:
                response = await client.post(
                    f"/api/v1/contacts/{rng.choice(office_ids)}/verifications",
                    json={"method": "phone_call", "note": "load benchmark"},
                )
            else:
                country, region = rng.choice(regions)
                response = await client.get(
                    "/api/v1/contacts", params={"country": country, "region": region}
                )
        except httpx.TransportError as exc:
            # Counted, not hidden: a dropped connection is a failed request.
            run.errors[type(exc).__name__] += 1
            continue
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            run.errors[f"HTTP {response.status_code}"] += 1
            continue
        (run.write_ms if write else run.search_ms).append(elapsed)


async def _hold(
    base: str, headers: dict[str, str], directory: Directory, offices: list[int], seconds: float
) -> Run:
    regions = sorted(directory.regions_with_offices)
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    run = Run()
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=httpx.Timeout(60.0)
    ) as client:
        for country, region in regions[:20]:  # warm up: imports, caches, connection pool
            await client.get("/api/v1/contacts", params={"country": country, "region": region})
        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(
            *(
                _client(client, regions, offices, until, random.Random(n), run)
                for n in range(CLIENTS)
            )
        )
        run.seconds = time.perf_counter() - start
    return run


async def _sheets(
    base: str, headers: dict[str, str], directory: Directory, seconds: float
) -> tuple[int, list[float], Counter[str], float]:
    """16 clients fetch region sheets as PDF, each region once (a render, not a cache hit)."""
    regions = sorted(directory.regions_with_offices)
    random.Random(5).shuffle(regions)
    todo = list(regions)
    times: list[float] = []
    errors: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=httpx.Timeout(120.0)
    ) as client:
        country, region = todo.pop()  # warm up: fonts, templates
        await client.get(f"/api/v1/sheets/{country}", params={"region": region})

        async def one() -> None:
            while todo and time.perf_counter() < until:
                country, region = todo.pop()
                start = time.perf_counter()
                try:
                    response = await client.get(
                        f"/api/v1/sheets/{country}", params={"region": region}
                    )
                except httpx.TransportError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                    errors[f"HTTP {response.status_code}"] += 1
                    continue
                times.append((time.perf_counter() - start) * 1000)

        start = time.perf_counter()
        until = start + seconds
        await asyncio.gather(*(one() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - start
    return len(times), times, errors, elapsed


def sheet_throughput(
    kind: str, url: str, headers: dict[str, str], directory: Directory, workers: int, seconds: float
) -> int:
    """PDF sheets per second with `workers` uvicorn workers; returns the errors."""
    args = ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    args += ["--timeout-keep-alive", "60"]
    with local_server({"DATABASE_URL": url}, uvicorn_args=args) as (base, _proc):
        done, times, errors, elapsed = asyncio.run(_sheets(base, headers, directory, seconds))
    kinds = ", ".join(f"{k} x{n}" for k, n in errors.most_common()) or "none"
    p50 = percentile(times, 0.5) if times else float("nan")
    p99 = percentile(times, 0.99) if times else float("nan")
    print(
        f"{kind:<8} {workers} workers | sheet PDFs (cold renders): {done} in {elapsed:4.1f} s"
        f" = {done / elapsed:5.2f} PDF/s @{CLIENTS} | p50 {p50:6.0f} ms, p99 {p99:6.0f} ms"
        f" | errors {sum(errors.values())} ({kinds}) | load {psutil.getloadavg()[0]:.1f}"
        f" on {psutil.cpu_count()} CPUs",
        flush=True,
    )
    return sum(errors.values())


def report(kind: str, workers: int, run: Run) -> None:
    every = run.search_ms + run.write_ms
    errors = sum(run.errors.values())
    kinds = ", ".join(f"{k} x{n}" for k, n in run.errors.most_common()) or "none"

    def pcts(values: list[float]) -> str:
        if not values:
            return "p50 -, p99 -"
        return f"p50 {percentile(values, 0.5):6.1f} ms, p99 {percentile(values, 0.99):6.1f} ms"

    print(
        f"{kind:<8} {workers} worker{'s' if workers > 1 else ' '} | {run.requests:>6} requests"
        f" in {run.seconds:4.1f} s | errors {errors} ({kinds}) | all {pcts(every)}"
        f" | {len(every) / run.seconds:6.1f} req/s | searches {pcts(run.search_ms)}"
        f" | writes {pcts(run.write_ms)} | load {psutil.getloadavg()[0]:.1f}"
        f" on {psutil.cpu_count()} CPUs",
        flush=True,
    )


def bench(
    kind: str,
    offices: int,
    seconds: float,
    worker_counts: list[int],
    seed: int,
    sheet_workers: int | None = None,
) -> int:
    """Returns the number of errors over every run."""
    rng = random.Random(seed)
    failures = 0
    with bench_database(kind) as (url, _dsn):
        engine = migrated_engine(url)
        with unit_of_work(engine) as session:
            secret = create_key(session, name="bench reviewer", role="reviewer").secret
        directory = Directory()
        started = time.perf_counter()
        populate(engine, directory, offices, rng, example_numbers(rng))
        print(f"{kind}: {offices} offices inserted in {time.perf_counter() - started:.1f} s")
        with engine.connect() as conn:
            office_ids = list(
                conn.execute(select(Office.id).where(Office.status == "active")).scalars()
            )
        engine.dispose()
        headers = {"Authorization": f"Bearer {secret}"}
        for workers in worker_counts:
            args = ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
            args += ["--timeout-keep-alive", "60"]
            with local_server({"DATABASE_URL": url}, uvicorn_args=args) as (base, _proc):
                run = asyncio.run(_hold(base, headers, directory, office_ids, seconds))
            report(kind, workers, run)
            failures += sum(run.errors.values())
        if sheet_workers:
            failures += sheet_throughput(kind, url, headers, directory, sheet_workers, seconds)
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0, help="per run (default 30)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--sheet-workers", type=int, default=None, help="also measure sheet PDFs per second"
    )
    args = parser.parse_args()
    failures = sum(
        bench(kind, args.offices, args.seconds, args.workers, args.seed, args.sheet_workers)
        for kind in db_kinds(args.db)
    )
    print(f"errors over every run: {failures} (target 0)")


if __name__ == "__main__":
    main()
