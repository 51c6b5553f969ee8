"""Backups of a SQLite database: a consistent copy while the server runs, and an atomic,
verified restore that refuses a database in use. PostgreSQL has pg_dump/pg_restore.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT

POSTGRES_HELP = (
    "the database is PostgreSQL: back it up with its own tools, which copy a live database "
    "consistently: `pg_dump -h HOST -U USER -Fc -f homeward.dump DBNAME`, and restore with "
    "`pg_restore -h HOST -U USER -d DBNAME homeward.dump` (see README, Backups)"
)

# SQLite's POSIX locks (os_unix.c): every connection holds a shared lock in this range of the
# database file while it is open (in WAL mode, for as long as it stays open), and a read
# lock on the WAL index's "dead man switch" in the -shm file.
_SQLITE_LOCK_START = 0x40000000
_SQLITE_LOCK_LENGTH = 512
_SHM_LOCK_START = 120
_SHM_LOCK_LENGTH = 9
_FLOCK = "hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid


class BackupError(Exception):
    """A backup or restore that cannot be done; `exit_code` for the command line."""

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Copy:
    """A verified copy: where, its Alembic revision(s) and its size."""

    path: Path
    revisions: tuple[str, ...]
    size: int


def sqlite_file(database_url: str) -> Path:
    """The file of a SQLite database URL; BackupError (exit 2) for PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRES_HELP, exit_code=2)
    database = (url.database or "").removeprefix("file:")
    if not database or database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up", exit_code=2)
    return Path(database.split("?", 1)[0])


def _locked_by_another_process(path: Path, start: int, length: int) -> bool:
    with path.open("rb") as handle:
        probe = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, start, length, 0)
        answer = fcntl.fcntl(handle, fcntl.F_GETLK, probe)
    return bool(struct.unpack(_FLOCK, answer)[0] != fcntl.F_UNLCK)


def in_use(database: Path) -> bool:
    """Whether another process has the database open (a server, the scheduler, a shell)."""
    if database.exists() and _locked_by_another_process(
        database, _SQLITE_LOCK_START, _SQLITE_LOCK_LENGTH
    ):
        return True
    shm = database.with_name(database.name + "-shm")
    return shm.exists() and _locked_by_another_process(shm, _SHM_LOCK_START, _SHM_LOCK_LENGTH)


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    return {rev.revision for rev in script.walk_revisions()}


def verify(path: Path) -> tuple[str, ...]:
    """Check a copy: SQLite's integrity check passes and its Alembic revisions are ones this
    code knows. Returns the revisions; BackupError otherwise."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path}: integrity check failed: {'; '.join(problems[:5])}")
            revisions = tuple(
                sorted(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a Homeward SQLite database ({exc})") from exc
    if not revisions:
        raise BackupError(f"{path}: no Alembic revision recorded")
    unknown = set(revisions) - _known_revisions()
    if unknown:
        raise BackupError(
            f"{path}: revision {', '.join(sorted(unknown))} is unknown to this version of "
            "Homeward (a backup from a newer one?)"
        )
    return revisions


def _copy_into(source: Path, target_dir: Path, prefix: str) -> Path:
    """SQLite's online backup of `source` into a new temporary file in `target_dir`.

    One step (`pages=-1`): the copy is one read transaction's snapshot, taken while writers
    go on (WAL readers never block them). The temporary file is removed on failure.
    """
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target_dir)
    os.close(handle)
    temporary = Path(name)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(temporary)
        try:
            src.backup(dst)
            # A single file that needs no -wal next to it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def backup(database: Path, target: Path) -> Copy:
    """Write a consistent, verified copy of a live SQLite database to `target` (replaced
    atomically when it exists)."""
    if not database.exists():
        raise BackupError(f"{database}: no such database")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _copy_into(database, target.parent, f".{target.name}.")
    try:
        revisions = verify(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Copy(path=target, revisions=revisions, size=target.stat().st_size)


def restore(source: Path, database: Path) -> Copy:
    """Replace `database` with the backup `source`, atomically, once verified.

    Refuses while another process has the database open. The copy is written to a
    temporary file next to the database, checked (integrity, Alembic revision), then renamed
    over it; the previous database is kept beside it as `<name>.before-restore-<time>`.
    """
    if not source.exists():
        raise BackupError(f"{source}: no such backup file")
    if in_use(database):
        raise BackupError(
            f"{database} is in use by another process (the server, the scheduler?): stop "
            "them, then restore"
        )
    database = database.resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    verify(source)
    temporary = _copy_into(source, database.parent, f".{database.name}.restore.")
    try:
        revisions = verify(temporary)
        if database.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            os.link(database, database.with_name(f"{database.name}.before-restore-{stamp}"))
        # The old database's WAL and index must not be read against the new file.
        for suffix in ("-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        os.replace(temporary, database)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return Copy(path=database, revisions=revisions, size=database.stat().st_size)
