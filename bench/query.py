"""Region query benchmark: the real app under uvicorn against the same SQL through the driver.

Builds a synthetic, clearly fictional directory (names end in "(synthetic)", numbers are
variations of libphonenumber's example numbers, every organisation is flagged `is_demo`) spread
over every ISO 3166-1 country and its ISO 3166-2 regions, with fast SQLAlchemy core bulk
inserts. Then, for SQLite and for a throwaway PostgreSQL database on 127.0.0.1:

* serves the app with uvicorn (1 worker) as a subprocess with an officer key;
* measures `GET /api/v1/contacts?country=..&region=..` one request at a time (p50, p99);
* runs the equivalent SQL (count + page + the phones, languages and services of the page)
  through the DBAPI driver directly (sqlite3 / psycopg) for the same regions (p50, p99);
* measures requests per second with 16 concurrent clients;
* prints the server's RSS after serving at the small size and again at the full size.

Usage: .venv/bin/python bench/query.py [--offices 100000] [--requests 600] [--db both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import phonenumbers
import psutil
import psycopg
import pycountry
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert, text

from app.auth.service import create_key
from app.config import PROJECT_ROOT
from app.db import make_engine, unit_of_work
from app.directory.enums import Category, ServiceTag
from app.directory.geography import region_name
from app.directory.models import Office, OfficeLanguage, Organization, OrganizationService, Phone
from app.directory.phone_numbers import display
from app.kit.local_server import local_server
from app.kit.text import fold

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CONCURRENCY = 16
PER_PAGE = 50
BATCH_OFFICES = 5_000
LANGUAGES = ("en", "fr", "es", "ar", "pt", "ru", "sw", "ha", "sq", "ro", "uk", "vi", "zh", "hi")
CATEGORY_WEIGHTS = {
    Category.LAW_ENFORCEMENT: 20,
    Category.NGO: 35,
    Category.LAWYER: 20,
    Category.SOCIAL_WELFARE: 20,
    Category.HELPLINE: 3,
    Category.INTERNATIONAL_ORG: 2,
}
SERVICES = [s.value for s in ServiceTag]


# ---- synthetic directory --------------------------------------------------------------------


@dataclass
class Directory:
    """Where offices went, so queries can pick regions that have data."""

    next_office_id: int = 1
    next_org_id: int = 1
    next_phone_id: int = 1
    offices: int = 0
    regions_with_offices: set[tuple[str, str]] = field(default_factory=set)


def _example_numbers(rng: random.Random) -> dict[str, list[str]]:
    """Per country, a pool of valid E.164 numbers derived from libphonenumber's examples."""
    pools: dict[str, list[str]] = {}
    for country in pycountry.countries:
        cc = country.alpha_2
        pool: set[str] = set()
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(cc, kind)
            if example is None or not phonenumbers.is_valid_number_for_region(example, cc):
                continue
            base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            pool.add(base)
            for _ in range(40):
                candidate = base[:-3] + f"{rng.randrange(1000):03d}"
                parsed = phonenumbers.parse(candidate, None)
                if phonenumbers.is_valid_number_for_region(parsed, cc):
                    pool.add(candidate)
        pools[cc] = sorted(pool)
    return pools


def _slots() -> list[tuple[str, str | None]]:
    """Every ISO region of every country, plus one nationwide slot per country."""
    slots: list[tuple[str, str | None]] = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        cc = country.alpha_2
        slots.append((cc, None))
        for sub in pycountry.subdivisions.get(country_code=cc) or []:
            slots.append((cc, sub.code))
    return slots


def populate(
    engine: Engine, directory: Directory, count: int, rng: random.Random, numbers: dict[str, list]
) -> None:
    """Add `count` offices (with organisations, phones, languages, services) in bulk."""
    slots = _slots()
    now = datetime.now(UTC)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    done = 0
    while done < count:
        batch = min(BATCH_OFFICES, count - done)
        picks = [slots[rng.randrange(len(slots))] for _ in range(batch)]
        by_country: dict[str, list[str | None]] = defaultdict(list)
        for cc, region in picks:
            by_country[cc].append(region)
        orgs: list[dict[str, Any]] = []
        services: list[dict[str, Any]] = []
        offices: list[dict[str, Any]] = []
        langs: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        for cc, regions in by_country.items():
            # About four offices per organisation, all in one country.
            org_ids: list[tuple[int, str]] = []
            for _ in range(max(1, len(regions) // 4)):
                org_id = directory.next_org_id
                directory.next_org_id += 1
                category = rng.choices(categories, weights)[0].value
                name = f"Example {category.replace('_', ' ').title()} {org_id} (synthetic)"
                orgs.append(
                    {
                        "id": org_id,
                        "name": name,
                        "local_name": None,
                        "category": category,
                        "description": "Synthetic benchmark record; not a real organisation.",
                        "website": f"https://org{org_id}.example.org/",
                        "email": f"contact{org_id}@example.org",
                        "confidential": rng.random() < 0.05,
                        "is_demo": True,
                        "status": "active",
                        "search_text": fold(name),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for tag in rng.sample(SERVICES, rng.randint(1, 3)):
                    services.append({"organization_id": org_id, "tag": tag})
                org_ids.append((org_id, category))
            for region in regions:
                office_id = directory.next_office_id
                directory.next_office_id += 1
                org_id, _category = org_ids[rng.randrange(len(org_ids))]
                if region is not None:
                    directory.regions_with_offices.add((cc, region))
                city = f"Example City {office_id % 97}"
                office_name = f"Office {office_id} (synthetic)"
                verified = rng.random() < 0.7
                roll = rng.random()
                status = (
                    "closed" if roll < 0.02 else "temporarily_closed" if roll < 0.05 else "active"
                )
                offices.append(
                    {
                        "id": office_id,
                        "organization_id": org_id,
                        "name": office_name,
                        "country": cc,
                        "region": region,
                        "city": city,
                        "address": f"{office_id} Example Street",
                        "postal_code": None,
                        "latitude": None,
                        "longitude": None,
                        "opening_hours": "Mo-Fr 09:00-17:00",
                        "email": f"office{office_id}@example.org",
                        "website": None,
                        "meets_on_arrival": rng.random() < 0.2,
                        "status": status,
                        "search_text": fold(
                            " ".join(p for p in (office_name, city, region_name(region)) if p)
                        ),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "last_verified_at": (
                            now - timedelta(days=rng.randrange(400)) if verified else None
                        ),
                        "verified_by": "bench" if verified else None,
                        "verification_method": "phone_call" if verified else None,
                        "verification_note": None,
                        "stale_flagged_at": None,
                        "stale_reason": None,
                    }
                )
                for lang in sorted(set(rng.sample(LANGUAGES, rng.randint(1, 3)))):
                    langs.append({"office_id": office_id, "language": lang})
                pool = numbers.get(cc) or []
                for position in range(min(len(pool), rng.randint(1, 2))):
                    number = pool[rng.randrange(len(pool))]
                    shown = display(number)
                    phones.append(
                        {
                            "id": directory.next_phone_id,
                            "office_id": office_id,
                            "number": number,
                            "national": shown.national,
                            "international": shown.international,
                            "number_type": shown.type,
                            "kind": "mobile" if position else "voice",
                            "hours": None,
                            "is_24_7": position == 0 and rng.random() < 0.1,
                            "languages": [],
                            "status": "active",
                            "position": position,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    directory.next_phone_id += 1
        with engine.begin() as conn:
            conn.execute(insert(Organization.__table__), orgs)  # type: ignore[attr-defined]
            conn.execute(insert(OrganizationService.__table__), services)  # type: ignore[attr-defined]
            conn.execute(insert(Office.__table__), offices)  # type: ignore[attr-defined]
            conn.execute(insert(OfficeLanguage.__table__), langs)  # type: ignore[attr-defined]
            if phones:
                conn.execute(insert(Phone.__table__), phones)  # type: ignore[attr-defined]
        done += batch
        directory.offices += batch
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("organization", "office", "phone"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


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


# ---- the server ---------------------------------------------------------------------------------


@contextmanager
def uvicorn_server(database_url: str) -> Iterator[tuple[str, psutil.Process]]:
    """The app under uvicorn (1 worker) on `database_url`: its base URL and its process."""
    # On a busy machine a client can sit longer than uvicorn's 5 s default between two
    # requests; the server would then drop the keep-alive connection mid-send.
    args = ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    args += ["--timeout-keep-alive", "60"]
    with local_server({"DATABASE_URL": database_url}, uvicorn_args=args) as (base, proc):
        yield base, psutil.Process(proc.pid)


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


def _pct(values: Sequence[float], q: float) -> float:
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
        health_p50_ms=_pct(health_ms, 0.5),
        health_cpu_ms=health_cpu / len(queries) * 1000,
    )


def report(label: str, offices: int, f: Figures) -> None:
    app50, app99 = _pct(f.app_ms, 0.5), _pct(f.app_ms, 0.99)
    raw50, raw99 = _pct(f.raw_ms, 0.5), _pct(f.raw_ms, 0.99)
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


# ---- databases ----------------------------------------------------------------------------------


@contextmanager
def bench_database(kind: str) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, DBAPI dsn) of a fresh database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="homeward-bench-") as tmp:
            path = Path(tmp) / "bench.db"
            yield f"sqlite:///{path}", str(path)
        return
    name = f"homeward_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield (
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            f"postgresql://postgres@127.0.0.1:5432/{name}",
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrated_engine(url: str) -> Engine:
    """An engine on the database at `url`, after running every migration on it."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")
    return make_engine(url)


def db_kinds(choice: str) -> list[str]:
    """The databases `--db` names: `sqlite`, `postgres`, or `both` of them."""
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def run(kind: str, offices: int, small: int, requests: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    numbers = _example_numbers(rng)
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
    app50, raw50, app99 = _pct(full.app_ms, 0.5), _pct(full.raw_ms, 0.5), _pct(full.app_ms, 0.99)
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
