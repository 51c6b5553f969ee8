"""Two people confirming one office at the same moment: both confirmations count.

A verification does not build on a version its author saw (it says "this office was right
just now"), so it waits for a concurrent one and applies on top of it: never a 409.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.verification.models import VerificationEvent
from app.verification.service import record_verification
from tests.conftest import IS_POSTGRES
from tests.factories import TEST_PROVENANCE, make_office


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite's writers take turns at BEGIN already")
def test_a_verification_waits_for_a_concurrent_one_and_both_count(
    committed_engine: Engine,
) -> None:
    with Session(committed_engine, expire_on_commit=False) as session:
        office = make_office(session, verified_at=None)
        session.commit()
        office_id, version = office.id, office.version
    assert office_id is not None

    def verify(session: Session, by: str) -> None:
        record_verification(
            session,
            office_id=office_id,
            method="phone_call",
            verified_by=by,
            provenance=TEST_PROVENANCE,
        )

    second_done: list[BaseException | None] = []

    def second() -> None:
        try:
            with Session(committed_engine, expire_on_commit=False) as session:
                verify(session, "Desk B")
                session.commit()
            second_done.append(None)
        except BaseException as exc:  # asserted below
            second_done.append(exc)

    with Session(committed_engine, expire_on_commit=False) as first:
        verify(first, "Desk A")  # written, not yet committed: the office's row is held
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second is waiting for the row
        assert not second_done
        first.commit()
    thread.join(timeout=30)

    assert second_done == [None], second_done
    with Session(committed_engine) as session:
        events = session.execute(
            select(func.count()).where(VerificationEvent.office_id == office_id)
        ).scalar_one()
        stored = session.get(Office, office_id)
        assert events == 2
        assert stored is not None and stored.verified_by == "Desk B"
        assert stored.version == version + 2
