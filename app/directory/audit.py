"""The audit view: recent revisions across the directory, newest first, filterable."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization, Phone, Revision
from app.directory.phone_numbers import display
from app.kit.paging import FIRST_PAGE, Page
from app.kit.text import like_anywhere


@dataclass
class RevisionFilters:
    entity: str | None = None  # office, organization, phone
    field: str | None = None
    actor: str | None = None  # substring of the actor label
    source: str | None = None  # exact source, e.g. admin_edit, verification
    office_id: int | None = None
    submission_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(filters: RevisionFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.entity:
        conds.append(Revision.entity == filters.entity)
    if filters.field:
        conds.append(Revision.field == filters.field)
    if filters.actor:
        conds.append(Revision.actor.ilike(like_anywhere(filters.actor), escape="\\"))
    if filters.source:
        conds.append(Revision.source == filters.source)
    if filters.office_id is not None:
        conds.append(Revision.office_id == filters.office_id)
    if filters.submission_id is not None:
        conds.append(Revision.submission_id == filters.submission_id)
    if filters.since is not None:
        conds.append(Revision.changed_at >= filters.since)
    if filters.until is not None:
        conds.append(Revision.changed_at < filters.until)
    return conds


def recent_revisions(
    session: Session, *, filters: RevisionFilters, page: Page = FIRST_PAGE
) -> tuple[list[Revision], bool]:
    """One page of revisions, newest first, and whether another page follows.

    No total count: on a large history a count costs more than the page itself.
    """
    stmt = (
        select(Revision)
        .where(*_conditions(filters))
        .order_by(Revision.changed_at.desc(), Revision.id.desc())
    )
    rows = list(session.execute(page.of(stmt, one_more=True)).scalars())
    return rows[: page.size], len(rows) > page.size


def _office_label(office_name: str | None, organization_name: str) -> str:
    return f"{office_name}, {organization_name}" if office_name else organization_name


def record_names(session: Session, revisions: Sequence[Revision]) -> dict[tuple[str, int], str]:
    """(entity, id) -> what the audit row names: an office as "Lagos office, Example NGO",
    an organisation by its name, a phone by its number and office. Three small queries for a
    page of rows; records of other kinds (keys) are named by their own domain."""
    office_ids = {r.entity_id for r in revisions if r.entity == "office"}
    office_ids |= {r.office_id for r in revisions if r.entity == "phone" and r.office_id}
    organization_ids = {r.entity_id for r in revisions if r.entity == "organization"}
    phone_ids = {r.entity_id for r in revisions if r.entity == "phone"}
    offices: dict[int, str] = {}
    names: dict[tuple[str, int], str] = {}
    if office_ids:
        office_rows = session.execute(
            select(Office.id, Office.name, Organization.name)
            .join(Organization, Organization.id == Office.organization_id)
            .where(Office.id.in_(office_ids))
        )
        offices = {int(i): _office_label(office, org) for i, office, org in office_rows}
        names |= {("office", i): label for i, label in offices.items()}
    if organization_ids:
        organization_rows = session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(organization_ids))
        )
        names |= {("organization", int(i)): name for i, name in organization_rows}
    if phone_ids:
        phone_rows = session.execute(
            select(Phone.id, Phone.number, Phone.office_id).where(Phone.id.in_(phone_ids))
        )
        for i, number, office_id in phone_rows:
            where = offices.get(office_id)
            shown = display(number).international
            names[("phone", int(i))] = f"{shown}, {where}" if where else shown
    return names
