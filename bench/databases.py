"""Throwaway databases for the benchmarks: a fresh SQLite file or PostgreSQL database."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from app.config import PROJECT_ROOT
from app.db import make_engine

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


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


def bench_arguments(
    doc: str | None,
    *,
    offices: int = 100_000,
    offices_help: str | None = None,
    db: str = "both",
    seed: int = 11,
) -> argparse.ArgumentParser:
    """A benchmark's command line: its description (the module docstring's first paragraph),
    `--offices`, `--db` and `--seed`; the benchmark adds its own options."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=offices, help=offices_help)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default=db)
    parser.add_argument("--seed", type=int, default=seed)
    return parser


def report_targets(misses: list[str]) -> None:
    """Print whether every target was met, or which were missed."""
    print("all targets met" if not misses else "targets missed: " + "; ".join(misses))
