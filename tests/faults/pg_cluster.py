"""A PostgreSQL cluster of a test's own (Debian's initdb/pg_ctl, as the postgres OS user, on
a spare port), so a test can stop and restart it under load."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db import make_engine
from bench.local_server import free_port


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


INITDB_OPTIONS = ("-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")


def _as_postgres(program: Path) -> list[str]:
    return ["runuser", "-u", "postgres", "--", str(program)]


@dataclass(frozen=True)
class Cluster:
    bin_dir: Path
    data: Path
    log: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*_as_postgres(self.bin_dir / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data.parent / 'socket'} "
            "-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl("-o", options, "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        admin = make_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """initdb, start; stop and remove afterwards. Skips where it cannot run (not root, no
    PostgreSQL binaries)."""
    bin_dir = _bin_dir()
    if bin_dir is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root, runuser and Debian's PostgreSQL binaries")
    root = Path(tempfile.mkdtemp(prefix="homeward-pg-"))
    root.chmod(0o755)
    data, socket_dir = root / "data", root / "socket"
    for folder in (data, socket_dir):
        folder.mkdir()
        shutil.chown(folder, "postgres", "postgres")
    log = root / "postgres.log"
    log.touch()
    shutil.chown(log, "postgres", "postgres")
    subprocess.run(
        [*_as_postgres(bin_dir / "initdb"), "-D", str(data), *INITDB_OPTIONS],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster = Cluster(bin_dir=bin_dir, data=data, log=log, port=free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
