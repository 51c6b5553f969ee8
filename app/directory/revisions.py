"""Revisions: every change to an organisation, office or phone, field by field."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization, Phone, Revision
from app.directory.provenance import Provenance
from app.kit.clock import utcnow

Change = tuple[str, Any, Any]


def _encode(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def decode(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def record(
    session: Session,
    target: Organization | Office | Phone,
    *,
    changes: Iterable[Change],
    provenance: Provenance,
    office: Office | None = None,
) -> list[Revision]:
    """Write one revision per changed field of `target`, all sharing one change id, filed
    under its office and organisation (a phone's `office` is given: its relationship is not
    loaded)."""
    assert target.id is not None
    entity_id = target.id
    if isinstance(target, Organization):
        entity, office_id, organization_id = "organization", None, target.id
    elif isinstance(target, Office):
        entity, office_id, organization_id = "office", target.id, target.organization_id
    else:
        assert office is not None and office.id == target.office_id
        entity, office_id, organization_id = "phone", office.id, office.organization_id
    change_id = str(uuid.uuid4())
    now = utcnow()
    rows = [
        Revision(
            change_id=change_id,
            entity=entity,
            entity_id=entity_id,
            office_id=office_id,
            organization_id=organization_id,
            field=field,
            old_value=_encode(old),
            new_value=_encode(new),
            changed_at=now,
            **asdict(provenance),
        )
        for field, old, new in changes
    ]
    session.add_all(rows)
    return rows


def latest_revision_id(session: Session) -> int:
    """The newest revision's id (0 when none): every change to the directory writes one, so
    a cache keyed by it is never older than the last change."""
    return session.execute(select(func.max(Revision.id))).scalar_one() or 0


def for_office(session: Session, *, office_id: int, organization_id: int) -> Sequence[Revision]:
    """An office's history, including its organisation's changes, oldest first."""
    stmt = (
        select(Revision)
        .where(
            or_(
                Revision.office_id == office_id,
                (Revision.entity == "organization") & (Revision.entity_id == organization_id),
            )
        )
        .order_by(Revision.changed_at, Revision.id)
    )
    return session.execute(stmt).scalars().all()
