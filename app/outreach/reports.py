"""Reading outreach state: each office's latest request, and counts per state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Organization
from app.kit.paging import FIRST_PAGE, Page
from app.outreach.models import OutreachRequest


def _latest_ids(country: str | None) -> Any:
    stmt = select(func.max(OutreachRequest.id)).group_by(OutreachRequest.office_id)
    return stmt.where(OutreachRequest.country == country) if country else stmt


def list_latest(
    session: Session,
    *,
    country: str | None,
    states: Sequence[str] = (),
    page: Page = FIRST_PAGE,
) -> tuple[int, list[tuple[OutreachRequest, str]]]:
    """Each office's latest request (newest first) with its organisation's name, and how
    many there are."""
    where = [OutreachRequest.id.in_(_latest_ids(country))]
    if states:
        where.append(OutreachRequest.state.in_(list(states)))
    total = session.execute(select(func.count()).select_from(OutreachRequest).where(*where))
    rows = session.execute(
        page.of(
            select(OutreachRequest, Organization.name)
            .join(Organization, Organization.id == OutreachRequest.organization_id)
            .where(*where)
            .order_by(OutreachRequest.id.desc())
        )
    ).all()
    return int(total.scalar_one()), [(r, name) for r, name in rows]


def latest_for_office(session: Session, *, office_id: int) -> OutreachRequest | None:
    return session.execute(
        select(OutreachRequest)
        .where(OutreachRequest.office_id == office_id)
        .order_by(OutreachRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def state_counts(session: Session, *, country: str | None = None) -> dict[str, int]:
    """How many offices' latest requests are in each state."""
    rows = session.execute(
        select(OutreachRequest.state, func.count())
        .where(OutreachRequest.id.in_(_latest_ids(country)))
        .group_by(OutreachRequest.state)
    ).all()
    return {state: int(n) for state, n in rows}


def state_counts_by_country(
    session: Session, *, countries: Sequence[str]
) -> dict[str, dict[str, int]]:
    """For each of `countries`, how many offices' latest requests are in each state."""
    if not countries:
        return {}
    latest = select(func.max(OutreachRequest.id)).where(
        OutreachRequest.country.in_(list(countries))
    )
    rows = session.execute(
        select(OutreachRequest.country, OutreachRequest.state, func.count())
        .where(OutreachRequest.id.in_(latest.group_by(OutreachRequest.office_id)))
        .group_by(OutreachRequest.country, OutreachRequest.state)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for country, state, n in rows:
        out.setdefault(country, {})[state] = int(n)
    return out
