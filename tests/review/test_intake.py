"""Intake: submissions are validated with the directory's rules; invalid ones queue nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.errors import OfficeNotFound
from app.kit.errors import InvalidValue, TooManyRequests, VersionConflict
from app.review import intake
from app.review.models import Submission, SubmissionPhone
from tests.factories import AL_PHONE, NG_PHONE, NG_PHONE_2, make_office, make_org
from tests.review.support import correction, dump, partner, principal, submit

CONF = "organization.confidential"


def _count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Submission)).scalar_one())


def test_correction_keeps_only_changed_fields_normalised(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    sub = submit(
        db_session,
        ngo,
        {
            "kind": "correction",
            "office_id": office.id,
            "office": {
                "city": "Lagos",
                "address": "  12 Example   Road ",
                "version": office.version,
            },
            "phones": [{"id": office.phones[0].id, "number": "0803 123 4568"}],
            "note": "called them on 3 May",
        },
    )
    # The unchanged city is dropped; text is trimmed; the number is stored as E.164.
    assert sub.changes == {
        "office.address": "12 Example Road",
        f"phones.{office.phones[0].id}.number": NG_PHONE_2,
    }
    assert sub.base == {"office.address": None, f"phones.{office.phones[0].id}.number": NG_PHONE}
    assert sub.base_versions == {"office": office.version, f"phone:{office.phones[0].id}": 1}
    assert (sub.country, sub.region, sub.status) == ("NG", "NG-LA", "pending")
    assert sub.submitter_key_id == ngo.key_id
    assert sub.submitter_organization_id == ngo.organization_id
    assert "Partner Network (demo)" in sub.submitter_name


@pytest.mark.parametrize(
    ("proposal", "field"),
    [
        ({"office": {"region": "AL-01"}}, "office.region"),
        ({"office": {"country": "XX"}}, "office.country"),
        ({"office": {"email": "not-an-email"}}, "office.email"),
        ({"office": {"website": "ftp://example.org"}}, "office.website"),
        ({"office": {"city": "x" * 201}}, "office.city"),
        ({"office": {"colour": "blue"}}, "office.colour"),
        ({"office": {"country": None}}, "office.country"),
        ({"organization": {"website": "javascript:alert(1)"}}, "organization.website"),
        ({"organization": {"confidential": True}}, "organization.confidential"),
        ({"new_phones": [{"number": AL_PHONE}]}, "new_phones.0.number"),
        ({"new_phones": [{"number": "12"}]}, "new_phones.0.number"),
        ({"phones": [{"id": 999999, "number": NG_PHONE_2}]}, "phones.0.id"),
        ({"unknown": 1}, "unknown"),
        ({"office": {"city": "Lagos"}}, "body"),
    ],
)
def test_invalid_correction_is_refused_naming_the_field_and_queues_nothing(
    db_session: Session, proposal: dict, field: str
) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    before = dump(db_session)
    with pytest.raises(InvalidValue) as err:
        correction(db_session, office, ngo, **proposal)
    assert err.value.field == field
    assert dump(db_session) == before


def test_phone_is_checked_in_the_office_country(db_session: Session) -> None:
    office = make_office(db_session, country="AL", region="AL-01", phones=[])
    _, ngo = partner(db_session)
    with pytest.raises(InvalidValue) as err:
        correction(db_session, office, ngo, new_phones=[{"number": NG_PHONE}])
    assert err.value.field == "new_phones.0.number"
    assert "AL" in err.value.message


def test_stale_base_version_is_a_conflict(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    with pytest.raises(VersionConflict) as err:
        correction(db_session, office, ngo, office={"city": "Ikeja", "version": office.version - 1})
    assert err.value.field == "office.version"
    assert _count(db_session) == 0


def test_partner_cannot_submit_about_a_confidential_organisation(db_session: Session) -> None:
    hidden = make_org(db_session, name="Safe House (demo)", confidential=True)
    office = make_office(db_session, org=hidden)
    _, ngo = partner(db_session)
    for proposal in (
        {"kind": "correction", "office_id": office.id, "office": {"city": "Ikeja"}},
        {"kind": "closure", "office_id": office.id, "reason": "closed"},
    ):
        with pytest.raises(OfficeNotFound):
            submit(db_session, ngo, proposal)
    assert _count(db_session) == 0


def test_new_contact_validated_like_a_directory_create(db_session: Session) -> None:
    _, ngo = partner(db_session)
    good = {
        "kind": "new_contact",
        "organization": {"name": "Example Legal Aid (demo)", "category": "lawyer"},
        "office": {
            "country": "ng",
            "region": "ng-la",
            "city": "Ikeja",
            "phones": [{"number": "0803 123 4568"}],
        },
    }
    sub = submit(db_session, ngo, good)
    assert sub.changes["office.country"] == "NG"
    assert sub.changes["office.region"] == "NG-LA"
    assert sub.changes["new_phones.0"]["number"] == NG_PHONE_2
    assert (sub.country, sub.region) == ("NG", "NG-LA")
    numbers = db_session.execute(select(SubmissionPhone.number)).scalars().all()
    assert numbers == [NG_PHONE_2]

    for bad, field in (
        ({**good, "organization": {"name": "X", "category": "spies"}}, "organization.category"),
        ({**good, "office": {**good["office"], "region": "BR-SP"}}, "office.region"),
        ({**good, "organization_id": 1}, "body"),
        (
            {**good, "office": {**good["office"], "phones": [{"number": "+551123456789"}]}},
            "new_phones.0.number",
        ),
        # Only a reviewer decides confidentiality, whichever way it is sent.
        ({**good, "organization": {**good["organization"], "confidential": True}}, CONF),
        ({**good, "organization": {**good["organization"], "confidential": False}}, CONF),
    ):
        with pytest.raises(InvalidValue) as err:
            submit(db_session, ngo, bad)
        assert err.value.field == field
    assert _count(db_session) == 1


def test_closure_needs_a_phone_of_the_office_for_a_disconnected_number(db_session: Session) -> None:
    office = make_office(db_session)
    other = make_office(db_session)
    _, ngo = partner(db_session)
    with pytest.raises(InvalidValue) as err:
        submit(
            db_session,
            ngo,
            {"kind": "closure", "office_id": office.id, "reason": "number_disconnected"},
        )
    assert "phone_id" in err.value.message
    with pytest.raises(InvalidValue) as err:
        submit(
            db_session,
            ngo,
            {
                "kind": "closure",
                "office_id": office.id,
                "reason": "number_disconnected",
                "phone_id": other.phones[0].id,
            },
        )
    assert err.value.field == "phone_id"
    sub = submit(
        db_session,
        ngo,
        {
            "kind": "closure",
            "office_id": office.id,
            "reason": "moved",
            "note": "moved to Ikeja",
        },
    )
    assert sub.changes == {"office.status": "closed"}
    assert sub.closure_reason == "moved"


def test_size_cap_refuses_large_submissions(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    small = Settings(max_submission_bytes=200)
    with pytest.raises(InvalidValue) as err:
        intake.create_submission(
            db_session,
            proposal={
                "kind": "correction",
                "office_id": office.id,
                "office": {"opening_hours": "Mo-Fr 09:00-17:00 " * 20},
            },
            submitter=ngo,
            source="x",
            settings=small,
        )
    assert err.value.field == "body"
    assert _count(db_session) == 0


def test_rate_limit_per_key_counts_the_window(db_session: Session, frozen_clock) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    _, other = partner(db_session, name="Second Network (demo)")
    limits = Settings(submission_rate_limit=3, submission_rate_window_seconds=600)

    def submit(who, city: str) -> Submission:
        return intake.create_submission(
            db_session,
            proposal={"kind": "correction", "office_id": office.id, "office": {"city": city}},
            submitter=who,
            source="x",
            settings=limits,
        )

    for i in range(3):
        submit(ngo, f"Town {i}")
        frozen_clock.advance(seconds=60)
    with pytest.raises(TooManyRequests) as err:
        submit(ngo, "Town 4")
    # The first of the three leaves the window 600 s after it was made: 420 s from now.
    assert err.value.retry_after == 420
    submit(other, "Another key is counted apart")
    frozen_clock.advance(seconds=420)
    submit(ngo, "Town 5")
    # Imports have no key and no limit.
    for i in range(4):
        intake.create_submission(
            db_session,
            proposal={"kind": "correction", "office_id": office.id, "office": {"city": f"I{i}"}},
            submitter=None,
            source="import: example dataset",
            settings=limits,
        )
    assert _count(db_session) == 9


def test_import_submission_has_no_submitter(db_session: Session) -> None:
    office = make_office(db_session)
    sub = correction(
        db_session, office, None, office={"city": "Ikeja"}, source="import: example dataset"
    )
    assert sub.submitter_key_id is None
    assert sub.submitter_name == "import: example dataset"
    assert sub.source == "import: example dataset"


def test_bulk_intake_answers_each_item_and_queues_the_valid_ones(db_session: Session) -> None:
    office = make_office(db_session)
    org = make_org(db_session, name="Existing Network (demo)")
    items = [
        intake.Proposed(
            {"kind": "correction", "office_id": office.id, "office": {"city": "Ikeja"}}
        ),
        intake.Proposed(
            {"kind": "correction", "office_id": office.id, "office": {"region": "AL-01"}}
        ),
        intake.Proposed(
            {
                "kind": "new_contact",
                "organization_id": org.id,
                "office": {"country": "NG", "city": "Kano", "phones": [{"number": NG_PHONE_2}]},
            }
        ),
        intake.Proposed({"kind": "correction", "office_id": 999_999, "office": {"city": "X"}}),
        intake.Proposed(
            {"kind": "correction", "office_id": office.id, "office": {"city": "Lagos"}}
        ),
        intake.Proposed({"kind": "closure", "office_id": office.id, "reason": "closed"}),
        intake.Proposed({"kind": "nonsense"}),
    ]
    results = intake.create_submissions(
        db_session, items, submitter=None, source="import: example dataset"
    )
    assert [type(r).__name__ for r in results] == [
        "Submission",
        "InvalidValue",
        "Submission",
        "OfficeNotFound",
        "NothingDiffers",
        "Submission",
        "InvalidValue",
    ]
    assert results[1].field == "office.region"
    assert _count(db_session) == 3
    correction, new_contact, closure = results[0], results[2], results[5]
    assert correction.changes == {"office.city": "Ikeja"}
    assert correction.base == {"office.city": "Lagos"}
    assert new_contact.kind == "new_contact" and new_contact.organization_id == org.id
    assert new_contact.title == "Existing Network (demo) — Kano"
    phones = db_session.execute(select(SubmissionPhone.submission_id, SubmissionPhone.number))
    assert phones.all() == [(new_contact.id, NG_PHONE_2)]
    assert closure.changes == {"office.status": "closed"}
    # The same proposal through the single path gives the same submission.
    single = intake.create_submission(
        db_session, proposal=items[0].proposal, submitter=None, source="import: example dataset"
    )
    columns = ("kind", "changes", "base", "base_versions", "base_revision_id", "title", "region")
    assert [getattr(single, c) for c in columns] == [getattr(correction, c) for c in columns]


def test_bulk_intake_spends_the_rate_limit_item_by_item(db_session: Session) -> None:
    office = make_office(db_session)
    _, ngo = partner(db_session)
    limits = Settings(submission_rate_limit=3, submission_rate_window_seconds=600)
    changes = [{"city": c} for c in "AB"] + [{"region": "AL-01"}] + [{"city": c} for c in "CDE"]
    results = intake.create_submissions(
        db_session,
        # The invalid one (a region of another country) costs nothing.
        [
            intake.Proposed({"kind": "correction", "office_id": office.id, "office": c})
            for c in changes
        ],
        submitter=ngo,
        source="x",
        settings=limits,
    )
    assert [type(r).__name__ for r in results] == [
        "Submission",
        "Submission",
        "InvalidValue",
        "Submission",
        "TooManyRequests",
        "TooManyRequests",
    ]
    assert _count(db_session) == 3


def test_verification_claims_are_validated_and_only_news_is_kept(db_session: Session) -> None:
    office = make_office(db_session, verified_at=datetime(2026, 1, 1, tzinfo=UTC))

    def correction(*claims: dict, kind: str = "correction") -> Submission:
        proposal = (
            {"kind": kind, "office_id": office.id, "office": {"city": "Ikeja"}}
            if kind == "correction"
            else {"kind": kind, "office_id": office.id, "reason": "closed"}
        )
        return intake.create_submission(
            db_session,
            proposal=proposal,
            submitter=None,
            source="import: example dataset",
            verifications=claims,
        )

    older = {"verified_at": "2025-12-01T10:00:00Z", "verified_by": "a", "method": "phone_call"}
    newer = {"verified_at": "2026-02-01T10:00:00Z", "verified_by": "b", "method": "site_visit"}
    sub = correction(newer, older)
    # The contact was verified on 1 January: only the February verification is news.
    assert sub.verifications == [
        {
            "verified_at": "2026-02-01T10:00:00Z",
            "verified_by": "b",
            "method": "site_visit",
            "note": None,
        }
    ]
    for claim, field in [
        ({**newer, "verified_at": "2999-01-01T00:00:00Z"}, "verifications.0.verified_at"),
        ({**newer, "verified_at": "1999-01-01T00:00:00Z"}, "verifications.0.verified_at"),
        ({**newer, "method": "rumour"}, "verifications.0.method"),
        ({**newer, "extra": 1}, "verifications.0.extra"),
    ]:
        with pytest.raises(InvalidValue) as err:
            correction(claim)
        assert err.value.field == field
    with pytest.raises(InvalidValue) as err:
        correction(newer, kind="closure")
    assert err.value.field == "verifications"
    assert _count(db_session) == 1


def test_the_submitter_is_named_once_organisation_and_key(db_session: Session) -> None:
    org, _ = partner(db_session, name="Example NGO")
    ngo = principal(db_session, "ngo", organization_id=org.id, name="Field team")
    office = make_office(db_session)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"}, source="web")
    assert sub.submitter_name == "Example NGO — key 'Field team'"
