"""Outreach state per office: update requests sent, reminded, answered, bounced."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SettingsDep
from app.auth.dependencies import SessionDep, Staff
from app.directory.validation import checked_country
from app.kit.paging import Page
from app.outreach import reports
from app.outreach.models import RequestState
from app.outreach.presenter import outreach_public
from app.outreach.schemas import OutreachPage

router = APIRouter(prefix="/api/v1", tags=["outreach"])


@router.get("/outreach", response_model=OutreachPage)
def list_outreach(
    staff: Staff,
    session: SessionDep,
    settings: SettingsDep,
    country: Annotated[
        str | None, Query(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")
    ] = None,
    state: Annotated[list[RequestState], Query()] = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OutreachPage:
    """Each office's latest update request, newest first, with counts per state (for
    `country`, or everywhere). `enabled` is false while no SMTP host is configured."""
    code = checked_country(country) if country else None
    total, rows = reports.list_latest(
        session, country=code, states=[s.value for s in state], page=Page(page, per_page)
    )
    return OutreachPage(
        enabled=settings.outreach_enabled,
        counts=reports.state_counts(session, country=code),
        items=[outreach_public(req, name) for req, name in rows],
        total=total,
        page=page,
        per_page=per_page,
    )
