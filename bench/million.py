"""A million offices on PostgreSQL, beside 100,000: the hot reads, their plans, and the export.

Builds the synthetic, clearly fictional directory (bench/synthetic.py, SQLAlchemy core bulk
inserts in batches of 5,000 offices), the review queue (bench/review_queue.py) and the open
verification tasks (the scheduler's own batch job) once into its own database per size,
`homeward_bench_100k` and `homeward_bench_1m`, and reuses a database that is already complete
(`--rebuild` builds it again; `--drop` removes both at the end). Then, per size, with the app
under uvicorn (1 worker) on 127.0.0.1 and the load generator pinned by `taskset`:

* the region query (`GET /api/v1/contacts?country=..&region=..`, random regions with offices),
  the review-queue list (`GET /api/v1/submissions`, random pages and countries) and the
  worklist page (`GET /verify`, signed in as a reviewer): p50 / p99, one request at a time;
* the nested HSDS JSON export (bench/hsds.py's child process, RSS polled): time and peak RSS;
* `EXPLAIN` of every distinct SELECT each of them runs (caught with a cursor event while the
  same request runs in-process), flagging any sequential scan of a large table.

Targets: p99 < 50 ms for the query and pages at 1,000,000 offices; the export's peak RSS within
20% of its peak at 100,000; no plan that scans a whole large table (the export reads every
office by design, in keyset batches; its plans are printed and checked all the same).
Timings on a shared machine are noisy: run it several times and take the medians.

Usage: .venv/bin/python -m bench.million [--offices 1000000] [--compare 100000]
                                         [--requests 300] [--rebuild] [--drop]
                                         [--export-seconds S]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, event, func, select, text

from app.auth.service import create_key
from app.config import get_settings
from app.db import make_engine, unit_of_work
from app.directory.models import Office
from app.kit.clock import utcnow
from bench import hsds
from bench.databases import PG_ADMIN, migrated_engine, report_targets
from bench.local_server import uvicorn_server
from bench.pages import sign_in
from bench.query import percentile, pin_load_generator
from bench.review_queue import populate_queue
from bench.synthetic import Directory, example_numbers, open_verification_tasks, populate

TARGET_MS = 50.0
SUBMISSIONS = 10_000
# Offices written by the Python builder; `grow` copies them inside PostgreSQL up to the size.
SEED_OFFICES = 100_000
# Tables that grow with the directory: a sequential scan of one is a whole-table read.
LARGE_TABLES = (
    "office",
    "organization",
    "phone",
    "office_language",
    "organization_service",
    "submission",
    "submission_phone",
    "revision",
    "verification_task",
    "verification_event",
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
IN_LIST = re.compile(r"IN \(%\(\w+\)s(?:, %\(\w+\)s)*\)")
# Plan nodes that read all of their input before returning a row.
BLOCKING = ("Sort", "Hash", "Aggregate", "HashAggregate", "GroupAggregate", "Materialize")


def whole_table_scans(plan: str) -> list[str]:
    """Large tables the plan reads whole: a Seq Scan not stopped early by a Limit above it
    (with no node between them that reads all of its input first)."""
    lines = plan.splitlines()
    depth = [len(line) - len(line.lstrip(" ->")) for line in lines]
    found = []
    for i, line in enumerate(lines):
        match = SEQ_SCAN.search(line)
        if not match or match.group(1) not in LARGE_TABLES:
            continue
        bounded, level = False, depth[i]
        for j in range(i - 1, -1, -1):
            if ("->" not in lines[j] and j != 0) or depth[j] >= level:
                continue
            level = depth[j]
            node = lines[j].strip(" ->")
            if node.startswith("Limit"):
                bounded = True
                break
            if node.startswith(BLOCKING):
                break
        if not bounded:
            found.append(match.group(1))
    return found


def _dsn(name: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _url(name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _label(offices: int) -> str:
    return f"{offices // 1_000_000}m" if offices % 1_000_000 == 0 else f"{offices // 1000}k"


def _complete(name: str, offices: int) -> bool:
    """Whether `name` exists and holds a finished build of `offices` offices."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not exists:
        return False
    with psycopg.connect(_dsn(name)) as conn:
        marker = conn.execute("SELECT to_regclass('bench_build')").fetchone()
        if marker is None or marker[0] is None:
            return False
        row = conn.execute("SELECT offices FROM bench_build").fetchone()
    return row is not None and row[0] == offices


# Tables copied by `grow`, each with the SQL of its new id columns (`:k` is the copy's
# offset in ids of each table) and of the columns whose text names the id.
_GROWN: dict[str, dict[str, str]] = {
    "organization": {
        "id": "id + :org",
        "name": "replace(name, ' ' || id || ' (', ' ' || (id + :org) || ' (')",
        "search_text": "replace(search_text, ' ' || id || ' (', ' ' || (id + :org) || ' (')",
        "website": "replace(website, '//org' || id || '.', '//org' || (id + :org) || '.')",
        "email": "replace(email, 'contact' || id || '@', 'contact' || (id + :org) || '@')",
    },
    "organization_service": {"organization_id": "organization_id + :org"},
    "office": {
        "id": "id + :office",
        "organization_id": "organization_id + :org",
        "name": "'Office ' || (id + :office) || ' (synthetic)'",
        "search_text": (
            "replace(search_text, 'office ' || id || ' ', 'office ' || (id + :office) || ' ')"
        ),
        "address": "(id + :office) || ' Example Street'",
        "email": "'office' || (id + :office) || '@example.org'",
    },
    "office_language": {"office_id": "office_id + :office"},
    "phone": {"id": "id + :phone", "office_id": "office_id + :office"},
    "revision": {
        "id": "id + :revision",
        "change_id": "change_id || '-' || :office",
        "entity_id": (
            "entity_id + CASE entity WHEN 'office' THEN :office WHEN 'phone' THEN :phone"
            " ELSE :org END"
        ),
        "office_id": "office_id + :office",
        "organization_id": "organization_id + :org",
    },
    "verification_event": {"id": "id + :verification_event", "office_id": "office_id + :office"},
}
# The tables whose ids `grow` shifts copy by copy.
_ID_TABLES = ("organization", "office", "phone", "revision", "verification_event")


def grow(engine: Engine, offices: int) -> None:
    """Copy the directory's first rows inside PostgreSQL (INSERT … SELECT, new ids and names)
    until it holds `offices` offices: the Python builder would take most of an hour for a
    million on a busy machine."""
    with engine.begin() as conn:
        base = {
            t: conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar_one()
            for t in _ID_TABLES
        }
        columns = {
            t: list(
                conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns WHERE"
                        " table_schema = 'public' AND table_name = :t ORDER BY ordinal_position"
                    ),
                    {"t": t},
                ).scalars()
            )
            for t in _GROWN
        }
    copy = 1
    while True:
        with engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM office")).scalar_one()
        if have >= offices:
            break
        # The last copy takes only the offices still missing (and their organisations).
        take = min(base["office"], offices - have)
        with engine.begin() as conn:
            last_org = conn.execute(
                text("SELECT max(organization_id) FROM office WHERE id <= :n"), {"n": take}
            ).scalar_one()
            shift = {t: base[t] * copy for t in base}
            limits = {
                "organization": f"id <= {last_org}",
                "organization_service": f"organization_id <= {last_org}",
                "office": f"id <= {take}",
                "office_language": f"office_id <= {take}",
                "phone": f"office_id <= {take}",
                "revision": f"office_id <= {take}",
                "verification_event": f"office_id <= {take}",
            }
            for table, override in _GROWN.items():
                cols = columns[table]
                select_list = ", ".join(override.get(c, c) for c in cols)
                conn.execute(
                    text(
                        f"INSERT INTO {table} ({', '.join(cols)})"
                        f" SELECT {select_list} FROM {table} WHERE {limits[table]}"
                    ),
                    {
                        "org": shift["organization"],
                        "office": shift["office"],
                        "phone": shift["phone"],
                        "revision": shift["revision"],
                        "verification_event": shift["verification_event"],
                    },
                )
        print(f"  copy {copy}: {have + take:,} offices", flush=True)
        copy += 1
    with engine.begin() as conn:
        for table in _ID_TABLES:
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))


def finish(engine: Engine, offices: int, seed: int) -> None:
    """The review queue and the open verification tasks, then statistics and the marker."""
    rng = random.Random(seed + 1)
    numbers = example_numbers(rng)
    started = time.perf_counter()
    populate_queue(engine, SUBMISSIONS, rng, numbers)
    print(f"  {SUBMISSIONS:,} submissions in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    opened = open_verification_tasks(engine, now=utcnow(), settings=get_settings(), batch=20_000)
    print(f"  {opened:,} tasks opened in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        # Not a model table: it only says the build finished.
        conn.execute(text("CREATE TABLE bench_build (offices integer NOT NULL)"))
        conn.execute(text("INSERT INTO bench_build VALUES (:n)"), {"n": offices})


def build(name: str, offices: int, seed: int) -> None:
    """Create `name` and fill it: offices, the review queue, the open verification tasks."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    engine = migrated_engine(_url(name))
    rng = random.Random(seed)
    try:
        started = time.perf_counter()
        seed_offices = min(offices, SEED_OFFICES)
        populate(engine, Directory(), seed_offices, rng, example_numbers(rng))
        print(f"  {seed_offices:,} offices in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        grow(engine, offices)
        print(f"  grown to {offices:,} in {time.perf_counter() - started:.0f} s", flush=True)
        finish(engine, offices, seed)
    finally:
        engine.dispose()


# ---- plans --------------------------------------------------------------------------------------


class _Enough(Exception):
    """Raised by the statement catcher once it has seen enough (the export's batches repeat)."""


@dataclass
class Caught:
    statements: dict[str, tuple[str, Any]] = field(default_factory=dict)
    seen: int = 0


@contextmanager
def catching(engine: Engine, limit: int = 10_000) -> Iterator[Caught]:
    """Record each distinct SELECT `engine` runs, with the parameters of its first run."""
    caught = Caught()

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        caught.seen += 1
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            # One plan per shape: IN lists of another length are the same query.
            caught.statements.setdefault(IN_LIST.sub("IN (…)", statement), (statement, params))
        if caught.seen >= limit:
            raise _Enough

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield caught
    except Exception as exc:  # SQLAlchemy may wrap what an event raises
        if not isinstance(exc, _Enough) and not isinstance(getattr(exc, "orig", None), _Enough):
            raise
    finally:
        event.remove(engine, "before_cursor_execute", before)


def explain(engine: Engine, caught: Caught, title: str) -> list[str]:
    """Print the plan of each caught statement; return the large tables read whole."""
    whole: list[str] = []
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        for statement, params in caught.statements.values():
            cur = raw.cursor()
            cur.execute("EXPLAIN " + statement, params)
            plan = "\n".join(row[0] for row in cur.fetchall())
            cur.close()
            scans = whole_table_scans(plan)
            whole += scans
            first_line = " ".join(statement.split())[:150]
            flag = f"  <-- whole-table scan of {', '.join(scans)}" if scans else ""
            print(f"  EXPLAIN [{title}] {first_line}…{flag}")
            for line in plan.splitlines():
                print(f"      {line}")
        raw.rollback()
    return whole


def plans(url: str, regions: list[tuple[str, str]]) -> list[str]:
    """Run each measured read in-process on `url`, catching its SQL, and EXPLAIN it."""
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    from fastapi.testclient import TestClient

    from app.db import get_engine
    from app.main import create_app

    get_engine.cache_clear()
    engine = get_engine()
    whole: list[str] = []
    with unit_of_work(engine) as session:
        keys = {
            r: create_key(session, name=f"plans {r}", role=r).secret
            for r in ("officer", "reviewer")
        }
    with TestClient(create_app()) as client:
        country, region = regions[0]
        reads: list[tuple[str, Callable[[], Any]]] = [
            (
                "region query",
                lambda: client.get(
                    "/api/v1/contacts",
                    params={"country": country, "region": region},
                    headers={"Authorization": f"Bearer {keys['officer']}"},
                ),
            ),
            (
                "review queue",
                lambda: client.get(
                    "/api/v1/submissions",
                    params={"page": 3},
                    headers={"Authorization": f"Bearer {keys['reviewer']}"},
                ),
            ),
            (
                "review queue (country)",
                lambda: client.get(
                    "/api/v1/submissions",
                    params={"country": country},
                    headers={"Authorization": f"Bearer {keys['reviewer']}"},
                ),
            ),
        ]
        for title, read in reads:
            with catching(engine) as caught:
                assert read().status_code == 200, title
            whole += explain(engine, caught, title)
        page = client.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/signin", data={"key": keys["reviewer"], "csrf_token": token.group(1)})
        with catching(engine) as caught:
            assert client.get("/verify").status_code == 200
        whole += explain(engine, caught, "worklist /verify")
    from app.interop import hsds_export

    with (
        catching(engine, limit=60) as caught,
        unit_of_work(engine) as session,
        open(os.devnull, "w", encoding="utf-8") as sink,
    ):
        hsds_export.write_json(session, sink)
    whole += explain(engine, caught, "HSDS export")
    engine.dispose()
    get_engine.cache_clear()
    return whole


# ---- timings ------------------------------------------------------------------------------------


def auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def timed(fn: Callable[[], httpx.Response], n: int) -> list[float]:
    for _ in range(5):  # warm up
        fn().raise_for_status()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn().raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(
    name: str, offices: int, requests: int, cpus: str | None, export_seconds: float | None
) -> dict[str, Any]:
    url = _url(name)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        officer = create_key(session, name="bench officer", role="officer").secret
        reviewer = create_key(session, name="bench reviewer", role="reviewer").secret
        regions = [
            (c, r)
            for c, r in session.execute(
                select(Office.country, Office.region)
                .where(Office.region.is_not(None))
                .group_by(Office.country, Office.region)
                .order_by(func.count().desc())
            )
        ]
        countries = [c for (c,) in session.execute(text("SELECT DISTINCT country FROM submission"))]
    engine.dispose()
    rng = random.Random(3)
    results: dict[str, Any] = {}
    with uvicorn_server(url, cpus=cpus) as (base, _proc):
        with httpx.Client(base_url=base, headers=auth(officer), timeout=60) as c:
            results["region query"] = timed(
                lambda: c.get(
                    "/api/v1/contacts",
                    params=dict(zip(("country", "region"), rng.choice(regions), strict=True)),
                ),
                requests,
            )
        with httpx.Client(base_url=base, headers=auth(reviewer), timeout=60) as c:
            results["review queue"] = timed(
                lambda: c.get("/api/v1/submissions", params={"page": rng.randint(1, 150)}),
                requests // 2,
            ) + timed(
                lambda: c.get("/api/v1/submissions", params={"country": rng.choice(countries)}),
                requests // 2,
            )
        web = sign_in(base, reviewer)
        results["worklist /verify"] = timed(lambda: web.get("/verify"), requests)
        web.close()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "hsds.json")
        export = hsds.measure("export-hsds-json", url, out, seconds=export_seconds)
    results["export"] = export
    results["whole"] = plans(url, regions[:1])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=1_000_000)
    parser.add_argument("--compare", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="sequential requests per read")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--drop", action="store_true", help="drop the databases at the end")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--export-seconds",
        type=float,
        default=None,
        help="stop each export after this long (peak RSS so far; for a busy machine)",
    )
    args = parser.parse_args()
    cpus = pin_load_generator()
    sizes = [args.compare, args.offices]
    figures: dict[int, dict[str, Any]] = {}
    for offices in sizes:
        name = f"homeward_bench_{_label(offices)}"
        if args.rebuild or not _complete(name, offices):
            print(f"building {name} ({offices:,} offices)", flush=True)
            started = time.perf_counter()
            build(name, offices, args.seed)
            print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            print(f"reusing {name} ({offices:,} offices)", flush=True)
        figures[offices] = measure(name, offices, args.requests, cpus, args.export_seconds)
    small, full = figures[args.compare], figures[args.offices]
    misses: list[str] = []
    head = "offices p50 / p99"
    print(f"\n{'read':<20} | {args.compare:>9,} {head} | {args.offices:>9,} {head}")
    for read in ("region query", "review queue", "worklist /verify"):
        a, b = small[read], full[read]
        p99 = percentile(b, 0.99)
        print(
            f"{read:<20} | {percentile(a, 0.5):8.2f} / {percentile(a, 0.99):6.2f} ms"
            f"         | {percentile(b, 0.5):8.2f} / {p99:6.2f} ms"
            + ("" if p99 < TARGET_MS else "  <-- over target")
        )
        if p99 >= TARGET_MS:
            misses.append(f"{read}: p99 {p99:.1f} ms")
    ea, eb = small["export"], full["export"]
    growth = (eb["peak_mb"] - ea["peak_mb"]) / ea["peak_mb"]

    def export_figures(e: dict[str, Any]) -> str:
        done = "" if e["complete"] else " (stopped)"
        return (
            f"{e['seconds']:6.1f} s{done}, {e['bytes'] / 2**20:6.1f} MB written,"
            f" peak RSS {e['peak_mb']:5.1f} MB"
        )

    print(f"{'HSDS JSON export':<20} | {export_figures(ea)} | {export_figures(eb)} ({growth:+.0%})")
    if abs(growth) > 0.2:
        misses.append(f"export peak RSS grew {growth:+.0%}")
    for offices in sizes:
        if figures[offices]["whole"]:
            misses.append(
                f"whole-table scans at {offices:,}: {sorted(set(figures[offices]['whole']))}"
            )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    report_targets(misses)
    if args.drop:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            for offices in sizes:
                admin.execute(
                    f"DROP DATABASE IF EXISTS homeward_bench_{_label(offices)} WITH (FORCE)"
                )
        print("bench databases dropped; the next run builds them again")


if __name__ == "__main__":
    main()
