"""Possible duplicates of a new contact are flagged to the reviewer with the match."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.review import decisions, queue
from app.review.duplicates import similarity
from tests.factories import NG_PHONE, NG_PHONE_2, make_office, make_org
from tests.review.support import partner, principal, submit


def _new_contact(session: Session, ngo, *, name: str, region: str = "NG-LA", phones=()) -> object:
    return submit(
        session,
        ngo,
        {
            "kind": "new_contact",
            "organization": {"name": name, "category": "ngo"},
            "office": {
                "country": "NG",
                "region": region,
                "city": "Somewhere",
                "phones": [{"number": n} for n in phones],
            },
        },
    )


def test_similarity_is_accent_case_and_order_insensitive() -> None:
    assert similarity("centre sao paulo", "sao paulo centre") == 1.0
    assert similarity("example support centre", "example suport centre") > 0.9
    assert similarity("example support centre", "harbour legal clinic") < 0.6


def test_same_phone_as_an_existing_office_is_flagged(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    sub = _new_contact(
        db_session, ngo, name="Totally Different Name", region="NG-KN", phones=["0803 123 4567"]
    )
    assert sub.duplicate_matches == [
        {
            "kind": "office",
            "id": office.id,
            "reason": "phone",
            "detail": f"same number {NG_PHONE}",
            "name": "Example Support Centre (demo)",
            "similarity": 1.0,
        }
    ]
    review = queue.review(db_session, submission_id=sub.id)
    assert [(m.kind, m.id, m.reason) for m in review.duplicates] == [("office", office.id, "phone")]


def test_same_phone_as_a_pending_proposal_is_flagged(db_session: Session) -> None:
    _, ngo = partner(db_session)
    _, other = partner(db_session, name="Other Network (demo)")
    first = _new_contact(db_session, ngo, name="Harbour Clinic (demo)", phones=[NG_PHONE_2])
    second = _new_contact(
        db_session, other, name="Riverside Help (demo)", region="NG-KN", phones=[NG_PHONE_2]
    )
    assert [(m["kind"], m["id"], m["reason"]) for m in second.duplicate_matches] == [
        ("submission", first.id, "phone")
    ]
    # Opened later, the first sees the second too (checked live while pending).
    review = queue.review(db_session, submission_id=first.id)
    assert [(m.kind, m.id) for m in review.duplicates] == [("submission", second.id)]
    # Once the second is decided it no longer counts.
    decisions.reject(
        db_session,
        submission_id=second.id,
        reviewer=principal(db_session, "reviewer"),
        reason="duplicate of another report",
    )
    assert queue.review(db_session, submission_id=first.id).duplicates == []


def test_near_identical_name_in_the_same_region_is_flagged(db_session: Session) -> None:
    org = make_org(db_session, name="Centro de Apoio São Paulo (demo)")
    office = make_office(db_session, org=org, phones=[])
    _, ngo = partner(db_session)
    sub = _new_contact(db_session, ngo, name="centro de apoio sao paulo (demo)")
    assert [(m["kind"], m["id"], m["reason"]) for m in sub.duplicate_matches] == [
        ("office", office.id, "name")
    ]
    elsewhere = _new_contact(
        db_session, ngo, name="Centro de Apoio Sao Paulo (demo)", region="NG-KN"
    )
    assert elsewhere.duplicate_matches == []
    different = _new_contact(db_session, ngo, name="Lagoon Legal Clinic (demo)")
    assert different.duplicate_matches == []


def test_flag_shows_in_the_queue(db_session: Session) -> None:
    make_office(db_session)
    _, ngo = partner(db_session)
    flagged = _new_contact(db_session, ngo, name="Example Support Centre (demo)")
    clean = _new_contact(db_session, ngo, name="Unrelated Shelter (demo)", region="NG-KN")
    page = queue.list_queue(db_session, filters=queue.QueueFilters())
    by_id = {item.id: item for item in page.items}
    assert by_id[flagged.id].possible_duplicate
    assert by_id[flagged.id].duplicate_matches[0].reason == "name"
    assert not by_id[clean.id].possible_duplicate
