"""My submissions: what the partner's organisation sent, with the reviewers' decisions
(read through app.review.partner_view, so nothing points at a confidential record); one
submission's page shows what was sent beside the values at the time, and withdraws it while
it waits for a reviewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.directory import lookup
from app.directory.errors import OfficeNotFound
from app.kit.models import MAX_ID
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import decisions, partner_view
from app.review.models import SubmissionKind, SubmissionStatus
from app.review.schemas import SubmissionPublic
from app.web import labels
from app.web.i18n import _
from app.web.ngo.proposals import PartnerPage, flow_router
from app.web.session import CheckedForm
from app.web.templating import redirect, render

router = flow_router()

SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/ngo/submissions")
def my_submissions(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organisation's submissions, newest first: status and the reviewer's reasons."""
    listing = partner_view.own_submissions(session, partner=principal, page=Page(page, 50))
    return render(
        request,
        "ngo_submissions.html",
        principal=principal,
        title=_("My submissions"),
        submissions=listing.items,
        total=listing.total,
        page=page,
        has_next=page < listing.pages,
        base={},
        sent=request.query_params.get("sent"),
    )


def _phone_numbers(session: Session, principal: Principal, sub: SubmissionPublic) -> dict[int, str]:
    """The contact's phones, id -> number, so a proposed change to one reads by its number."""
    if sub.office_id is None or sub.kind == SubmissionKind.NEW_CONTACT:
        return {}
    try:
        office = lookup.get_office(session, sub.office_id, viewer=principal)
    except OfficeNotFound:
        return {}
    return {p.id: p.number for p in office.phones if p.id is not None}


@router.get("/ngo/submissions/{submission_id}")
def submission_page(
    request: Request, submission_id: SubmissionId, principal: PartnerPage, session: SessionDep
) -> Response:
    """One submission: each proposed value beside the value at the time, the decision, and
    a Withdraw button while it is pending."""
    sub = partner_view.own_submission(session, submission_id=submission_id, partner=principal)
    phones = _phone_numbers(session, principal, sub)
    rows = [
        (
            labels.path_label(path, phones),
            labels.path_value(path, sub.base.get(path)),
            labels.path_value(path, proposed),
        )
        for path, proposed in sub.changes.items()
    ]
    return render(
        request,
        "ngo_submission.html",
        principal=principal,
        title=_("Submission %(id)s", id=sub.id),
        sub=sub,
        rows=rows,
        pending=sub.status == SubmissionStatus.PENDING,
        withdrawn=request.query_params.get("withdrawn") == "1",
    )


@router.post("/ngo/submissions/{submission_id}/withdraw")
def withdraw(
    request: Request,
    submission_id: SubmissionId,
    principal: PartnerPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Take back a pending submission: it leaves the review queue (409 once decided)."""
    decisions.withdraw(session, submission_id=submission_id, partner=principal)
    return redirect(request, f"/ngo/submissions/{submission_id}?withdrawn=1")
