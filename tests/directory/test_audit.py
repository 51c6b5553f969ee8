"""The audit view's listing: newest first, filterable, paged without a count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.directory import audit
from app.kit.clock import utcnow
from app.kit.paging import Page
from tests.factories import make_office


def test_recent_revisions_are_newest_first_and_filter_by_office_field_and_actor(
    db_session: Session,
) -> None:
    first = make_office(db_session)
    second = make_office(db_session, city="Ikeja")
    assert first.id is not None and second.id is not None

    rows, more = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(), page=Page(size=500)
    )
    assert not more
    ids = [r.id for r in rows]
    assert ids == sorted(ids, reverse=True)

    mine, _ = audit.recent_revisions(
        db_session,
        filters=audit.RevisionFilters(office_id=second.id, field="last_verified_at"),
    )
    assert [(r.office_id, r.field) for r in mine] == [(second.id, "last_verified_at")]

    by_actor, _ = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(actor="TEST-ADM", entity="office")
    )
    assert by_actor and all(r.actor == "test-admin" and r.entity == "office" for r in by_actor)

    later, _ = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(since=utcnow() + timedelta(days=1))
    )
    assert later == []


def test_recent_revisions_page_and_say_whether_more_follow(db_session: Session) -> None:
    make_office(db_session)
    make_office(db_session)
    page_one, more = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(), page=Page(1, 3)
    )
    page_two, _ = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(), page=Page(2, 3)
    )
    assert len(page_one) == 3 and more
    assert not {r.id for r in page_one} & {r.id for r in page_two}
