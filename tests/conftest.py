"""Test harness: a real database built by `alembic upgrade heads`, one rolled-back
transaction per test, and the real ASGI app.

TEST_DATABASE_URL picks the database (`make test` runs the suite on SQLite, then on a fresh
PostgreSQL database on 127.0.0.1). Without it, a temporary SQLite file is used.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import get_session, make_engine
from app.kit import clock
from app.kit.models import Base

# The CLIs' Rich consoles take their width when their module is imported, which under xdist
# can happen outside the CLI runner's environment: tables print unwrapped at 200 columns
# whatever the terminal.
os.environ["COLUMNS"] = "200"

_TMP = Path(tempfile.mkdtemp(prefix="homeward-tests-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# Under pytest-xdist every worker has a database of its own: a SQLite file in its own temporary
# folder (above), or on PostgreSQL a database named after TEST_DATABASE_URL's and the worker,
# created when the session starts and dropped when it ends.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if IS_POSTGRES and _XDIST_WORKER:
    _base = make_url(TEST_DATABASE_URL)
    TEST_DATABASE_URL = _base.set(database=f"{_base.database}_{_XDIST_WORKER}").render_as_string(
        hide_password=False
    )
# For tests that work on SQLite files of their own whatever the database under test (backups
# of a SQLite file, SQLite's own faults): the SQLite run covers them, the PostgreSQL run would
# only repeat them.
own_sqlite_files = pytest.mark.skipif(
    IS_POSTGRES, reason="works on SQLite files of its own: the SQLite run covers it"
)


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    return cfg


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "heads")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """The URL of an empty database of the kind under test, gone afterwards: a temporary
    SQLite file, or a PostgreSQL database created next to TEST_DATABASE_URL's and dropped."""
    if not IS_POSTGRES:
        folder = Path(tempfile.mkdtemp(prefix=f"homeward-{prefix}-"))
        yield f"sqlite:///{folder / f'{prefix}.db'}"
        return
    name = f"hw_{prefix}_{secrets.token_hex(4)}"
    admin_url = make_url(TEST_DATABASE_URL).set(database="postgres")
    admin = make_engine(
        admin_url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _worker_database() -> Iterator[None]:
    """This xdist worker's own PostgreSQL database, for the session (nothing otherwise)."""
    if not (IS_POSTGRES and _XDIST_WORKER):
        yield
        return
    name = make_url(TEST_DATABASE_URL).database
    admin = make_engine(
        make_url(TEST_DATABASE_URL).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _own_database() -> Iterator[None]:
    with _worker_database():
        yield


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    migrate(TEST_DATABASE_URL)
    eng = make_engine(TEST_DATABASE_URL)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may commit: with create_savepoint, commit() releases a SAVEPOINT only.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits (concurrency, separate processes): every table is
    emptied afterwards."""
    yield engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))


@pytest.fixture
def homeward(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """The real Typer app, in process, over the committed test database."""
    from typer.testing import CliRunner

    from app import db
    from app.cli import app as homeward_app

    monkeypatch.setattr(db, "get_engine", lambda: committed_engine)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(homeward_app, list(args), env={"COLUMNS": "200"})

    return run


@pytest.fixture
def settings() -> Settings:
    return get_settings()


@pytest.fixture
def client(db_session: Session) -> Iterator[TestClient]:
    """The real ASGI app, its request sessions bound to the test transaction."""
    from app.main import create_app

    app = create_app()

    def _session() -> Iterator[Session]:
        try:
            yield db_session
            db_session.commit()
        except BaseException:
            db_session.rollback()
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        from datetime import timedelta

        self.now = self.now + timedelta(**kwargs)
        return self.now


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Time travel: set `frozen_clock.now` or call `.advance(days=…)`."""
    fake = FrozenClock(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    clock.set_clock(fake)
    yield fake
    clock.reset_clock()
