"""Atomic approval with real commits: a failure halfway changes nothing, and two reviewers
deciding at once on PostgreSQL leave exactly one winner."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db import unit_of_work
from app.directory import lookup
from app.directory import service as directory
from app.directory.models import Organization, Revision
from app.review import decisions, queue
from app.review.errors import SubmissionAlreadyDecided
from tests.conftest import IS_POSTGRES
from tests.factories import make_office
from tests.review.support import dump, partner, principal, submit


def _setup(engine: Engine) -> dict[str, Any]:
    with unit_of_work(engine) as session:
        office = make_office(session)
        _, ngo = partner(session)
        first = principal(session, "reviewer", name="Reviewer One")
        second = principal(session, "admin", name="Reviewer Two")
        sub = submit(
            session,
            ngo,
            {
                "kind": "correction",
                "office_id": office.id,
                "office": {"city": "Ikeja"},
                "organization": {"website": "https://example.org/"},
            },
        )
        return {"office_id": office.id, "sub_id": sub.id, "reviewers": (first, second)}


def test_failure_halfway_through_approval_changes_nothing(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _setup(committed_engine)
    with Session(committed_engine) as session:
        before = dump(session)

    apply_fields = directory._apply_fields

    def boom(session: Session, record: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(record, Organization):
            raise RuntimeError("disk full")
        return apply_fields(session, record, *args, **kwargs)

    # The office's city is written (flushed, with its revision) before the organisation
    # update fails.
    monkeypatch.setattr(directory, "_apply_fields", boom)
    with pytest.raises(RuntimeError), unit_of_work(committed_engine) as session:
        decisions.approve(session, submission_id=ctx["sub_id"], reviewer=ctx["reviewers"][0])
        pytest.fail("approve should have raised")

    with Session(committed_engine) as session:
        after = dump(session)
        assert after == before
        assert queue.get_submission(session, ctx["sub_id"]).status == "pending"
        assert lookup.get_office(session, ctx["office_id"]).city == "Lagos"

    monkeypatch.undo()
    with unit_of_work(committed_engine) as session:
        decisions.approve(session, submission_id=ctx["sub_id"], reviewer=ctx["reviewers"][0])
    with Session(committed_engine) as session:
        assert lookup.get_office(session, ctx["office_id"]).city == "Ikeja"


@pytest.mark.postgres_only
@pytest.mark.skipif(
    not IS_POSTGRES, reason="SQLite serialises writers; real concurrency needs PostgreSQL"
)
def test_two_reviewers_approving_at_once_exactly_one_wins(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _setup(committed_engine)
    # Both reviewers have read the pending submission before either claims it.
    both_read = threading.Barrier(2, timeout=20)
    real_claim = decisions._claim

    def claim_after_both_read(*args: Any, **kwargs: Any) -> None:
        both_read.wait()
        real_claim(*args, **kwargs)

    monkeypatch.setattr(decisions, "_claim", claim_after_both_read)
    outcomes: dict[str, object] = {}

    def decide(reviewer: Any) -> None:
        try:
            with unit_of_work(committed_engine) as session:
                decisions.approve(session, submission_id=ctx["sub_id"], reviewer=reviewer)
            outcomes[reviewer.name] = "approved"
        except Exception as exc:
            outcomes[reviewer.name] = exc

    threads = [threading.Thread(target=decide, args=(r,)) for r in ctx["reviewers"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 2
    winners = [name for name, o in outcomes.items() if o == "approved"]
    losers = [o for o in outcomes.values() if isinstance(o, SubmissionAlreadyDecided)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].status_code == 409

    with Session(committed_engine) as session:
        sub = queue.get_submission(session, ctx["sub_id"])
        assert sub.status == "approved"
        assert sub.decided_by.startswith(winners[0])
        assert sub.version == 2
        # The change was applied once: one city revision, one website revision.
        count = session.execute(
            select(func.count())
            .select_from(Revision)
            .where(Revision.submission_id == ctx["sub_id"], Revision.field.in_(["city", "website"]))
        ).scalar_one()
        assert count == 2
