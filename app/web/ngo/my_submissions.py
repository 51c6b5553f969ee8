"""My submissions: what the partner's organisation sent, with the reviewers' decisions
(read through app.review.partner_view, so nothing points at a confidential record)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.review import partner_view
from app.web.ngo.proposals import PartnerPage, flow_router
from app.web.templating import render

router = flow_router()


@router.get("/ngo/submissions")
def my_submissions(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organisation's submissions, newest first: status and the reviewer's reasons."""
    listing = partner_view.own_submissions(session, partner=principal, page=page, per_page=50)
    return render(
        request,
        "ngo_submissions.html",
        principal=principal,
        title="My submissions",
        submissions=listing.items,
        total=listing.total,
        page=page,
        has_next=page < listing.pages,
        base={},
        sent=request.query_params.get("sent"),
    )
