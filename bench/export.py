"""Export benchmark: `homeward export` keeps memory flat as the directory grows.

Builds the synthetic, clearly fictional directory of bench/synthetic.py (SQLAlchemy core bulk
inserts: offices spread over every country and its ISO regions, names ending in "(synthetic)",
variations of libphonenumber's example numbers), then runs the real command
(`python -m app.cli export --format csv|json`) as a subprocess at 10,000 and at 100,000
offices, sampling its RSS every 20 ms. Prints offices per second and peak RSS for each size
and format, and the growth from the small to the full size (target: within 20%), on SQLite
and PostgreSQL.

Usage: .venv/bin/python -m bench.export [--offices 100000] [--small 10000] [--db both]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from app.config import PROJECT_ROOT
from bench.databases import bench_arguments, bench_database, db_kinds, migrated_engine
from bench.synthetic import Directory, example_numbers, populate

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
    numbers = example_numbers(rng)
    peaks: dict[tuple[str, int], float] = {}
    with bench_database(kind) as (url, _dsn), tempfile.TemporaryDirectory() as tmp:
        engine = migrated_engine(url)
        directory = Directory()
        try:
            for size in (small, offices):
                populate(engine, directory, size - directory.offices, rng, numbers)
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
    parser = bench_arguments(__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()
    if args.small >= args.offices:
        parser.error("--small must be below --offices")
    misses: list[str] = []
    for kind in db_kinds(args.db):
        misses += run(kind, args.offices, args.small, args.seed)
    if misses:
        print("MISSED: " + "; ".join(misses))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
