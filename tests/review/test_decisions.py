"""Deciding submissions: approval (all, partial, edited), conflicts, four eyes, rejection,
duplicates, closures and the verification an approved correction records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.directory import lookup
from app.directory import service as directory
from app.directory.models import Office, Phone, Revision
from app.directory.printable import is_printable
from app.directory.provenance import Provenance
from app.kit.clock import as_utc, utcnow
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.review import decisions, intake, queue
from app.review.errors import (
    OwnSubmission,
    SubmissionAlreadyDecided,
    SubmissionChanged,
    SubmissionConflict,
)
from app.review.models import Submission
from app.verification.models import VerificationEvent
from app.verification.service import record_verification
from tests.factories import NG_PHONE_2, TEST_PROVENANCE, make_office, make_org
from tests.review.support import (
    DIRECTORY_TABLES,
    correction,
    dump,
    office_partner_reviewer,
    partner,
    principal,
    proposed,
    submit,
)


def _approve_only(
    session: Session, sub: Submission, reviewer: Principal, *fields: str
) -> Submission:
    """A partial approval: only `fields` of `sub` are applied."""
    assert sub.id is not None
    return decisions.approve(session, submission_id=sub.id, reviewer=reviewer, fields=list(fields))


def _reload(session: Session, office_id: int) -> Office:
    return lookup.get_office(session, office_id, refresh=True)


def test_approve_all_applies_through_the_directory_with_provenance(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    reviewer = principal(db_session, "reviewer", name="Reviewer Ana")
    sub = correction(
        db_session,
        office,
        ngo,
        office={"city": "Ikeja", "languages": ["yo", "en"]},
        organization={"website": "https://example.org/"},
        new_phones=[{"number": NG_PHONE_2, "kind": "hotline"}],
        note="called them on 3 May",
    )
    decided = decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    assert decided.status == "approved"
    assert decided.decided_by == reviewer.label
    assert decided.version == 2

    now = _reload(db_session, office.id)
    assert now.city == "Ikeja"
    assert now.language_codes == ["en", "yo"]
    assert now.organization.website == "https://example.org/"
    assert [p.number for p in now.phones][-1] == NG_PHONE_2

    revs = (
        db_session.execute(
            select(Revision).where(Revision.submission_id == sub.id).order_by(Revision.id)
        )
        .scalars()
        .all()
    )
    fields = {(r.entity, r.field) for r in revs}
    assert {
        ("office", "city"),
        ("office", "languages"),
        ("organization", "website"),
        ("phone", "created"),
    } <= fields
    for rev in revs:
        assert rev.source == f"correction #{sub.id}"
        assert rev.approved_by == reviewer.label
        assert rev.actor == sub.submitter_name
        assert rev.actor_key_id == ngo.key_id


def test_approved_correction_records_an_ngo_correction_verification(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session, verified_at=None)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"}, note="visited")
    decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    event = db_session.execute(
        select(VerificationEvent).where(VerificationEvent.office_id == office.id)
    ).scalar_one()
    assert event.method == "ngo_correction"
    assert event.verified_by == sub.submitter_name
    assert event.approved_by == reviewer.label
    assert event.note == "visited"
    now = _reload(db_session, office.id)
    assert now.verification_method == "ngo_correction"
    assert now.last_verified_at is not None


def test_partial_approval_applies_only_the_chosen_fields(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja", "address": "1 Example Way"})
    decided = _approve_only(db_session, sub, reviewer, "office.address")
    assert decided.status == "partially_approved"
    assert decided.applied == {"office.address": "1 Example Way"}
    now = _reload(db_session, office.id)
    assert (now.city, now.address) == ("Lagos", "1 Example Way")


def test_partial_approval_records_the_changes_but_verifies_nothing(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session, verified_at=None)
    sub = correction(
        db_session,
        office,
        ngo,
        office={"city": "Ikeja", "address": "1 Example Way", "opening_hours": "24/7"},
        note="called them",
    )
    decided = _approve_only(db_session, sub, reviewer, "office.address", "office.opening_hours")
    assert decided.status == "partially_approved"
    revs = db_session.execute(select(Revision).where(Revision.submission_id == sub.id)).scalars()
    by_field = {r.field: r for r in revs}
    assert set(by_field) == {"address", "opening_hours"}
    assert {(r.source, r.approved_by) for r in by_field.values()} == {
        (f"correction #{sub.id}", reviewer.label)
    }
    events = db_session.execute(
        select(VerificationEvent).where(VerificationEvent.office_id == office.id)
    ).all()
    assert events == []
    now = _reload(db_session, office.id)
    assert (now.last_verified_at, now.verification_method) == (None, None)


def _new_helpline_office(session: Session) -> tuple[Submission, Principal, int | None]:
    """An NGO's new office for an existing helpline, a reviewer to decide it, the helpline's id."""
    _, ngo = partner(session)
    reviewer = principal(session, "reviewer")
    org = make_org(session, name="Existing Helpline (demo)", category="helpline")
    sub = submit(
        session,
        ngo,
        {
            "kind": "new_contact",
            "organization_id": org.id,
            "office": {"country": "NG", "city": "Abuja", "email": "help@example.org"},
        },
    )
    return sub, reviewer, org.id


def test_partially_approved_new_contact_stays_unverified(db_session: Session) -> None:
    sub, reviewer, _ = _new_helpline_office(db_session)
    decided = _approve_only(db_session, sub, reviewer, "office.country", "office.city")
    office = _reload(db_session, decided.office_id)
    assert office.last_verified_at is None
    assert not is_printable(db_session, office_id=office.id, now=utcnow(), settings=get_settings())


def test_edit_then_approve_validates_the_edited_value(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"region": "NG-KN", "city": "Kano"})
    with pytest.raises(InvalidValue) as err:
        decisions.approve(
            db_session, submission_id=sub.id, reviewer=reviewer, edits={"office.region": "AL-01"}
        )
    assert err.value.field == "office.region"
    assert queue.get_submission(db_session, sub.id).status == "pending"
    with pytest.raises(InvalidValue) as err:
        decisions.approve(
            db_session, submission_id=sub.id, reviewer=reviewer, edits={"office.email": "a@b.org"}
        )
    assert err.value.field == "edits.office.email"

    decided = decisions.approve(
        db_session, submission_id=sub.id, reviewer=reviewer, edits={"office.region": "ng-ab"}
    )
    assert decided.status == "approved"
    assert decided.applied == {"office.region": "NG-AB", "office.city": "Kano"}
    assert _reload(db_session, office.id).region == "NG-AB"


def test_conflict_after_a_concurrent_edit_needs_an_explicit_resolution(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja", "address": "1 Example Way"})
    # Someone else edits the city (a conflict) and the postal code (unrelated) meanwhile.
    directory.update_office(
        db_session,
        office_id=office.id,
        changes={"city": "Epe", "postal_code": "100001"},
        expected_version=_reload(db_session, office.id).version,
        provenance=Provenance(actor="admin Bo", source="admin_edit", approved_by="admin Bo"),
    )
    review = queue.review(db_session, submission_id=sub.id)
    city = next(d for d in review.diff if d.path == "office.city")
    assert (city.current, city.base, city.proposed) == ("Epe", "Lagos", "Ikeja")
    assert city.drifted and city.conflict and city.changed_by == "admin Bo"
    assert review.conflicts == ["office.city"]
    drifted = {d.path: d for d in review.drift}
    assert drifted["office.postal_code"].value_now == "100001"
    assert not drifted["office.postal_code"].proposed_here
    assert drifted["office.city"].proposed_here

    before = dump(db_session)
    with pytest.raises(SubmissionConflict) as err:
        decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    assert err.value.fields == ["office.city"]
    assert dump(db_session) == before

    # Leaving the conflicting field out is fine; so is resolving it explicitly.
    decided = decisions.approve(
        db_session, submission_id=sub.id, reviewer=reviewer, resolve_conflicts=["office.city"]
    )
    assert decided.status == "approved"
    now = _reload(db_session, office.id)
    assert (now.city, now.address, now.postal_code) == ("Ikeja", "1 Example Way", "100001")


def test_a_change_to_the_same_value_is_not_a_conflict(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"})
    directory.update_office(
        db_session,
        office_id=office.id,
        changes={"city": "Ikeja"},
        expected_version=office.version,
        provenance=TEST_PROVENANCE,
    )
    assert (
        decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer).status == "approved"
    )


def test_four_eyes_key_and_organisation(db_session: Session) -> None:
    office = make_office(db_session)
    org, ngo = partner(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"})
    same_key = Principal(name="x", role="reviewer", key_id=ngo.key_id)
    same_org = Principal(name="y", role="reviewer", key_id=None, organization_id=org.id)
    for who in (same_key, same_org):
        for decide in (
            lambda w: decisions.approve(db_session, submission_id=sub.id, reviewer=w),
            lambda w: decisions.reject(db_session, submission_id=sub.id, reviewer=w, reason="no"),
            lambda w: decisions.mark_duplicate(
                db_session, submission_id=sub.id, reviewer=w, of_office_id=office.id
            ),
        ):
            with pytest.raises(OwnSubmission):
                decide(who)
    assert queue.get_submission(db_session, sub.id).status == "pending"


def test_reject_keeps_directory_byte_for_byte_and_partner_reads_the_reason(
    db_session: Session,
) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"})
    before = dump(
        db_session,
        tables=DIRECTORY_TABLES,
    )
    with pytest.raises(InvalidValue):
        decisions.reject(db_session, submission_id=sub.id, reviewer=reviewer, reason="  ")
    decided = decisions.reject(
        db_session, submission_id=sub.id, reviewer=reviewer, reason="the city is right"
    )
    assert decided.status == "rejected"
    assert dump(db_session, tables=tuple(before)) == before
    mine = queue.get_for_partner(db_session, submission_id=sub.id, partner=ngo)
    assert queue.submission_public(mine).decision_reason == "the city is right"
    with pytest.raises(SubmissionAlreadyDecided):
        decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)


def test_stale_submission_version_is_refused(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"})
    with pytest.raises(SubmissionChanged):
        decisions.approve(
            db_session, submission_id=sub.id, reviewer=reviewer, expected_version=sub.version + 1
        )


def test_mark_duplicate_of_submission_or_office(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    first = correction(db_session, office, ngo, office={"city": "Ikeja"})
    second = correction(db_session, office, ngo, office={"city": "Ikeja "})
    third = correction(db_session, office, ngo, office={"address": "2 Example Way"})
    with pytest.raises(InvalidValue):
        decisions.mark_duplicate(
            db_session, submission_id=second.id, reviewer=reviewer, of_submission_id=second.id
        )
    done = decisions.mark_duplicate(
        db_session, submission_id=second.id, reviewer=reviewer, of_submission_id=first.id
    )
    assert (done.status, done.duplicate_of_submission_id) == ("duplicate", first.id)
    done = decisions.mark_duplicate(
        db_session,
        submission_id=third.id,
        reviewer=reviewer,
        of_office_id=office.id,
        reason="already listed",
    )
    assert (done.status, done.duplicate_of_office_id) == ("duplicate", office.id)


def test_closure_approval_closes_the_office_and_it_leaves_every_sheet(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    settings = get_settings()
    assert is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)
    sub = submit(
        db_session,
        ngo,
        {
            "kind": "closure",
            "office_id": office.id,
            "reason": "closed",
            "note": "the building is empty",
        },
    )
    decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    assert _reload(db_session, office.id).status == "closed"
    assert not is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)
    rev = db_session.execute(
        select(Revision).where(Revision.submission_id == sub.id, Revision.field == "status")
    ).scalar_one()
    assert rev.source == f"closure report #{sub.id}"


def test_disconnected_number_report_marks_the_phone(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(
        db_session, phones=[{"number": "+2348031234567"}, {"number": NG_PHONE_2}]
    )
    phone_id = office.phones[0].id
    sub = submit(
        db_session,
        ngo,
        {
            "kind": "closure",
            "office_id": office.id,
            "reason": "number_disconnected",
            "phone_id": phone_id,
        },
    )
    decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    assert db_session.get(Phone, phone_id).status == "disconnected"
    assert _reload(db_session, office.id).status == "active"


def test_new_contact_approval_creates_organisation_office_and_phones(db_session: Session) -> None:
    sub, reviewer = proposed(
        db_session,
        {
            "kind": "new_contact",
            "organization": {
                "name": "Example Legal Aid (demo)",
                "category": "lawyer",
                "services": ["legal_aid"],
            },
            "office": {
                "country": "NG",
                "region": "NG-KN",
                "city": "Kano",
                "phones": [{"number": NG_PHONE_2}],
            },
        },
    )
    decided = decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    assert decided.office_id is not None and decided.organization_id is not None
    office = _reload(db_session, decided.office_id)
    assert office.organization.name == "Example Legal Aid (demo)"
    assert office.organization.service_tags == ["legal_aid"]
    assert (office.region, office.city) == ("NG-KN", "Kano")
    assert [p.number for p in office.phones] == [NG_PHONE_2]
    assert office.verification_method == "ngo_correction"


def test_new_contact_partial_approval_must_keep_required_fields(db_session: Session) -> None:
    sub, reviewer, org_id = _new_helpline_office(db_session)
    with pytest.raises(InvalidValue) as err:
        _approve_only(db_session, sub, reviewer, "office.city")
    assert err.value.field == "office.country"
    decided = _approve_only(db_session, sub, reviewer, "office.country", "office.city")
    assert decided.status == "partially_approved"
    office = _reload(db_session, decided.office_id)
    assert (office.organization_id, office.email, office.region) == (org_id, None, None)


def test_rejected_and_invalid_submissions_never_touch_the_directory(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    before = dump(db_session, tables=DIRECTORY_TABLES)
    with pytest.raises(InvalidValue):
        correction(db_session, office, ngo, office={"region": "BR-SP"})
    sub = correction(
        db_session, office, ngo, office={"city": "Ikeja"}, new_phones=[{"number": NG_PHONE_2}]
    )
    decisions.reject(db_session, submission_id=sub.id, reviewer=reviewer, reason="wrong office")
    assert dump(db_session, tables=DIRECTORY_TABLES) == before


def test_approval_records_the_imports_claimed_verification_at_its_time(
    db_session: Session,
) -> None:
    office = make_office(db_session, verified_at=datetime(2026, 1, 1, tzinfo=UTC))
    reviewer = principal(db_session, "reviewer")
    claim = {"verified_at": "2026-02-01T10:00:00Z", "verified_by": "them", "method": "site_visit"}

    def imported(**changes: str) -> Submission:
        return intake.create_submission(
            db_session,
            proposal={"kind": "correction", "office_id": office.id, "office": changes},
            submitter=None,
            source="import: their directory",
            verifications=[claim],
        )

    first, second = imported(city="Ikeja"), imported(address="1 Example Road")
    decisions.approve(db_session, submission_id=first.id, reviewer=reviewer)
    now = _reload(db_session, office.id)
    assert as_utc(now.last_verified_at) == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert (now.verified_by, now.verification_method) == ("them", "site_visit")
    event = db_session.execute(
        select(VerificationEvent).order_by(VerificationEvent.id.desc()).limit(1)
    ).scalar_one()
    assert (event.source, event.approved_by, event.method) == (
        "import: their directory",
        reviewer.label,
        "site_visit",
    )
    revs = db_session.execute(
        select(Revision).where(
            Revision.field == "last_verified_at", Revision.entity_id == office.id
        )
    ).scalars()
    assert {r.submission_id for r in revs} >= {first.id}

    # Verified again since: approving the older claim adds it to the history only.
    record_verification(
        db_session,
        office_id=office.id,
        method="phone_call",
        verified_by="our caller",
        verified_at=datetime(2026, 3, 1, tzinfo=UTC),
        provenance=TEST_PROVENANCE,
    )
    decisions.approve(db_session, submission_id=second.id, reviewer=reviewer)
    now = _reload(db_session, office.id)
    assert as_utc(now.last_verified_at) == datetime(2026, 3, 1, tzinfo=UTC)
    assert now.verified_by == "our caller"
    claimed = db_session.execute(
        select(VerificationEvent.verified_at).where(
            VerificationEvent.source == "import: their directory"
        )
    ).scalars()
    assert [as_utc(t) for t in claimed] == [datetime(2026, 2, 1, 10, tzinfo=UTC)] * 2
