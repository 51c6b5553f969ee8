"""What an NGO partner reads of its own submissions: never a pointer to a confidential record.

A reviewer may close a partner's proposal as a duplicate of a confidential organisation's
office (or of a submission about one). The partner then reads "duplicate of an existing
record": no office or submission id, and not the reviewer's own words, which may name it.
The API and the partner's pages read submissions through here, never `submission_public`
directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.kit.principal import Principal
from app.review import queue
from app.review.models import Submission
from app.review.schemas import PartnerPage, SubmissionPublic

DUPLICATE_OF_A_RECORD = "Duplicate of an existing record."


def _confidential_targets(
    session: Session, items: Sequence[SubmissionPublic]
) -> tuple[set[int], set[int]]:
    """The duplicate targets among `items` that belong to a confidential organisation:
    (office ids, submission ids)."""
    office_ids = {i.duplicate_of_office_id for i in items if i.duplicate_of_office_id}
    submission_ids = {i.duplicate_of_submission_id for i in items if i.duplicate_of_submission_id}
    offices: set[int] = set()
    submissions: set[int] = set()
    if office_ids:
        offices = set(
            session.execute(
                select(Office.id)
                .join(Organization, Organization.id == Office.organization_id)
                .where(Office.id.in_(office_ids), Organization.confidential.is_(True))
            ).scalars()
        )
    if submission_ids:
        submissions = set(
            session.execute(
                select(Submission.id)
                .join(Organization, Organization.id == Submission.organization_id)
                .where(Submission.id.in_(submission_ids), Organization.confidential.is_(True))
            ).scalars()
        )
    return offices, submissions


def redacted(session: Session, items: Sequence[SubmissionPublic]) -> list[SubmissionPublic]:
    """`items` as a partner may read them: a duplicate of a confidential record says only
    "duplicate of an existing record"."""
    offices, submissions = _confidential_targets(session, items)
    out = []
    for item in items:
        if item.duplicate_of_office_id in offices or item.duplicate_of_submission_id in submissions:
            item = item.model_copy(
                update={
                    "duplicate_of_office_id": None,
                    "duplicate_of_submission_id": None,
                    "decision_reason": DUPLICATE_OF_A_RECORD,
                }
            )
        out.append(item)
    return out


def own_submission(session: Session, *, submission_id: int, partner: Principal) -> SubmissionPublic:
    """One of the partner's own submissions (else SubmissionNotFound, 404), redacted."""
    sub = queue.get_for_partner(session, submission_id=submission_id, partner=partner)
    (item,) = redacted(session, [queue.submission_public(sub)])
    return item


def own_submissions(
    session: Session,
    *,
    partner: Principal,
    statuses: Sequence[str] = (),
    page: int = 1,
    per_page: int = 50,
) -> PartnerPage:
    """The partner organisation's submissions, newest first (`queue.list_for_partner`),
    redacted."""
    listing = queue.list_for_partner(
        session, partner=partner, statuses=statuses, page=page, per_page=per_page
    )
    return listing.model_copy(update={"items": redacted(session, listing.items)})
