"""Questions about the demo directory (organisations flagged `is_demo`) and its emptiness."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.directory.printable import office_is_open_clause
from app.directory.visibility import not_confidential


def organization_count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Organization)).scalar_one())


def demo_organization_count(session: Session) -> int:
    stmt = select(func.count()).select_from(Organization).where(Organization.is_demo.is_(True))
    return int(session.execute(stmt).scalar_one())


def demo_ngo_for_key(session: Session) -> Organization | None:
    """A non-confidential, active demo NGO with an active office, for a demo `ngo` key."""
    stmt = (
        select(Organization)
        .join(Office, Office.organization_id == Organization.id)
        .where(
            Organization.is_demo.is_(True),
            Organization.category == "ngo",
            not_confidential(),
            office_is_open_clause(),
        )
        .order_by(Organization.id)
        .limit(1)
    )
    return session.execute(stmt).scalars().first()
