"""Approving applies the change set intake validated, once, through the directory's
`apply_changes`; a reviewer's edits are the only values validated again, and nothing that
did not change is written as a revision."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.directory import lookup
from app.directory.models import Revision
from app.kit.errors import InvalidValue
from app.review import decisions
from app.review.models import Submission
from tests.factories import NG_PHONE_2, allow_partner_countries, make_office
from tests.review.support import (
    correction,
    office_partner_reviewer,
    partner,
    principal,
    proposed,
)

# E.164 in form, but not a number any Nigerian line has: today's rules refuse it.
REFUSED_TODAY = "+2340000000000"


def _as_if_validated_under_older_rules(session: Session, sub: Submission, path: str) -> None:
    """The queued value becomes one that passed the rules of its day but not today's."""
    changes = {**sub.changes, path: REFUSED_TODAY}
    session.execute(update(Submission).where(Submission.id == sub.id).values(changes=changes))
    session.expire_all()


def test_approval_applies_a_correction_as_intake_validated_it(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    phone_id = office.phones[0].id
    sub = correction(db_session, office, ngo, phones=[{"id": phone_id, "number": NG_PHONE_2}])
    _as_if_validated_under_older_rules(db_session, sub, f"phones.{phone_id}.number")

    decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)

    # Not checked a second time: the number is the one the queue holds.
    now = lookup.get_office(db_session, office.id, refresh=True)
    assert [p.number for p in now.phones] == [REFUSED_TODAY]


def test_a_reviewers_edit_is_new_input_and_validated(db_session: Session) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    phone_id = office.phones[0].id
    sub = correction(db_session, office, ngo, phones=[{"id": phone_id, "number": NG_PHONE_2}])
    path = f"phones.{phone_id}.number"
    with pytest.raises(InvalidValue) as err:
        decisions.approve(
            db_session, submission_id=sub.id, reviewer=reviewer, edits={path: REFUSED_TODAY}
        )
    assert err.value.field == path


def test_approval_writes_no_revision_whose_old_value_equals_its_new_value(
    db_session: Session,
) -> None:
    office, ngo, reviewer = office_partner_reviewer(db_session)
    first = correction(db_session, office, ngo, office={"city": "Ikeja"})
    decisions.approve(db_session, submission_id=first.id, reviewer=reviewer)
    # The same partner again: the method (ngo_correction) and the verifier stay the same.
    second = correction(db_session, office, ngo, office={"city": "Yaba"})
    decisions.approve(db_session, submission_id=second.id, reviewer=reviewer)

    revisions = db_session.execute(
        select(Revision).where(Revision.office_id == office.id)
    ).scalars()
    written = [(r.source, r.field, r.old_value, r.new_value) for r in revisions]
    assert [w for w in written if w[2] == w[3]] == []
    assert sorted(w[1] for w in written if w[0] == f"correction #{second.id}") == [
        "city",
        "last_verified_at",
    ]


def test_a_country_and_its_region_are_approved_together(db_session: Session) -> None:
    office = make_office(db_session)
    org, ngo = partner(db_session)
    allow_partner_countries(db_session, org.id, ("GH",))  # a move must be in its scope too
    reviewer = principal(db_session, "reviewer")
    sub = correction(db_session, office, ngo, office={"country": "GH", "region": "GH-AA"})
    with pytest.raises(InvalidValue) as err:
        decisions.approve(
            db_session, submission_id=sub.id, reviewer=reviewer, fields=["office.region"]
        )
    assert err.value.field == "office.region"
    decided = decisions.approve(
        db_session, submission_id=sub.id, reviewer=reviewer, fields=["office.country"]
    )
    # The country alone clears the region of the country the office left.
    assert decided.applied == {"office.country": "GH", "office.region": None}
    now = lookup.get_office(db_session, office.id, refresh=True)
    assert (now.country, now.region) == ("GH", None)


def test_approval_creates_a_new_contact_as_intake_validated_it(db_session: Session) -> None:
    sub, reviewer = proposed(
        db_session,
        {
            "kind": "new_contact",
            "organization": {"name": "Harbour Help (demo)", "category": "ngo"},
            "office": {"country": "NG", "city": "Jos", "phones": [{"number": NG_PHONE_2}]},
        },
    )
    queued = dict(sub.changes["new_phones.0"], number=REFUSED_TODAY)
    db_session.execute(
        update(Submission)
        .where(Submission.id == sub.id)
        .values(changes={**sub.changes, "new_phones.0": queued})
    )
    db_session.expire_all()

    decided = decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)

    created = lookup.get_office(db_session, decided.office_id, refresh=True)
    assert [p.number for p in created.phones] == [REFUSED_TODAY]
    assert (created.city, created.status, created.organization.confidential) == (
        "Jos",
        "active",
        False,
    )
