"""Units of work under concurrency: a transaction that reads and then writes never fails
because another one committed in between (SQLite answers that at once with "database is
locked" unless the writer took its lock at BEGIN)."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (registers every table)
from app.auth.models import ApiKey
from app.auth.service import create_key
from app.db import make_engine, savepoint, unit_of_work
from app.kit.errors import InvalidValue
from app.kit.models import Base
from tests.conftest import migrate, throwaway_database


def test_a_reader_that_turns_writer_waits_its_turn_instead_of_failing(
    committed_engine: Engine,
) -> None:
    first_has_read = threading.Event()
    second_committed = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with unit_of_work(committed_engine) as session:
                session.execute(select(func.count()).select_from(ApiKey)).scalar_one()
                first_has_read.set()
                # PostgreSQL: the second commits meanwhile. SQLite: the second waits for
                # this transaction's write lock, so this wait times out first.
                second_committed.wait(timeout=1.0)
                create_key(session, name="first", role="officer")
        except BaseException as exc:
            errors.append(exc)

    def second() -> None:
        try:
            first_has_read.wait(timeout=10)
            with unit_of_work(committed_engine) as session:
                create_key(session, name="second", role="officer")
            second_committed.set()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with unit_of_work(committed_engine, writes=False) as session:
        names = set(session.execute(select(ApiKey.name)).scalars())
    assert {"first", "second"} <= names


def test_read_only_units_of_work_do_not_hold_the_write_lock(committed_engine: Engine) -> None:
    # A long read (an export) must not keep writers waiting: on SQLite it begins deferred.
    with unit_of_work(committed_engine, writes=False) as reader:
        reader.execute(select(func.count()).select_from(ApiKey)).scalar_one()
        with unit_of_work(committed_engine) as writer:
            create_key(writer, name="while reading", role="officer")
    with unit_of_work(committed_engine, writes=False) as session:
        assert (
            session.execute(
                select(func.count()).select_from(ApiKey).where(ApiKey.name == "while reading")
            ).scalar_one()
            == 1
        )


def _key_names(session: Session) -> set[str]:
    return set(session.execute(select(ApiKey.name)).scalars())


def test_a_savepoint_undoes_only_its_own_writes_when_its_block_raises(
    db_session: Session,
) -> None:
    create_key(db_session, name="kept", role="officer")
    with pytest.raises(InvalidValue), savepoint(db_session):
        create_key(db_session, name="undone", role="officer")
        create_key(db_session, name="refused", role="no such role")
    create_key(db_session, name="after", role="officer")
    assert {"kept", "after"} <= _key_names(db_session)
    assert not {"undone", "refused"} & _key_names(db_session)


def test_a_savepoint_that_is_not_kept_undoes_its_writes_anyway(db_session: Session) -> None:
    with savepoint(db_session, keep=False):
        create_key(db_session, name="dry run", role="officer")
        assert "dry run" in _key_names(db_session)
    assert "dry run" not in _key_names(db_session)


def test_the_migrations_build_exactly_the_schema_the_models_declare() -> None:
    with throwaway_database("schema") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                differences = compare_metadata(context, Base.metadata)
        finally:
            engine.dispose()
    assert differences == []
