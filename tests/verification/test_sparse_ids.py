"""The task sweep walks office ids in windows: gaps in the ids cost nothing.

Ids are sparse wherever offices were deleted, and on PostgreSQL wherever transactions that
took sequence values rolled back. Walking every empty window between them once took the
sweep thousands of queries for a handful of offices.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.kit.clock import utcnow
from app.verification.models import VerificationTask
from app.verification.tasks import open_due_tasks_batch
from tests.factories import make_office


def test_the_sweep_jumps_over_empty_id_windows(db_session: Session, settings: Settings) -> None:
    overdue = utcnow() - timedelta(days=400)
    first = make_office(db_session, verified_at=overdue)
    second = make_office(db_session, verified_at=overdue)
    until = second.id + 1_000_000  # as if a million ids were spent after the last office
    after: int | None = 0
    steps, opened = 0, 0
    while after is not None:
        after, n = open_due_tasks_batch(
            db_session, now=utcnow(), settings=settings, after_id=after, limit=1, until_id=until
        )
        steps, opened = steps + 1, opened + n
        assert steps <= 6, "the sweep walked empty windows one by one"
    assert opened == 2
    tasks = db_session.execute(select(VerificationTask.office_id)).scalars().all()
    assert {first.id, second.id} <= set(tasks)
