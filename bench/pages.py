"""Web pages benchmark: server render time (p50, p95) and page weight of every page.

Builds the 100,000-office synthetic directory with bench/synthetic.py's builder (SQLAlchemy core
bulk inserts), opens the verification tasks and the digest as the scheduler would, queues
NGO submissions through the review intake, then serves the app with uvicorn (1 worker) on
127.0.0.1 and fetches every page signed in as the role that uses it, one request at a time.

Render time is measured by the client around each request on 127.0.0.1 (so it includes the
loopback round trip: an upper bound on the server's time). Page weight is the HTML plus the
static files it links (the stylesheet and the icon); PDFs are downloads, not pages.

Targets: p95 under 100 ms and weight under 200 KB for every page.

Usage: .venv/bin/python -m bench.pages [--offices 100000] [--requests 40] [--db sqlite]
"""

from __future__ import annotations

import random
import re
import statistics
import time

import httpx
from sqlalchemy import Engine, func, select, text

from app.auth.service import authenticate, create_key
from app.config import get_settings
from app.db import unit_of_work
from app.directory.models import Office, Organization
from app.kit.clock import utcnow
from app.kit.paging import Page
from app.review import intake
from app.verification import reports, worklist
from bench.databases import (
    bench_arguments,
    bench_database,
    db_kinds,
    migrated_engine,
    report_targets,
)
from bench.local_server import uvicorn_server
from bench.query import percentile
from bench.synthetic import Directory, example_numbers, open_verification_tasks, populate

P95_TARGET_MS = 100.0
WEIGHT_TARGET = 200 * 1024
SUBMISSIONS = 300


def prepare(engine: Engine, offices: int, seed: int) -> dict[str, object]:
    """The directory, tasks, digest and submissions; returns keys and ids to visit."""
    rng = random.Random(seed)
    directory = Directory()
    started = time.perf_counter()
    populate(engine, directory, offices, rng, example_numbers(rng))
    print(f"  {offices} offices inserted in {time.perf_counter() - started:.1f} s")
    settings = get_settings()
    now = utcnow()
    with unit_of_work(engine) as session:
        # The busiest region of the busiest country: the heaviest result page.
        country, _ = session.execute(
            select(Office.country, func.count())
            .group_by(Office.country)
            .order_by(func.count().desc())
        ).first()  # type: ignore[misc]
        region, _ = session.execute(
            select(Office.region, func.count())
            .where(Office.country == country, Office.region.is_not(None))
            .group_by(Office.region)
            .order_by(func.count().desc())
        ).first()  # type: ignore[misc]
        # Offices a partner may see and correct: open, of a non-confidential organisation.
        target_ids = list(
            session.execute(
                select(Office.id)
                .join(Organization, Organization.id == Office.organization_id)
                .where(
                    Office.country == country,
                    Office.status == "active",
                    Organization.confidential.is_(False),
                )
                .order_by(Office.id)
                .limit(SUBMISSIONS + 1)
            ).scalars()
        )
        partner_office = session.get(Office, target_ids[0])
        assert partner_office is not None
        keys = {
            role: create_key(session, name=f"bench {role}", role=role).secret
            for role in ("officer", "reviewer", "admin")
        }
        partner = create_key(
            session,
            name="bench partner",
            role="ngo",
            organization_id=partner_office.organization_id,
        )
        keys["ngo"] = partner.secret
    started = time.perf_counter()
    opened = open_verification_tasks(engine, now=now, settings=settings)
    with unit_of_work(engine) as session:
        reports.write_digests(session, now=now, settings=settings)
    print(
        f"  {opened} verification tasks opened, digest written in "
        f"{time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    submission_ids = []
    with unit_of_work(engine) as session:
        principal = authenticate(session, secret=partner.secret)
        relaxed = settings.model_copy(update={"submission_rate_limit": 10 * SUBMISSIONS})
        for i, office_id in enumerate(target_ids[1:]):
            sub = intake.create_submission(
                session,
                proposal={
                    "kind": "correction",
                    "office_id": office_id,
                    "office": {"opening_hours": f"Mo-Fr 08:00-16:{i % 60:02d}"},
                    "note": "synthetic benchmark correction",
                },
                submitter=principal,
                source="bench",
                settings=relaxed,
            )
            submission_ids.append(sub.id)
    print(f"  {len(submission_ids)} submissions queued in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        # Autovacuum would vacuum and analyze the tables the bulk steps just filled (72,000
        # tasks into an empty table) within a minute; the test server runs with autovacuum
        # off, so the planner would otherwise plan the pages for the empty tables it last
        # saw. SQLite keeps no statistics unless told to, as in production: its plans must
        # not need any.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    with unit_of_work(engine) as session:
        task_rows = worklist.list_tasks(
            session, filters=worklist.TaskFilters(), now=now, page=Page(1, 1)
        ).rows
    return {
        "keys": keys,
        "country": country,
        "region": region,
        "office": target_ids[1],
        "submission": submission_ids[0],
        "task": task_rows[0].task.id if task_rows else None,
    }


def sign_in(base: str, key: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post("/signin", data={"key": key, "csrf_token": token.group(1)})
    assert response.status_code == 303, response.status_code
    return client


def pages(ctx: dict[str, object]) -> list[tuple[str, str]]:
    cc, rc = ctx["country"], ctx["region"]
    office, sub, task = ctx["office"], ctx["submission"], ctx["task"]
    listed = [
        ("officer", "/officer"),
        ("officer", f"/officer?country={cc}"),
        ("officer", f"/officer/contacts?country={cc}&region={rc}"),
        ("officer", f"/officer/contacts?country={cc}"),
        ("officer", f"/contacts/{office}"),
        ("officer", f"/coverage?country={cc}"),
        ("officer", "/officer/sheet"),
        ("officer", f"/officer/sheet?country={cc}&region={rc}&lang=en&lang2=fr"),
        ("ngo", "/ngo"),
        ("ngo", f"/ngo/contacts/{office}/correct"),
        ("ngo", f"/ngo/contacts/{office}/report"),
        ("ngo", f"/ngo/contacts/{office}/confirm"),
        ("ngo", "/ngo/new"),
        ("ngo", "/ngo/submissions"),
        ("ngo", f"/ngo/submissions/{sub}"),
        ("reviewer", "/review"),
        ("reviewer", f"/review?country={cc}"),
        ("reviewer", f"/review/{sub}"),
        ("reviewer", "/verify"),
        ("reviewer", f"/verify?country={cc}"),
        ("reviewer", "/digest"),
        ("admin", "/admin/keys"),
        ("admin", "/admin/audit"),
        ("admin", f"/admin/audit?office_id={office}"),
    ]
    if task is not None:
        listed.append(("reviewer", f"/verify/{task}"))
    return listed


def measure(base: str, ctx: dict[str, object], requests: int) -> list[str]:
    keys: dict[str, str] = ctx["keys"]  # type: ignore[assignment]
    clients = {role: sign_in(base, key) for role, key in keys.items()}
    anonymous = httpx.Client(base_url=base, timeout=30)
    static = {
        path: len(anonymous.get(path).content)
        for path in ("/static/homeward.css", "/static/favicon.svg")
    }
    misses: list[str] = []
    rows = [("-", "/signin", anonymous), *((r, p, clients[r]) for r, p in pages(ctx))]
    print(f"  {'role':<9} {'page':<58} {'p50 ms':>7} {'p95 ms':>7} {'weight':>9}")
    for role, path, client in rows:
        for _ in range(3):  # warm caches (templates, geography names)
            client.get(path)
        times: list[float] = []
        size = 0
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            size = len(response.content)
        linked = sum(n for p, n in static.items() if p in response.text)
        weight = size + linked
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        flag = "" if p95 < P95_TARGET_MS and weight < WEIGHT_TARGET else "  <-- over target"
        print(f"  {role:<9} {path[:58]:<58} {p50:7.1f} {p95:7.1f} {weight / 1024:7.1f} KB{flag}")
        if flag:
            misses.append(f"{path}: p95 {p95:.0f} ms, {weight / 1024:.0f} KB")
    for client in (*clients.values(), anonymous):
        client.close()
    return misses


def run(kind: str, offices: int, requests: int, seed: int) -> list[str]:
    print(f"{kind}:")
    with bench_database(kind) as (url, _dsn):
        engine = migrated_engine(url)
        try:
            ctx = prepare(engine, offices, seed)
        finally:
            engine.dispose()
        with uvicorn_server(url) as (base, _server):
            return measure(base, ctx, requests)


def main() -> None:
    parser = bench_arguments(__doc__)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    args = parser.parse_args()
    misses: list[str] = []
    for kind in db_kinds(args.db):
        misses += [f"{kind}: {m}" for m in run(kind, args.offices, args.requests, args.seed)]
    report_targets(misses)


if __name__ == "__main__":
    main()
