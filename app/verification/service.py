"""Recording verifications: the only path that changes `last_verified_at`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.directory import revisions
from app.directory.models import Office
from app.directory.provenance import Provenance
from app.directory.service import get_office
from app.kit.clock import as_utc, utcnow
from app.kit.errors import InvalidValue
from app.kit.models import touch
from app.verification.models import VerificationEvent


def record_verification(
    session: Session,
    *,
    office_id: int,
    method: str,
    verified_by: str,
    provenance: Provenance,
    note: str | None = None,
    verified_at: datetime | None = None,
) -> VerificationEvent:
    """Record that someone confirmed the office is right; clears any stale flag."""
    now = utcnow()
    at = as_utc(verified_at) or now
    if at > now:
        raise InvalidValue("a verification cannot be in the future", field="verified_at")
    office: Office = get_office(session, office_id, for_update=True)
    event = VerificationEvent(
        office_id=office_id,
        verified_at=at,
        verified_by=verified_by,
        method=method,
        note=note,
        approved_by=provenance.approved_by,
        source=provenance.source,
        actor_key_id=provenance.actor_key_id,
    )
    session.add(event)
    previous = as_utc(office.last_verified_at)
    if previous is None or at >= previous:
        changes: list[revisions.Change] = [
            ("last_verified_at", previous, at),
            ("verification_method", office.verification_method, method),
            ("verified_by", office.verified_by, verified_by),
        ]
        if office.stale_flagged_at is not None:
            changes.append(("stale_flagged_at", as_utc(office.stale_flagged_at), None))
        office.last_verified_at = at
        office.verification_method = method
        office.verified_by = verified_by
        office.verification_note = note
        office.stale_flagged_at = None
        office.stale_reason = None
        touch(office)
        revisions.record(
            session,
            entity="office",
            entity_id=office_id,
            office_id=office_id,
            organization_id=office.organization_id,
            changes=changes,
            provenance=provenance,
        )
    session.flush()
    return event
