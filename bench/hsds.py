"""Benchmark: HSDS export of 100,000 offices (peak memory, time) and a 10,000-record import.

    .venv/bin/python -m bench.hsds [--offices 100000] [--import-records 10000]
                                   [--flagged-share 0.1]
                                   [--database-url postgresql+psycopg://…/db]

Builds a synthetic, fictional directory with SQLAlchemy core bulk inserts in a fresh database
(a temporary SQLite file unless --database-url names an empty PostgreSQL database), then:
1. exports it as an HSDS tabular package in a child process, polling the child's RSS with
   psutil for the peak, and times it (targets: < 300 MB, < 30 s);
2. exports the nested JSON form the same way;
3. imports a 10,000-record HSDS package into the review queue, a tenth of its records
   carrying a value the import leaves out as a finding for the reviewer (a region of no
   country), in a child process measured the same way (targets: < 30 s, < 300 MB).
4. pulls a feed of 10,000 changed services from a second local instance (uvicorn over its own
   database) into a fresh database's review queue, in a child process polled for its peak
   RSS (targets < 60 s, < 300 MB): `bench_feed_pull`, alone with --feed-only.
Figures are printed; nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]

NG_REGIONS = [
    "NG-AB", "NG-AD", "NG-AK", "NG-AN", "NG-BA", "NG-BE", "NG-BO", "NG-BY", "NG-CR", "NG-DE",
    "NG-EB", "NG-ED", "NG-EK", "NG-EN", "NG-FC", "NG-GO", "NG-IM", "NG-JI", "NG-KD", "NG-KE",
    "NG-KN", "NG-KO", "NG-KT", "NG-KW", "NG-LA", "NG-NA", "NG-NI", "NG-OG", "NG-ON", "NG-OS",
    "NG-OY", "NG-PL", "NG-RI", "NG-SO", "NG-TA", "NG-YO", "NG-ZA",
]  # fmt: skip
BR_REGIONS = ["BR-SP", "BR-RJ", "BR-MG", "BR-BA", "BR-PR", "BR-RS", "BR-PE", "BR-CE"]
CATEGORIES = ["law_enforcement", "ngo", "lawyer", "social_welfare"]
TAGS = ["shelter", "legal_aid", "medical", "psychological", "reintegration", "hotline"]
KINDS = ["voice", "mobile", "hotline", "whatsapp", "sms"]


def build(url: str, *, offices: int, phone_offset: int) -> None:
    """Migrate and fill a fresh database with `offices` fictional offices (core inserts)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import insert

    from app.db import make_engine
    from app.directory.models import (
        Office,
        OfficeLanguage,
        Organization,
        OrganizationService,
        Phone,
    )
    from app.verification.models import VerificationEvent

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")
    engine = make_engine(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    org_count = max(1, offices // 10)
    with engine.begin() as conn:
        conn.execute(
            insert(Organization),
            [
                {
                    "id": i,
                    "name": f"Example Help Network {i} (demo)",
                    "category": CATEGORIES[i % 4],
                    "description": "Fictional benchmark organisation." if i % 3 else None,
                    "website": f"https://org{i}.example.org/",
                    "confidential": i % 50 == 0,
                    "is_demo": True,
                    "status": "active",
                    "search_text": f"example help network {i} (demo)",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(1, org_count + 1)
            ],
        )
        conn.execute(
            insert(OrganizationService),
            [
                {"organization_id": i, "tag": tag}
                for i in range(1, org_count + 1)
                for tag in rng.sample(TAGS, 2)
            ],
        )
        batch = 20_000
        for start in range(1, offices + 1, batch):
            ids = range(start, min(start + batch, offices + 1))
            office_rows, language_rows, phone_rows, event_rows = [], [], [], []
            for i in ids:
                brazil = i % 5 == 0
                country = "BR" if brazil else "NG"
                region = None if i % 9 == 0 else rng.choice(BR_REGIONS if brazil else NG_REGIONS)
                verified = now - timedelta(days=rng.randint(0, 300))
                office_rows.append(
                    {
                        "id": i,
                        "organization_id": (i - 1) % org_count + 1,
                        "name": f"Office {i}" if i % 2 else None,
                        "country": country,
                        "region": region,
                        "city": "Example City" if i % 4 else None,
                        "address": f"{i} Example Street" if i % 3 else None,
                        "postal_code": "100001" if i % 6 == 0 else None,
                        "latitude": 6.5 if i % 7 == 0 else None,
                        "longitude": 3.3 if i % 7 == 0 else None,
                        "opening_hours": "Mon-Fri 09:00-17:00" if i % 2 == 0 else None,
                        "meets_on_arrival": i % 8 == 0,
                        "status": "active" if i % 20 else "temporarily_closed",
                        "search_text": f"office {i} example city",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "last_verified_at": verified,
                        "verified_by": "bench-verifier",
                        "verification_method": "phone_call",
                    }
                )
                language_rows.append({"office_id": i, "language": "pt" if brazil else "en"})
                if not brazil and i % 3 == 0:
                    language_rows.append({"office_id": i, "language": "yo"})
                n = i + phone_offset
                number = f"+55119{n % 100_000_000:08d}" if brazil else f"+234803{n % 10**7:07d}"
                phone_rows.append(
                    {
                        "office_id": i,
                        "number": number,
                        "kind": KINDS[i % len(KINDS)],
                        "is_24_7": i % 10 == 0,
                        "languages": ["en"],
                        "status": "active",
                        "position": 0,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                event_rows.append(
                    {
                        "office_id": i,
                        "verified_at": verified,
                        "verified_by": "bench-verifier",
                        "method": "phone_call",
                        "source": "bench",
                    }
                )
            conn.execute(insert(Office), office_rows)
            conn.execute(insert(OfficeLanguage), language_rows)
            conn.execute(insert(Phone), phone_rows)
            conn.execute(insert(VerificationEvent), event_rows)
    engine.dispose()


def child(task: str, url: str, out: str) -> None:
    """Runs in the measured subprocess."""
    if task == "feed-pull":
        child_feed_pull(url, feed=out)
        return
    from app.db import make_engine, unit_of_work
    from app.interop import hsds_export

    if task == "import-hsds":
        child_import(url, Path(out))
        return
    engine = make_engine(url)
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        if task == "export-hsds":
            summary = hsds_export.write_tabular(session, Path(out))
        elif task == "export-hsds-json":
            with open(out, "w", encoding="utf-8") as fh:
                summary = hsds_export.write_json(session, fh)
        else:
            raise SystemExit(f"unknown task {task}")
    print_figures(started, services=summary.services)


def print_figures(started: float, **figures: Any) -> None:
    """A measured child's last line: its time since `started`, CPU, peak RSS and `figures`."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    measured = {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "maxrss_mb": usage.ru_maxrss / 1024,
    }
    print(json.dumps({**measured, **figures}))


def measure(task: str, url: str, out: str, *, seconds: float | None = None) -> dict[str, float]:
    """Run a child task, polling its RSS every 10 ms for the peak.

    With `seconds`, a child still running then is stopped: the result holds the peak so far,
    the seconds, the bytes written and `complete` 0 (bench/million.py, on a busy machine).
    """
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.hsds", "--child", task, url, out],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    started = time.perf_counter()
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if seconds is not None and time.perf_counter() - started > seconds:
            proc.terminate()
            proc.wait()
            return {
                "seconds": time.perf_counter() - started,
                "peak_mb": peak / 1024 / 1024,
                "bytes": Path(out).stat().st_size if Path(out).exists() else 0,
                "complete": 0,
            }
        time.sleep(0.01)
    stdout, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{task} failed with exit code {proc.returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_mb"] = peak / 1024 / 1024
    result["bytes"] = Path(out).stat().st_size if Path(out).exists() else 0
    result["complete"] = 1
    return result


def flag_records(dataset: Path, *, share: float) -> int:
    """Give `share` of an exported package's records a region that is no subdivision of its
    country: the import queues each without it, carrying a finding. How many were changed."""
    path = dataset / "addresses.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or ()), list(reader)
    every = max(1, round(1 / share)) if share > 0 else 0
    flagged = 0
    for n, row in enumerate(rows):
        if every and n % every == 0:
            row["state_province"] = "Nowhere"
            flagged += 1
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)
    return flagged


def child_import(url: str, dataset: Path) -> None:
    """The import, in the measured subprocess: its figures as one JSON line."""
    from app.db import make_engine, unit_of_work
    from app.interop import hsds_import

    engine = make_engine(url)
    started, cpu_started = time.perf_counter(), time.process_time()
    with unit_of_work(engine) as session:
        report = hsds_import.import_path(session, dataset, dry_run=False)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": time.process_time() - cpu_started,
                "maxrss_mb": usage.ru_maxrss / 1024,
                "records": report.records,
                "queued": report.queued,
                "corrections": report.corrections,
                "new_contacts": report.new_contacts,
                "flagged": report.flagged,
                "rejected": len(report.problems),
            }
        )
    )


def bench_import(url: str, tmp: Path, *, offices: int, records: int, share: float) -> bool:
    """Time importing `records` HSDS records (half matching our phones, `share` flagged) into
    the review queue of the directory at `url`; print the figures; whether targets were met."""
    # A dataset from another (fictional) directory: half its phones match ours.
    source = f"sqlite:///{tmp / 'source.db'}"
    offset = max(0, offices - records // 2) // 5 * 5
    build(source, offices=records, phone_offset=offset)
    measure("export-hsds", source, str(tmp / "dataset"))
    changed = flag_records(tmp / "dataset", share=share)
    result = measure("import-hsds", url, str(tmp / "dataset"))
    print(
        f"HSDS import:         {result['records']:,} records into the review queue in "
        f"{result['seconds']:.1f} s ({result['cpu_seconds']:.1f} s CPU), peak RSS "
        f"{result['peak_mb']:.0f} MB polled / {result['maxrss_mb']:.0f} MB getrusage; "
        f"{result['corrections']:,} corrections, {result['new_contacts']:,} new contacts, "
        f"{result['flagged']:,} flagged with findings ({changed:,} records given a bad "
        f"region), {result['rejected']:,} rejected (targets < 30 s, < 300 MB)"
    )
    return bool(result["seconds"] < 30 and result["peak_mb"] < 300)


def child_feed_pull(url: str, *, feed: str) -> None:
    """The measured subprocess of `bench_feed_pull`: one pull of `feed` into `url`."""
    from app.config import get_settings
    from app.db import make_engine, unit_of_work
    from app.interop import feeds

    engine = make_engine(url)
    started = time.perf_counter()
    summary = feeds.pull_feed(feed, settings=get_settings(), sessions=lambda: unit_of_work(engine))
    print_figures(
        started,
        services=summary.fetched,
        queued=summary.queued,
        refused=summary.refused,
        error=summary.error,
    )


def bench_feed_pull(records: int, tmp: Path) -> dict[str, Any]:
    """A feed pull of `records` changed services: instance A (a synthetic directory, 2% of
    it confidential and not served to the feed's officer key) under uvicorn on 127.0.0.1,
    pulled into an empty second database's review queue by a measured child process."""
    from app.auth.service import create_key
    from app.db import make_engine, unit_of_work
    from app.interop import feeds
    from bench.local_server import local_server

    source = f"sqlite:///{tmp / 'feed_source.db'}"
    build(source, offices=records * 50 // 49 + 1, phone_offset=0)
    engine = make_engine(source)
    with unit_of_work(engine) as session:
        key = create_key(session, name="feed bench", role="officer").secret
    engine.dispose()
    target = f"sqlite:///{tmp / 'feed_target.db'}"
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = target
    command.upgrade(cfg, "heads")
    engine = make_engine(target)
    env = {
        "DATABASE_URL": source,
        "HOMEWARD_VAR_DIR": str(tmp / "feed_source_var"),
        "HOMEWARD_SECRET_KEY": "bench-only-" + "x" * 40,
    }
    with local_server(env, output=subprocess.DEVNULL) as (base, server):  # type: ignore[arg-type]
        with unit_of_work(engine) as session:
            feeds.add_feed(session, name="A", url=f"{base}/hsds", api_key=key, created_by="bench")
        engine.dispose()
        before = psutil.Process(server.pid).cpu_times()
        result: dict[str, Any] = dict(measure("feed-pull", target, "A"))
        after = psutil.Process(server.pid).cpu_times()
        result["server_cpu_seconds"] = after.user + after.system - before.user - before.system
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=100_000)
    parser.add_argument("--import-records", type=int, default=10_000)
    parser.add_argument(
        "--flagged-share", type=float, default=0.1, help="share of imported records with findings"
    )
    parser.add_argument("--database-url", default=None, help="an EMPTY database to fill")
    parser.add_argument("--feed-records", type=int, default=10_000)
    parser.add_argument("--feed-only", action="store_true", help="only the feed pull")
    parser.add_argument("--child", nargs=3, metavar=("TASK", "URL", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.feed_only:
        print_feed_pull(args.feed_records)
        return

    tmp = Path(tempfile.mkdtemp(prefix="homeward-bench-hsds-"))
    url = args.database_url or f"sqlite:///{tmp / 'directory.db'}"
    os.environ["DATABASE_URL"] = url
    started = time.perf_counter()
    build(url, offices=args.offices, phone_offset=0)
    print(f"built {args.offices:,} offices in {time.perf_counter() - started:.1f} s ({url})")

    tabular = measure("export-hsds", url, str(tmp / "package"))
    size = sum(p.stat().st_size for p in (tmp / "package").glob("*")) / 1024 / 1024
    print(
        f"HSDS tabular export: {tabular['services']:,} services in {tabular['seconds']:.1f} s "
        f"({tabular['cpu_seconds']:.1f} s CPU), peak RSS {tabular['peak_mb']:.0f} MB polled / "
        f"{tabular['maxrss_mb']:.0f} MB getrusage, {size:.0f} MB written "
        f"(targets < 30 s, < 300 MB)"
    )
    nested = measure("export-hsds-json", url, str(tmp / "directory.json"))
    print(
        f"HSDS JSON export:    {nested['services']:,} services in {nested['seconds']:.1f} s "
        f"({nested['cpu_seconds']:.1f} s CPU), peak RSS {nested['peak_mb']:.0f} MB"
    )

    ok = tabular["seconds"] < 30 and tabular["peak_mb"] < 300
    if args.import_records:
        ok = (
            bench_import(
                url,
                tmp,
                offices=args.offices,
                records=args.import_records,
                share=args.flagged_share,
            )
            and ok
        )
    if args.feed_records:
        ok = print_feed_pull(args.feed_records) and ok
    print("targets met" if ok else "TARGETS MISSED")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def print_feed_pull(records: int) -> bool:
    """Run `bench_feed_pull` and print its figures; whether its targets were met."""
    tmp = Path(tempfile.mkdtemp(prefix="homeward-bench-feed-"))
    result = bench_feed_pull(records, tmp)
    if result.get("error"):
        raise SystemExit(f"feed pull failed: {result['error']}")
    print(
        f"feed pull:           {result['services']:,} changed services from a second local "
        f"instance in {result['seconds']:.1f} s ({result['cpu_seconds']:.1f} s CPU pulling, "
        f"{result['server_cpu_seconds']:.1f} s CPU serving), "
        f"{result['queued']:,} queued, {result['refused']:,} refused; peak RSS "
        f"{result['peak_mb']:.0f} MB polled / {result['maxrss_mb']:.0f} MB getrusage "
        f"(targets < 60 s, < 300 MB)"
    )
    return bool(result["seconds"] < 60 and result["peak_mb"] < 300)


if __name__ == "__main__":
    main()
