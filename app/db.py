"""Engine and the one unit-of-work helper used by requests, jobs and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Engine, Index, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.config import get_settings


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT for `table` in the session's dialect, so it can say ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def sql_in(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b')` with the values written into the SQL: the predicate of a partial
    index or a CHECK, which a bound list could never match."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def partial_index(name: str, *columns: Any, where: str, unique: bool = False) -> Index:
    """An index over only the rows `where` holds for, on SQLite and PostgreSQL alike."""
    return Index(
        name, *columns, unique=unique, sqlite_where=text(where), postgresql_where=text(where)
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets real transactions, foreign keys and WAL."""
    # JSON columns (phone languages, submission payloads) are read on hot paths:
    # pydantic-core's parser is several times faster than the standard library's.
    kwargs.setdefault("json_deserializer", from_json)
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    database = sa_url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    busy_seconds = get_settings().sqlite_busy_timeout_seconds
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_seconds}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so that
        # SAVEPOINTs and atomic multi-statement writes behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get(_SQLITE_WRITES) else "BEGIN"
        )

    return engine


# SQLite in WAL mode: a transaction that began as a reader cannot turn into a writer once
# another connection has committed since its first read. SQLite then answers "database is
# locked" at once, without waiting (waiting could not help). Transactions that may write
# therefore begin IMMEDIATE: they take the write lock first and wait their turn (busy
# timeout), while readers still never wait. PostgreSQL has no such step.
_SQLITE_WRITES = "homeward_sqlite_writes"


@lru_cache(maxsize=32)
def for_writes(engine: Engine) -> Engine:
    """The engine whose transactions may write: on SQLite they begin IMMEDIATE."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_SQLITE_WRITES: True})


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    database = make_url(settings.database_url).database
    if settings.is_sqlite and database and database != ":memory:":
        # LIFO: the connection used last, whose page cache is warm, serves the next request.
        return make_engine(
            settings.database_url,
            pool_size=settings.sqlite_pool_size,
            max_overflow=0,
            pool_use_lifo=True,
        )
    return make_engine(settings.database_url)


def new_session(engine: Engine | None = None, *, writes: bool = True) -> Session:
    """A session; `writes=False` for one that only reads (on SQLite it never waits)."""
    bind = engine or get_engine()
    return Session(for_writes(bind) if writes else bind, expire_on_commit=False)


def _finish(session: Session, *, commit: bool) -> None:
    """The end of every unit of work: commit or roll back, then close."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@contextmanager
def unit_of_work(engine: Engine | None = None, *, writes: bool = True) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    session = new_session(engine, writes=writes)
    try:
        yield session
    except BaseException:
        _finish(session, commit=False)
        raise
    _finish(session, commit=True)


@contextmanager
def savepoint(session: Session, *, keep: bool = True) -> Iterator[None]:
    """The block in a SAVEPOINT of the current unit of work.

    When the block raises, its writes alone are undone and the transaction goes on: a page
    catches the named error and shows the form again with the reason. With `keep=False` the
    writes are undone in any case (a dry run that reports what it would do).
    """
    nested = session.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        # As after a whole rollback, what the page reads next comes from the database: an
        # ORM UPDATE inside the block may have changed loaded objects the rollback keeps.
        session.expire_all()
        raise
    if keep:
        nested.commit()
    else:
        nested.rollback()


# Requests with these methods only read, and their transactions begin as readers.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one unit of work per request.

    `async`, so that opening the session costs no threadpool hop (a Session connects only when
    first used, in the route's thread). Finishing it goes to the threadpool only when a
    transaction is still open; a read route that ended its own (`end_read`) finishes here.
    Requests that may write (POST, PATCH, ...) begin as writers (see `for_writes`).
    """
    session = new_session(writes=request.method not in READ_ONLY_METHODS)
    try:
        yield session
    except BaseException:
        await _finish_request(session, commit=False)
        raise
    await _finish_request(session, commit=True)


async def _finish_request(session: Session, *, commit: bool) -> None:
    """`_finish` in the threadpool when a transaction is open (database I/O), else inline."""
    if session.in_transaction():
        await run_in_threadpool(_finish, session, commit=commit)
    else:
        session.close()


def end_read(session: Session) -> None:
    """End a read-only request's transaction in the route's own thread.

    The hot read routes call this last, so the request's unit of work has nothing left to do
    and no second threadpool hop is spent returning the connection to the pool.
    """
    session.commit()
