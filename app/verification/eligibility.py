"""Which offices may be printed for a returnee: the one shared definition.

An office is printable when it is active, its organisation is active and not confidential,
and its freshness is one of PRINTABLE_STATES. Sheets, coverage counts and the officer preview
all use this module, so "printable" means the same thing everywhere.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select
from sqlmodel import Session

from app.config import Settings
from app.directory.enums import OfficeStatus
from app.directory.freshness import PRINTABLE_STATES, Freshness
from app.directory.models import Office, Organization
from app.directory.presenter import office_freshness
from app.directory.search import freshness_of_office_clause
from app.directory.visibility import not_confidential


class ExclusionReason(StrEnum):
    """Why an office was left off a printed sheet (shown to officers only)."""

    CONFIDENTIAL = "confidential"
    ORGANIZATION_CLOSED = "organization_closed"
    CLOSED = "closed"
    TEMPORARILY_CLOSED = "temporarily_closed"
    STALE = "stale"
    UNVERIFIED = "unverified"


def printable_offices_clause(*, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """A WHERE clause (over Office joined to Organization) selecting printable offices."""
    return and_(
        Office.status == OfficeStatus.ACTIVE.value,
        Organization.status == "active",
        not_confidential(),
        or_(
            *(
                freshness_of_office_clause(state, now=now, settings=settings)
                for state in sorted(PRINTABLE_STATES)
            )
        ),
    )


def exclusion_reason(
    office: Office, organization: Organization, *, now: datetime, settings: Settings
) -> ExclusionReason | None:
    """Why `office` is not printable, or None when it is (mirrors printable_offices_clause).

    Confidentiality is checked first: an officer fixing a stale confidential office must
    still never expect it on a sheet.
    """
    if organization.confidential:
        return ExclusionReason.CONFIDENTIAL
    if organization.status != "active":
        return ExclusionReason.ORGANIZATION_CLOSED
    if office.status == OfficeStatus.CLOSED.value:
        return ExclusionReason.CLOSED
    if office.status == OfficeStatus.TEMPORARILY_CLOSED.value:
        return ExclusionReason.TEMPORARILY_CLOSED
    state = office_freshness(office, category=organization.category, now=now, settings=settings)
    if state in PRINTABLE_STATES:
        return None
    if state is Freshness.UNVERIFIED:
        return ExclusionReason.UNVERIFIED
    return ExclusionReason.STALE


def is_printable(session: Session, *, office_id: int, now: datetime, settings: Settings) -> bool:
    """Whether the office would be printed now, by the same query the sheets use."""
    row = session.execute(
        select(Office.id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(Office.id == office_id, printable_offices_clause(now=now, settings=settings))
    ).first()
    return row is not None
