"""Offices that are due for verification, and reading forms out of the answer page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.kit.clock import utcnow
from app.outreach.models import OutreachRequest
from tests.factories import make_office, make_org

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def due_office(
    session: Session,
    *,
    org_email: str | None = "desk@support.example",
    days_ago: int = 170,
    org_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> Office:
    """An office last verified `days_ago` days ago (due at 150), its organisation reachable
    at `org_email` (an office may have its own: `email=`)."""
    org = make_org(session, email=org_email, **(org_overrides or {}))
    return make_office(
        session, org=org, verified_at=utcnow() - timedelta(days=days_ago), **overrides
    )


def tirana_office(session: Session) -> Office:
    """A due office in Albania, its organisation reachable at tirana@support.example."""
    return due_office(
        session,
        org_email="tirana@support.example",
        country="AL",
        region=None,
        city="Tirana",
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def requests_of(session: Session, office_id: int | None) -> list[OutreachRequest]:
    session.expire_all()
    return list(
        session.execute(
            select(OutreachRequest)
            .where(OutreachRequest.office_id == office_id)
            .order_by(OutreachRequest.id)
        ).scalars()
    )
