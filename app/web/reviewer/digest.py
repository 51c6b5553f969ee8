"""The per-country digest of overdue and stale offices, as the scheduler last wrote it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app.auth.dependencies import EDITORS, SessionDep
from app.kit.principal import Principal
from app.outreach import reports as outreach
from app.verification import reports
from app.verification.presenter import digest_public
from app.web.i18n import _
from app.web.session import checked_form, require_page
from app.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])
EditorPage = Annotated[Principal, require_page(*EDITORS)]


DIGEST_PER_PAGE = 50


@router.get("/digest")
def digest(
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    page: Annotated[int, Query(ge=1, le=100)] = 1,
) -> Response:
    """Per-country digest of overdue and stale offices, as the scheduler last wrote it;
    the countries with most overdue and stale offices first."""
    rows = [digest_public(d) for d in reports.list_digests(session, country=country, limit=300)]
    latest_day = rows[0].digest_date if rows else None
    latest = [r for r in rows if r.digest_date == latest_day]
    latest.sort(key=lambda r: -(r.counts.get("stale", 0) + r.counts.get("overdue", 0)))
    start = (page - 1) * DIGEST_PER_PAGE
    shown = latest[start : start + DIGEST_PER_PAGE]
    return render(
        request,
        "digest.html",
        principal=principal,
        title=_("Digest"),
        day=latest_day,
        rows=shown,
        outreach=outreach.state_counts_by_country(session, countries=[r.country for r in shown]),
        country_count=len(latest),
        country=country or "",
        page=page,
        has_next=start + DIGEST_PER_PAGE < len(latest),
        base={"country": country},
    )


# ---- the review queue --------------------------------------------------------------------
