"""Recording verifications (the only path that changes `last_verified_at`) and flagging
offices stale after a "wrong number" or "disconnected" outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.directory import revisions
from app.directory.lookup import get_office
from app.directory.models import Office
from app.directory.provenance import Provenance
from app.kit.clock import as_utc, utcnow
from app.kit.errors import InvalidValue
from app.kit.i18n import N_
from app.kit.models import touch
from app.verification.models import (
    ACTIVE_TASK_STATES,
    TaskState,
    VerificationEvent,
    VerificationTask,
)

# Outcome written on a task closed because the office was verified some other way
# (an NGO network confirmation, an admin verification, an approved correction).
VERIFIED_ELSEWHERE = "verified_elsewhere"


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
    """Record that someone confirmed the office is right; clears any stale flag.

    The office's active verification task, if any, is closed: there is nothing left to check.
    """
    now = utcnow()
    at = as_utc(verified_at) or now
    if at > now:
        raise InvalidValue(N_("a verification cannot be in the future"), field="verified_at")
    # Two people confirming one office at once both count: the second waits for the first.
    office: Office = get_office(session, office_id, lock=True)
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
        # A revision records a change: the same method or verifier again is none.
        changes = [(name, old, new) for name, old, new in changes if old != new]
        office.last_verified_at = at
        office.verification_method = method
        office.verified_by = verified_by
        office.verification_note = note
        office.stale_flagged_at = None
        office.stale_reason = None
        touch(office)
        revisions.record(session, office, changes=changes, provenance=provenance)
        close_active_tasks(session, office_id=office_id, outcome=VERIFIED_ELSEWHERE, by=verified_by)
    session.flush()
    return event


def close_active_tasks(
    session: Session,
    *,
    office_id: int,
    outcome: str,
    by: str,
    state: TaskState = TaskState.DONE,
) -> int:
    """Close the office's active task (there is at most one); returns how many were closed."""
    now = utcnow()
    result = session.execute(
        update(VerificationTask)
        .where(
            VerificationTask.office_id == office_id,
            VerificationTask.state.in_([s.value for s in ACTIVE_TASK_STATES]),
        )
        .values(
            state=state.value,
            outcome=outcome,
            closed_at=now,
            closed_by=by,
            claimed_by=None,
            claimed_key_id=None,
            claim_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def flag_office_stale(
    session: Session, *, office_id: int, reason: str, provenance: Provenance
) -> Office:
    """Make an office `stale` at once (it leaves every sheet) and write the revision.

    Only a new verification clears the flag.
    """
    office = get_office(session, office_id, refresh=True)
    now = utcnow()
    old_at, old_reason = as_utc(office.stale_flagged_at), office.stale_reason
    office.stale_flagged_at = now
    office.stale_reason = reason
    touch(office)
    revisions.record(
        session,
        office,
        changes=[("stale_flagged_at", old_at, now), ("stale_reason", old_reason, reason)],
        provenance=provenance,
    )
    session.flush()
    return office
