"""The audit view: recent revisions across the directory, newest first, filterable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.directory.models import Revision
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
    session: Session, *, filters: RevisionFilters, page: int = 1, per_page: int = 50
) -> tuple[list[Revision], bool]:
    """One page of revisions, newest first, and whether another page follows.

    No total count: on a large history a count costs more than the page itself.
    """
    stmt = (
        select(Revision)
        .where(*_conditions(filters))
        .order_by(Revision.changed_at.desc(), Revision.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    )
    rows = list(session.execute(stmt).scalars())
    return rows[:per_page], len(rows) > per_page
