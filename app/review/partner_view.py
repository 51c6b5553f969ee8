"""What an NGO partner reads of its own submissions: never a pointer to a confidential record.

A reviewer may close a partner's proposal as a duplicate of a confidential organisation's
office (or of a submission about one). The partner then reads "duplicate of an existing
record": no office or submission id, and not the reviewer's own words, which may name it.
The API and the partner's pages read submissions through here, never `submission_public`
directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.kit.paging import FIRST_PAGE, Page
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
    return (
        _of_confidential(session, Office, office_ids),
        _of_confidential(session, Submission, submission_ids),
    )


def _of_confidential(
    session: Session, model: type[Office] | type[Submission], ids: set[int]
) -> set[int]:
    """Those of `ids` (rows of `model`) whose organisation is confidential."""
    if not ids:
        return set()
    return set(
        session.execute(
            select(model.id)
            .join(Organization, Organization.id == model.organization_id)
            .where(model.id.in_(ids), Organization.confidential.is_(True))
        ).scalars()
    )


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
    page: Page = FIRST_PAGE,
) -> PartnerPage:
    """The partner organisation's own submissions, newest first, with decisions and reasons,
    redacted."""
    conds = [queue.partner_clause(partner)]
    if statuses:
        conds.append(Submission.status.in_(list(statuses)))
    total = session.execute(select(func.count()).select_from(Submission).where(*conds)).scalar_one()
    rows = session.execute(
        page.of(
            select(Submission)
            .where(*conds)
            .order_by(Submission.created_at.desc(), Submission.id.desc())
        )
    ).scalars()
    return PartnerPage(
        items=redacted(session, [queue.submission_public(s) for s in rows]),
        total=total,
        page=page.number,
        per_page=page.size,
        pages=queue.page_count(total, page.size),
    )
