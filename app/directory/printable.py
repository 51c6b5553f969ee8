"""Which contacts may appear on a printed sheet: the one rule, in SQL and in Python.

An office is printable when its organisation is not confidential and active, the office
itself is active (not closed, not temporarily closed), and its freshness is one of
PRINTABLE_STATES. A printable office shows its active phones only.

Each requirement is written once, as a column and the value it must hold: `clause()` makes it
SQL (sheets, coverage counts, `is_printable`), `holds()` reads it from loaded rows (the
officer preview's reasons, the sheet's phones, the NGO pages, the HSDS import). So "printable"
means the same thing everywhere; tests/directory/test_printable.py holds every output to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.config import Settings
from app.directory.enums import OfficeStatus, PhoneStatus
from app.directory.freshness import (
    PRINTABLE_STATES,
    Freshness,
    freshness_of_office_clause,
    office_freshness,
)
from app.directory.models import Office, Organization, Phone


class ExclusionReason(StrEnum):
    """Why an office was left off a printed sheet (shown to officers only)."""

    CONFIDENTIAL = "confidential"
    ORGANIZATION_CLOSED = "organization_closed"
    CLOSED = "closed"
    TEMPORARILY_CLOSED = "temporarily_closed"
    STALE = "stale"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Requirement:
    """`column` must hold `value`: `clause()` says it in SQL, `holds()` of a loaded row."""

    column: InstrumentedAttribute[Any]
    value: str | bool

    def clause(self) -> ColumnElement[bool]:
        if isinstance(self.value, bool):
            return self.column.is_(self.value)
        return self.column == self.value

    def holds(self, record: Any) -> bool:
        return bool(getattr(record, self.column.key) == self.value)


NOT_CONFIDENTIAL = Requirement(Organization.confidential, False)
ORGANIZATION_ACTIVE = Requirement(Organization.status, "active")
OFFICE_ACTIVE = Requirement(Office.status, OfficeStatus.ACTIVE.value)
# Which of an office's phones a contact shows: the sheet, search, exports, the NGO pages.
PHONE_ACTIVE = Requirement(Phone.status, PhoneStatus.ACTIVE.value)
PHONE_IS_ACTIVE = PHONE_ACTIVE.clause()

# What a printable office's rows must hold, each with the reason an office failing it is left
# out. Confidentiality first, so an officer fixing a stale confidential office never expects
# it on a sheet. ExclusionReason names each office status but active.
_ORGANIZATION_CHECKS: tuple[tuple[Requirement, Callable[[Any], ExclusionReason]], ...] = (
    (NOT_CONFIDENTIAL, lambda _: ExclusionReason.CONFIDENTIAL),
    (ORGANIZATION_ACTIVE, lambda _: ExclusionReason.ORGANIZATION_CLOSED),
)
_OFFICE_CHECKS: tuple[tuple[Requirement, Callable[[Any], ExclusionReason]], ...] = (
    (OFFICE_ACTIVE, ExclusionReason),
)


def phone_is_active(phone: Phone) -> bool:
    """Whether a loaded phone is shown (the Python reading of PHONE_IS_ACTIVE)."""
    return PHONE_ACTIVE.holds(phone)


def active_phones(office: Office) -> list[Phone]:
    """The office's phones that a contact shows, in their loaded order."""
    return [phone for phone in office.phones if phone_is_active(phone)]


def office_is_open_clause() -> ColumnElement[bool]:
    """A WHERE clause (over Office joined to Organization): active office, active
    organisation; confidentiality and freshness left to the caller."""
    return and_(ORGANIZATION_ACTIVE.clause(), OFFICE_ACTIVE.clause())


def printable_freshness_clause(*, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """A WHERE clause (over Office joined to Organization): freshness in PRINTABLE_STATES."""
    return or_(
        *(
            freshness_of_office_clause(state, now=now, settings=settings)
            for state in sorted(PRINTABLE_STATES)
        )
    )


def printable_offices_clause(*, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """A WHERE clause (over Office joined to Organization) selecting printable offices."""
    return and_(
        *(requirement.clause() for requirement, _ in (*_ORGANIZATION_CHECKS, *_OFFICE_CHECKS)),
        printable_freshness_clause(now=now, settings=settings),
    )


def exclusion_reason(
    office: Office, organization: Organization, *, now: datetime, settings: Settings
) -> ExclusionReason | None:
    """Why `office` is not printable, or None when it is (the rows' reading of
    printable_offices_clause)."""
    for checks, record in ((_ORGANIZATION_CHECKS, organization), (_OFFICE_CHECKS, office)):
        for requirement, reason in checks:
            if not requirement.holds(record):
                return reason(getattr(record, requirement.column.key))
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
