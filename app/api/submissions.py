"""NGO submissions and the review queue: partners propose, reviewers decide."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel

from app.api.deps import SettingsDep
from app.auth.dependencies import SessionDep, require
from app.kit.models import MAX_ID
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import decisions, intake, partner_view, queue
from app.review.errors import SubmissionTooLarge
from app.review.models import Submission, SubmissionKind, SubmissionOrigin, SubmissionStatus
from app.review.schemas import (
    ApproveRequest,
    CountryCount,
    DuplicateRequest,
    PartnerPage,
    QueuePage,
    RejectRequest,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionReview,
)

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])

Partner = Annotated[Principal, Depends(require("ngo"))]
Reviewer = Annotated[Principal, Depends(require("admin", "reviewer"))]
PartnerOrReviewer = Annotated[Principal, Depends(require("admin", "reviewer", "ngo"))]
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID)]


@dataclass
class Decision:
    """A reviewer's decision on the submission `submission_id` of the path."""

    submission_id: SubmissionId
    reviewer: Reviewer
    session: SessionDep

    def take(
        self,
        decide: Callable[..., Submission],
        body: ApproveRequest | RejectRequest | DuplicateRequest,
        **details: Any,
    ) -> SubmissionPublic:
        """The decision service `decide` run with the body's reason and the version the
        reviewer saw, then the submission as decided."""
        sub = decide(
            self.session,
            submission_id=self.submission_id,
            reviewer=self.reviewer,
            reason=body.reason,
            expected_version=body.version,
            **details,
        )
        return queue.submission_public(sub)


DecisionDep = Annotated[Decision, Depends()]


def _json(model: BaseModel) -> Response:
    """Serialise a service's validated result once (FastAPI would validate it again)."""
    return Response(model.model_dump_json(), media_type="application/json")


async def size_capped(request: Request, settings: SettingsDep) -> None:
    """Refuse a submission body over `max_submission_bytes` with 413 before parsing it."""
    body = await request.body()
    if len(body) > settings.max_submission_bytes:
        raise SubmissionTooLarge(settings.max_submission_bytes)


@router.post(
    "",
    response_model=SubmissionPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(size_capped)],
)
def create_submission(
    body: SubmissionCreate, partner: Partner, session: SessionDep, settings: SettingsDep
) -> SubmissionPublic:
    """Submit a correction, a new contact or a closure report (body discriminated by `kind`).

    Validated with the directory's rules: an invalid field is a 422 naming it and nothing is
    queued. Limited per key (429 with `Retry-After`) and in size (413).
    """
    sub = intake.create_submission(
        session,
        proposal=body,
        submitter=partner,
        source=f"ngo: {partner.label}",
        origin=SubmissionOrigin.NGO_PARTNER,
        settings=settings,
    )
    return queue.submission_public(sub)


@router.get("", response_model=QueuePage | PartnerPage)
def list_submissions(
    viewer: PartnerOrReviewer,
    session: SessionDep,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    region: Annotated[str | None, Query(min_length=4, max_length=8)] = None,
    kind: Annotated[list[SubmissionKind], Query()] = [],  # noqa: B006
    status_: Annotated[list[SubmissionStatus], Query(alias="status")] = [],  # noqa: B006
    older_than_days: Annotated[int | None, Query(ge=0, le=36500)] = None,
    order: Annotated[str, Query(pattern="^(oldest|newest)$")] = "oldest",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Reviewers: the queue, pending and oldest first by default, filtered by country, region,
    kind, status and age (`older_than_days`), with possible duplicates flagged.

    NGO partners: their own organisation's submissions, newest first, with the reviewer's
    decision and reason (filters other than `status` do not apply).
    """
    if viewer.is_ngo:
        mine = partner_view.own_submissions(
            session,
            partner=viewer,
            statuses=[s.value for s in status_],
            page=Page(page, per_page),
        )
        return _json(mine)
    filters = queue.QueueFilters(
        country=country,
        region=region,
        kinds=[k.value for k in kind],
        statuses=[s.value for s in status_] or [SubmissionStatus.PENDING.value],
        older_than_days=older_than_days,
        newest_first=order == "newest",
    )
    return _json(queue.list_queue(session, filters=filters, page=Page(page, per_page)))


@router.get("/counts", response_model=list[CountryCount])
def submission_counts(
    reviewer: Reviewer,
    session: SessionDep,
    status_: Annotated[list[SubmissionStatus], Query(alias="status")] = [],  # noqa: B006
) -> list[CountryCount]:
    """Submissions per country (pending unless `status` says otherwise), most first."""
    statuses = [s.value for s in status_] or [SubmissionStatus.PENDING.value]
    return queue.country_counts(session, statuses=statuses)


@router.get("/{submission_id}", response_model=SubmissionReview | SubmissionPublic)
def get_submission(
    submission_id: SubmissionId,
    viewer: PartnerOrReviewer,
    session: SessionDep,
) -> Response:
    """Reviewers: the field-level diff (value now, proposed, base), the fields that drifted
    since the submission was made with their value now, conflicts and possible duplicates.

    NGO partners: their own submission and its decision; anyone else's is 404. A duplicate
    of a confidential record reads "duplicate of an existing record", with no id or reason.
    """
    if viewer.is_ngo:
        return _json(
            partner_view.own_submission(session, submission_id=submission_id, partner=viewer)
        )
    return _json(queue.review(session, submission_id=submission_id))


@router.post("/{submission_id}/approve", response_model=SubmissionPublic)
def approve_submission(body: ApproveRequest, decision: DecisionDep) -> SubmissionPublic:
    """Approve all fields, or only `fields`, optionally with `edits` (validated again).

    Applied in one transaction through the directory's audited path; revisions cite the
    submission. 409 when a field was changed by someone else since the submission (unless
    listed in `resolve_conflicts`) or when another reviewer decided first; 403 for your own
    key's or organisation's submission.
    """
    return decision.take(
        decisions.approve,
        body,
        fields=body.fields,
        edits=body.edits,
        resolve_conflicts=body.resolve_conflicts,
    )


@router.post("/{submission_id}/reject", response_model=SubmissionPublic)
def reject_submission(body: RejectRequest, decision: DecisionDep) -> SubmissionPublic:
    """Reject with a reason the partner can read. The directory is not touched."""
    return decision.take(decisions.reject, body)


@router.post("/{submission_id}/duplicate", response_model=SubmissionPublic)
def mark_duplicate(body: DuplicateRequest, decision: DecisionDep) -> SubmissionPublic:
    """Close the submission as a duplicate of another submission or of an existing contact."""
    return decision.take(
        decisions.mark_duplicate,
        body,
        of_submission_id=body.of_submission_id,
        of_office_id=body.of_office_id,
    )


@router.post("/{submission_id}/withdraw", response_model=SubmissionPublic)
def withdraw_submission(
    submission_id: SubmissionId, partner: Partner, session: SessionDep
) -> Response:
    """Withdraw one of your organisation's pending submissions: it leaves the review queue
    and changes nothing. 409 when a reviewer already decided it (or it was withdrawn);
    anyone else's submission is 404."""
    decisions.withdraw(session, submission_id=submission_id, partner=partner)
    return _json(partner_view.own_submission(session, submission_id=submission_id, partner=partner))
