"""A partner withdraws its own pending submission: it leaves the queue, nothing changes."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import make_engine
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import decisions, partner_view, queue
from app.review.errors import SubmissionAlreadyDecided, SubmissionNotFound
from app.review.models import Submission, SubmissionStatus
from tests.conftest import alembic_config, throwaway_database
from tests.factories import make_office
from tests.review.support import DIRECTORY_TABLES, dump, partner, principal, submit


def _pending(session: Session, office_id: int | None, ngo: Principal) -> Submission:
    return submit(
        session, ngo, {"kind": "correction", "office_id": office_id, "office": {"city": "Ikeja"}}
    )


def test_withdrawing_a_pending_submission_takes_it_out_of_the_queue(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    sub = _pending(db_session, office.id, ngo)
    directory_before = dump(db_session, DIRECTORY_TABLES)

    withdrawn = decisions.withdraw(db_session, submission_id=sub.id, partner=ngo)

    assert withdrawn.status == SubmissionStatus.WITHDRAWN
    assert withdrawn.decided_at is not None
    assert withdrawn.decided_by == ngo.label
    assert dump(db_session, DIRECTORY_TABLES) == directory_before
    pending = queue.list_queue(db_session, filters=queue.QueueFilters(), page=Page(1, 50))
    assert sub.id not in [item.id for item in pending.items]
    assert queue.pending_count(db_session) == 0
    mine = partner_view.own_submissions(db_session, partner=ngo)
    assert [(i.id, i.status) for i in mine.items] == [(sub.id, SubmissionStatus.WITHDRAWN)]


def test_a_decided_or_withdrawn_submission_cannot_be_withdrawn(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    reviewer = principal(db_session, "reviewer")
    rejected = _pending(db_session, office.id, ngo)
    decisions.reject(db_session, submission_id=rejected.id, reviewer=reviewer, reason="no")
    with pytest.raises(SubmissionAlreadyDecided) as exc:
        decisions.withdraw(db_session, submission_id=rejected.id, partner=ngo)
    assert exc.value.status_code == 409

    twice = _pending(db_session, office.id, ngo)
    decisions.withdraw(db_session, submission_id=twice.id, partner=ngo)
    with pytest.raises(SubmissionAlreadyDecided):
        decisions.withdraw(db_session, submission_id=twice.id, partner=ngo)
    with pytest.raises(SubmissionAlreadyDecided):
        decisions.reject(db_session, submission_id=twice.id, reviewer=reviewer, reason="late")


def test_nobody_withdraws_another_organisations_submission(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    _, other = partner(db_session, name="Other Network")
    sub = _pending(db_session, office.id, ngo)
    with pytest.raises(SubmissionNotFound):
        decisions.withdraw(db_session, submission_id=sub.id, partner=other)
    assert queue.get_submission(db_session, sub.id).status == SubmissionStatus.PENDING


BEFORE_WITHDRAWN = "20261203_0910_findings"


def test_the_migration_allows_withdrawn_and_its_downgrade_reads_it_as_rejected() -> None:
    insert = text(
        "INSERT INTO submission (kind, status, country, title, changes, base, base_versions,"
        " base_revision_id, source, duplicate_matches, submitter_name, created_at, origin)"
        " VALUES ('correction', :status, 'NG', 't', '{}', '{}', '{}', 0, 'web', '[]',"
        " 'p', CURRENT_TIMESTAMP, 'ngo_partner')"
    )
    with throwaway_database("withdrawn") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, BEFORE_WITHDRAWN)
        engine = make_engine(url)
        try:
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(insert, {"status": "withdrawn"})
            command.upgrade(cfg, "heads")
            with engine.begin() as conn:
                conn.execute(insert, {"status": "withdrawn"})
            command.downgrade(cfg, BEFORE_WITHDRAWN)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT status, decision_reason FROM submission"))
                assert [tuple(r) for r in rows] == [("rejected", "Withdrawn by the partner.")]
            command.upgrade(cfg, "heads")
        finally:
            engine.dispose()
