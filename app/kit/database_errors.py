"""What a database error means for the client: a fault of the moment (503, retry), a
concurrent edit (409), or neither (a bug: 500).

SQLite reports its result code on the exception (`sqlite_errorcode`), PostgreSQL its
SQLSTATE (`sqlstate`); SQLAlchemy's own pool timeout means every connection is busy.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.kit.errors import HomewardError, ServiceUnavailable, WriteConflict
from app.kit.i18n import N_

# SQLite primary result codes (the low byte of the extended code).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
# A WAL reader whose snapshot is stale cannot start writing: someone else committed first.
SQLITE_BUSY_SNAPSHOT = 517

# PostgreSQL SQLSTATEs: concurrent transactions (retrying the edit may succeed)...
PG_CONFLICTS = frozenset({"40001", "40P01"})
# ...and faults of the moment, by class or exact code.
PG_UNAVAILABLE_CLASSES = ("08", "53", "57P")  # connection, resources (disk full), shutdown
PG_UNAVAILABLE = frozenset({"25006", "55P03", "57014"})  # read-only, lock wait, timeout

RETRY_BUSY = 2  # seconds: locked, pool exhausted, a statement timed out
RETRY_DOWN = 5  # unreachable or restarting
RETRY_STORAGE = 30  # out of space or read-only: needs an operator


def _unavailable(reason: str, retry_after: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        N_(
            "the database is unavailable (%(reason)s); nothing was saved, retry in "
            "%(seconds)s seconds"
        ),
        params={"reason": reason, "seconds": retry_after},
        retry_after=retry_after,
    )


def _sqlite(code: int, statement: str) -> HomewardError | None:
    primary = code & 0xFF
    if code == SQLITE_BUSY_SNAPSHOT or (
        primary == SQLITE_BUSY and not statement.lstrip().upper().startswith("BEGIN")
    ):
        # A transaction that began as a reader and then wrote: SQLite refuses at once when
        # another connection writes (waiting could deadlock). A concurrent edit.
        return WriteConflict()
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        # BEGIN IMMEDIATE waited the whole busy timeout for the write lock: overloaded.
        return _unavailable(N_("busy"), RETRY_BUSY)
    if primary == SQLITE_FULL:
        return _unavailable(N_("out of space"), RETRY_STORAGE)
    if primary == SQLITE_READONLY:
        return _unavailable(N_("read-only"), RETRY_STORAGE)
    if primary in (SQLITE_IOERR, SQLITE_CANTOPEN):
        return _unavailable(N_("storage error"), RETRY_STORAGE)
    return None


def _postgres(sqlstate: str) -> HomewardError | None:
    if sqlstate in PG_CONFLICTS:
        return WriteConflict()
    if sqlstate.startswith("53"):
        return _unavailable(N_("out of resources"), RETRY_STORAGE)
    if sqlstate == "25006":
        return _unavailable(N_("read-only"), RETRY_STORAGE)
    if sqlstate.startswith(PG_UNAVAILABLE_CLASSES):
        return _unavailable(N_("unreachable or restarting"), RETRY_DOWN)
    if sqlstate in PG_UNAVAILABLE:
        return _unavailable(N_("busy"), RETRY_BUSY)
    return None


def database_error(exc: BaseException) -> HomewardError | None:
    """The named error a database exception stands for, or None when it is a bug."""
    if isinstance(exc, PoolTimeout):
        return _unavailable(N_("every connection is busy"), RETRY_BUSY)
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _sqlite(code, exc.statement or "")
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        named = _postgres(sqlstate)
        if named is not None:
            return named
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        # No code (a refused or dropped connection): the server is not there right now.
        return _unavailable(N_("unreachable or restarting"), RETRY_DOWN)
    return None
