"""Review-queue benchmark: 10,000 pending submissions over a 100,000-office directory.

Builds the synthetic, clearly fictional directory of bench/synthetic.py (SQLAlchemy core bulk
inserts), then bulk-inserts pending submissions — corrections, new contacts (some sharing a
phone number with an office, so duplicate matching has work) and closure reports — spread over
the last 90 days, plus background revisions, some of them on submitted records after the
submission (drift to report). Then, with the real app under uvicorn on 127.0.0.1 (1 worker):

* lists the queue page (`GET /api/v1/submissions`, random pages, with and without
  country/region filters) one request at a time: p50 / p99;
* opens a submission's diff (`GET /api/v1/submissions/{id}`: diff, drift, live duplicate
  check): p50 / p99.

Target: p99 under 50 ms for each. Usage:

    .venv/bin/python -m bench.review_queue [--offices 100000] [--submissions 10000]
                                           [--requests 500] [--db sqlite|postgres|both]

It also prints the load average: on a busy machine, wall-clock percentiles say more about the
neighbours than about the app.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psutil
from sqlalchemy import Engine, insert, select, text

from app.auth.service import create_key
from app.db import unit_of_work
from app.directory.models import Office, Organization, Phone, Revision
from app.kit.text import fold
from app.review.models import Submission, SubmissionPhone
from bench.databases import (
    bench_arguments,
    bench_database,
    db_kinds,
    migrated_engine,
    report_targets,
)
from bench.local_server import uvicorn_server
from bench.query import percentile
from bench.synthetic import Directory, example_numbers, populate

BATCH = 2_000
TARGET_MS = 50.0


def _offices(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(
                    Office.id,
                    Office.country,
                    Office.region,
                    Office.city,
                    Office.name,
                    Office.opening_hours,
                    Office.organization_id,
                    Organization.name.label("org_name"),
                )
                .join(Organization, Organization.id == Office.organization_id)
                .where(Office.status != "closed", Organization.confidential.is_(False))
                .order_by(Office.id)
            )
        )


def _phones(engine: Engine) -> dict[str, list[str]]:
    """Some existing numbers per country, so a share of new contacts duplicate an office."""
    by_country: dict[str, list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Office.country, Phone.number).join(Office, Office.id == Phone.office_id)
        )
        for country, number in rows:
            by_country.setdefault(country, []).append(number)
    return by_country


def populate_queue(
    engine: Engine, count: int, rng: random.Random, numbers: dict[str, list[str]]
) -> list[int]:
    """Insert `count` pending submissions (and background revisions); returns their ids."""
    offices = _offices(engine)
    existing = _phones(engine)
    now = datetime.now(UTC)
    submissions: list[dict[str, Any]] = []
    sub_phones: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []
    kinds = ["correction"] * 7 + ["new_contact"] * 2 + ["closure"]

    def revision(office: Any, field: str, old: Any, new: Any, at: datetime) -> dict[str, Any]:
        return {
            "change_id": str(uuid.uuid4()),
            "entity": "office",
            "entity_id": office.id,
            "office_id": office.id,
            "organization_id": office.organization_id,
            "field": field,
            "old_value": None if old is None else f'"{old}"',
            "new_value": f'"{new}"',
            "source": "admin_edit",
            "actor": "bench admin",
            "actor_key_id": None,
            "approved_by": "bench admin",
            "submission_id": None,
            "changed_at": at,
        }

    # Background history: 30,000 older revisions spread over the directory.
    for _ in range(30_000):
        office = offices[rng.randrange(len(offices))]
        revisions.append(
            revision(office, "opening_hours", None, office.opening_hours, now - timedelta(days=200))
        )
    with engine.begin() as conn:
        conn.execute(insert(Revision.__table__), revisions)  # type: ignore[attr-defined]
        base_revision_id = conn.execute(text("SELECT max(id) FROM revision")).scalar_one()
    revisions = []

    for i in range(count):
        kind = rng.choice(kinds)
        office = offices[rng.randrange(len(offices))]
        created = now - timedelta(days=rng.random() * 90)
        row: dict[str, Any] = {
            "kind": kind,
            "status": "pending",
            "closure_reason": None,
            "office_id": office.id,
            "organization_id": office.organization_id,
            "phone_id": None,
            "country": office.country,
            "region": office.region,
            "title": f"{office.org_name} — {office.name}"[:300],
            "name_key": None,
            "base": {},
            "base_versions": {"office": 1},
            "base_revision_id": base_revision_id,
            "note": "Synthetic benchmark submission (fictional).",
            "origin": "ngo_partner",
            "source": "ngo: bench partner",
            "duplicate_matches": [],
            "submitter_key_id": None,
            "submitter_name": "Example Partner Network (synthetic)",
            "submitter_organization_id": None,
            "created_at": created,
            "decided_at": None,
            "decided_by": None,
            "decided_by_key_id": None,
            "decision_reason": None,
            "applied": None,
            "duplicate_of_submission_id": None,
            "duplicate_of_office_id": None,
            "version": 1,
        }
        if kind == "correction":
            new_city = f"Example Town {i} (synthetic)"
            row["changes"] = {
                "office.city": new_city,
                "office.opening_hours": "Mo-Sa 08:00-18:00",
            }
            row["base"] = {
                "office.city": office.city,
                "office.opening_hours": office.opening_hours,
            }
            if rng.random() < 0.2:  # someone edited the city since: drift and a conflict
                revisions.append(
                    revision(office, "city", office.city, office.city, created + timedelta(hours=1))
                )
        elif kind == "closure":
            row["closure_reason"] = rng.choice(["closed", "moved"])
            row["changes"] = {"office.status": "closed"}
            row["base"] = {"office.status": "active"}
        else:
            pool = existing.get(office.country) or numbers.get(office.country) or []
            number = pool[rng.randrange(len(pool))] if pool else None
            org_name = f"Example New Shelter {i} (synthetic)"
            row.update(office_id=None, organization_id=None, base_versions={})
            row["title"] = f"{org_name} — {office.city}"
            row["name_key"] = fold(org_name)
            row["changes"] = {
                "organization.name": org_name,
                "organization.category": "ngo",
                "office.country": office.country,
                "office.region": office.region,
                "office.city": office.city,
            }
            if number:
                row["changes"]["new_phones.0"] = {
                    "number": number,
                    "kind": "voice",
                    "hours": None,
                    "is_24_7": False,
                    "languages": [],
                }
                row["duplicate_matches"] = [
                    {
                        "kind": "office",
                        "id": office.id,
                        "reason": "phone",
                        "detail": f"same number {number}",
                        "name": office.org_name,
                        "similarity": 1.0,
                    }
                ]
        submissions.append(row)

    ids: list[int] = []
    with engine.begin() as conn:
        for start in range(0, len(submissions), BATCH):
            chunk = submissions[start : start + BATCH]
            result = conn.execute(
                insert(Submission.__table__).returning(Submission.__table__.c.id),  # type: ignore[attr-defined]
                chunk,
            )
            chunk_ids = [r[0] for r in result]
            ids.extend(chunk_ids)
            for sub_id, row in zip(chunk_ids, chunk, strict=True):
                phone = row["changes"].get("new_phones.0")
                if phone:
                    sub_phones.append({"submission_id": sub_id, "number": phone["number"]})
        if sub_phones:
            conn.execute(insert(SubmissionPhone.__table__), sub_phones)  # type: ignore[attr-defined]
        if revisions:
            conn.execute(insert(Revision.__table__), revisions)  # type: ignore[attr-defined]
        if engine.dialect.name != "postgresql":
            conn.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        # The steady state autovacuum keeps: statistics, and a visibility map so the queue's
        # id paging is an index-only scan rather than thousands of heap visits.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return ids


def _cpu(server: psutil.Process) -> float:
    times = server.cpu_times()
    return float(times.user + times.system)


def _time(
    client: httpx.Client,
    server: psutil.Process,
    cpu: list[float],
    url: str,
    params: dict[str, Any] | None = None,
) -> float:
    """Wall-clock ms of one request; the server's CPU seconds for it are added to `cpu`."""
    cpu_before = _cpu(server)
    start = time.perf_counter()
    resp = client.get(url, params=params)
    elapsed = (time.perf_counter() - start) * 1000
    cpu.append(_cpu(server) - cpu_before)
    resp.raise_for_status()
    return elapsed


def measure(
    base: str,
    server: psutil.Process,
    headers: dict[str, str],
    ids: list[int],
    regions: list[tuple[str, str | None]],
    requests: int,
    rng: random.Random,
    per_page: int = 50,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall-clock ms per request, and server CPU seconds per request, by request kind."""
    pages = max(1, len(ids) // per_page)
    names = ("list", "list (country/region)", "diff")
    figures: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(30):  # warm up: imports, caches, the connection pool
            client.get("/api/v1/submissions", params={"page": rng.randint(1, pages)})
            client.get(f"/api/v1/submissions/{rng.choice(ids)}")
        for i in range(requests):
            figures["list"].append(
                _time(
                    client,
                    server,
                    cpu["list"],
                    "/api/v1/submissions",
                    {"page": rng.randint(1, pages), "per_page": per_page},
                )
            )
            country, region = regions[rng.randrange(len(regions))]
            params: dict[str, Any] = {"country": country, "per_page": per_page}
            if region and i % 2:
                params["region"] = region
            name = "list (country/region)"
            figures[name].append(_time(client, server, cpu[name], "/api/v1/submissions", params))
            figures["diff"].append(
                _time(client, server, cpu["diff"], f"/api/v1/submissions/{rng.choice(ids)}")
            )
    return figures, cpu


def run(kind: str, offices: int, submissions: int, requests: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    numbers = example_numbers(rng)
    misses: list[str] = []
    with bench_database(kind) as (url, _dsn):
        engine = migrated_engine(url)
        try:
            with unit_of_work(engine) as session:
                secret = create_key(session, name="bench reviewer", role="reviewer").secret
            headers = {"Authorization": f"Bearer {secret}"}
            started = time.perf_counter()
            populate(engine, Directory(), offices, rng, numbers)
            print(
                f"{kind}: {offices:,} offices in {time.perf_counter() - started:.1f} s", flush=True
            )
            started = time.perf_counter()
            ids = populate_queue(engine, submissions, rng, numbers)
            took = time.perf_counter() - started
            print(f"{kind}: {len(ids):,} pending submissions in {took:.1f} s", flush=True)
            with engine.connect() as conn:
                regions = [
                    (c, r)
                    for c, r in conn.execute(
                        text("SELECT DISTINCT country, region FROM submission")
                    )
                ]
            with uvicorn_server(url) as (base, server):
                figures, cpu = measure(base, server, headers, ids, regions, requests, rng)
        finally:
            engine.dispose()
    for name, values in figures.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"{kind:<8} {name:<22} n={len(values):<4} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
            f"  mean {statistics.fmean(values):6.2f} ms | server CPU/request"
            f" {statistics.fmean(cpu[name]) * 1000:5.2f} ms (target p99 < {TARGET_MS:.0f} ms)",
            flush=True,
        )
        if p99 >= TARGET_MS:
            misses.append(f"{kind} {name}: p99 {p99:.1f} ms")
    return misses


def main() -> None:
    parser = bench_arguments(__doc__, db="sqlite")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500, help="sequential requests per kind")
    args = parser.parse_args()
    misses: list[str] = []
    for kind in db_kinds(args.db):
        misses += run(kind, args.offices, args.submissions, args.requests, args.seed)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    report_targets(misses)


if __name__ == "__main__":
    main()
