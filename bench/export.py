"""Export benchmark: `homeward export` keeps memory flat as the directory grows.

Builds a synthetic, clearly fictional directory with core bulk inserts (offices spread over
every country and its ISO regions, names ending in "(synthetic)", libphonenumber's example
numbers), then runs the real command (`python -m app.cli export --format csv|json`) as a
subprocess at 10,000 and at 100,000 offices, sampling its RSS every 20 ms. Prints offices per
second and peak RSS for each size and format, and the growth from the small to the full size
(target: within 20%), on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/export.py [--offices 100000] [--small 10000] [--db both]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import phonenumbers
import psutil
import psycopg
import pycountry
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from app.db import make_engine
from app.directory.models import (
    Office,
    OfficeLanguage,
    Organization,
    OrganizationService,
    Phone,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 5000
CATEGORIES = ("law_enforcement", "ngo", "lawyer", "social_welfare")
LANGUAGES = ("en", "fr", "es", "pt", "ru", "ar", "sq", "ro", "uk", "vi", "th", "ha")


@dataclass
class Directory:
    offices: int = 0
    next_org: int = 1
    next_phone: int = 1


def _slots() -> list[tuple[str, str | None, str]]:
    """(country, region or None, an example number) for every country with an example."""
    slots: list[tuple[str, str | None, str]] = []
    for country in pycountry.countries:
        cc = country.alpha_2
        example = phonenumbers.example_number_for_type(cc, phonenumbers.PhoneNumberType.FIXED_LINE)
        if example is None or not phonenumbers.is_valid_number_for_region(example, cc):
            continue
        number = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        slots.append((cc, None, number))
        for sub in pycountry.subdivisions.get(country_code=cc) or []:
            slots.append((cc, sub.code, number))
    return slots


def populate(engine: Engine, directory: Directory, count: int, rng: random.Random) -> None:
    """Add `count` offices (about four per organisation) with core bulk inserts."""
    slots = _slots()
    now = datetime.now(UTC)
    while count > 0:
        size = min(BATCH, count)
        rows: dict[Any, list[dict[str, Any]]] = {
            Organization: [],
            OrganizationService: [],
            Office: [],
            OfficeLanguage: [],
            Phone: [],
        }
        for _ in range(size):
            directory.offices += 1
            office_id = directory.offices
            if office_id % 4 == 1:
                org_id = directory.next_org
                directory.next_org += 1
                category = CATEGORIES[org_id % 4]
                rows[Organization].append(
                    {
                        "id": org_id,
                        "name": f"Example {category} {org_id} (synthetic)",
                        "category": category,
                        "confidential": rng.random() < 0.05,
                        "is_demo": True,
                        "status": "active",
                        "search_text": "",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                rows[OrganizationService].append({"organization_id": org_id, "tag": "legal_aid"})
            cc, region, number = slots[rng.randrange(len(slots))]
            rows[Office].append(
                {
                    "id": office_id,
                    "organization_id": directory.next_org - 1,
                    "name": f"Office {office_id} (synthetic)",
                    "country": cc,
                    "region": region,
                    "city": "Example City",
                    "address": f"{office_id} Example Street",
                    "opening_hours": "Mon-Fri 09:00-17:00",
                    "meets_on_arrival": False,
                    "status": "active",
                    "search_text": "",
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "last_verified_at": now if rng.random() < 0.7 else None,
                    "verification_method": "phone_call",
                    "verified_by": "bench",
                }
            )
            rows[OfficeLanguage].append({"office_id": office_id, "language": rng.choice(LANGUAGES)})
            for position in range(rng.randint(1, 2)):
                rows[Phone].append(
                    {
                        "id": directory.next_phone,
                        "office_id": office_id,
                        "number": number,
                        "kind": "voice",
                        "is_24_7": False,
                        "languages": [],
                        "status": "active",
                        "position": position,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                directory.next_phone += 1
        with engine.begin() as conn:
            for model, values in rows.items():
                if values:
                    conn.execute(insert(model.__table__), values)
        count -= size


@contextmanager
def bench_database(kind: str) -> Iterator[str]:
    """The URL of a fresh database, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="homeward-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"homeward_export_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


FORMATS = ("csv", "json")


def run_export(url: str, fmt: str, out: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, lines written) of one export run."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "export",
            "--format",
            fmt,
            "--out",
            str(out),
            "--include-confidential",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"export failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    with out.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return elapsed, peak / 2**20, lines


def run(kind: str, offices: int, small: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    peaks: dict[tuple[str, int], float] = {}
    with bench_database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
        cfg.attributes["url"] = url
        command.upgrade(cfg, "heads")
        engine = make_engine(url)
        directory = Directory()
        try:
            for size in (small, offices):
                populate(engine, directory, size - directory.offices, rng)
                for fmt in FORMATS:
                    seconds, peak, lines = run_export(url, fmt, Path(tmp) / f"out.{fmt}")
                    peaks[(fmt, size)] = peak
                    print(
                        f"{kind}: {fmt:<4} {directory.offices:>7} offices: {seconds:6.1f} s, "
                        f"{directory.offices / seconds:8.0f} offices/s, peak RSS {peak:6.1f} MB "
                        f"({lines} lines)"
                    )
        finally:
            engine.dispose()
    misses = []
    for fmt in FORMATS:
        growth = (peaks[(fmt, offices)] - peaks[(fmt, small)]) / peaks[(fmt, small)]
        print(
            f"{kind}: {fmt} peak RSS {peaks[(fmt, small)]:.1f} -> {peaks[(fmt, offices)]:.1f} MB "
            f"from {small} to {offices} offices ({growth:+.0%}, target within 20%)"
        )
        if abs(growth) > 0.2:
            misses.append(f"{kind} {fmt}: RSS grew {growth:+.0%}")
    return misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.small >= args.offices:
        parser.error("--small must be below --offices")
    misses: list[str] = []
    for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        misses += run(kind, args.offices, args.small, args.seed)
    if misses:
        print("MISSED: " + "; ".join(misses))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
