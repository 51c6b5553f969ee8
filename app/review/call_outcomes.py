"""What an officer's call found that would change a contact goes to the review queue.

Only reviewers and admins change contacts directly (`Principal.edits_directly`). When an
officer records `changed`, `closed` or a `disconnected` number, the new details become a
submission through the review queue's own intake (the one an NGO correction goes through),
with the task and the officer named as its source; the call itself stays recorded as the
task's outcome. What makes a contact unsafe to print (a number that no longer reaches it, an
office said to be closed) still takes it off the sheets at once, as a freshness flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.config import Settings
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.review import intake
from app.review.models import ClosureReason, Submission, SubmissionOrigin
from app.verification import outcomes
from app.verification.models import Outcome, OutcomeMethod, VerificationTask


def record_outcome(
    session: Session,
    *,
    task_id: int,
    outcome: Outcome,
    method: OutcomeMethod,
    actor: Principal,
    now: datetime,
    settings: Settings,
    note: str | None = None,
    changes: Mapping[str, Any] | None = None,
    phone_changes: Sequence[Mapping[str, Any]] = (),
    phone_id: int | None = None,
) -> VerificationTask:
    """Record a call's outcome (`verification.outcomes.record_outcome`), then, for a key that
    does not edit directly, queue what the call found for review: changed details as a
    correction, a closed office or a dead number as a closure report."""
    task = outcomes.record_outcome(
        session,
        task_id=task_id,
        outcome=outcome,
        method=method,
        actor=actor,
        now=now,
        settings=settings,
        note=note,
        changes=changes,
        phone_changes=phone_changes,
        phone_id=phone_id,
    )
    if actor.edits_directly:
        return task
    if outcome is Outcome.CHANGED:
        queue_correction(
            session,
            task_id=task_id,
            office_id=task.office_id,
            actor=actor,
            method=method,
            note=note,
            changes=changes,
            phone_changes=phone_changes,
            now=now,
            settings=settings,
        )
    elif outcome is Outcome.CLOSED or (outcome is Outcome.DISCONNECTED and phone_id is not None):
        queue_closure(
            session,
            task_id=task_id,
            office_id=task.office_id,
            actor=actor,
            note=note,
            phone_id=phone_id,
            settings=settings,
        )
    return task


def call_source(task_id: int, actor: Principal) -> str:
    """The submission's source: which call it came from and who made it."""
    return f"call outcome, task #{task_id}, by {actor.name}"[:200]


def _outcome_field(field: str | None, phone_changes: Sequence[Mapping[str, Any]]) -> str:
    """The outcome body's name for an intake error's field, as a reviewer's direct change
    names it (`office.website` is `website`, `phones.<index or id>.number` is
    `phone_changes[<index>].number`)."""
    if not field or field == "body":
        return "changes"
    if field.startswith("office."):
        return field.removeprefix("office.")
    match = re.match(r"^phones\.(\d+)(.*)$", field)
    if match:
        number, rest = int(match.group(1)), match.group(2)
        ids = [change.get("id") for change in phone_changes]
        index = ids.index(number) if number in ids else number
        return f"phone_changes[{index}]{rest}"
    return field


def _queued(
    session: Session,
    *,
    proposal: dict[str, Any],
    task_id: int,
    actor: Principal,
    settings: Settings,
    verifications: Sequence[Mapping[str, Any]] = (),
    phone_changes: Sequence[Mapping[str, Any]] = (),
) -> Submission:
    try:
        return intake.create_submission(
            session,
            proposal=proposal,
            submitter=actor,
            source=call_source(task_id, actor),
            origin=SubmissionOrigin.CALL_OUTCOME,
            settings=settings,
            verifications=verifications,
        )
    except InvalidValue as exc:
        raise InvalidValue(exc.message, field=_outcome_field(exc.field, phone_changes)) from exc


def queue_correction(
    session: Session,
    *,
    task_id: int,
    office_id: int,
    actor: Principal,
    method: OutcomeMethod,
    note: str | None,
    changes: Mapping[str, Any] | None,
    phone_changes: Sequence[Mapping[str, Any]],
    now: datetime,
    settings: Settings,
) -> Submission:
    """Queue the details a call found changed as a correction for review.

    The call counts as a verification of the corrected contact (by the officer, by the
    call's method, at the call's time) once a reviewer approves all of it.
    """
    proposal: dict[str, Any] = {"kind": "correction", "office_id": office_id, "note": note}
    if changes:
        proposal["office"] = dict(changes)
    if phone_changes:
        proposal["phones"] = [dict(change) for change in phone_changes]
    claim = {"method": method.value, "verified_at": now, "verified_by": actor.label}
    return _queued(
        session,
        proposal=proposal,
        task_id=task_id,
        actor=actor,
        settings=settings,
        verifications=[claim],
        phone_changes=phone_changes,
    )


def queue_closure(
    session: Session,
    *,
    task_id: int,
    office_id: int,
    actor: Principal,
    note: str | None,
    phone_id: int | None,
    settings: Settings,
) -> Submission:
    """Queue a closure report: the office closed, or (with `phone_id`) one number is dead."""
    reason = ClosureReason.NUMBER_DISCONNECTED if phone_id is not None else ClosureReason.CLOSED
    proposal = {
        "kind": "closure",
        "office_id": office_id,
        "reason": reason.value,
        "phone_id": phone_id,
        "note": note,
    }
    return _queued(session, proposal=proposal, task_id=task_id, actor=actor, settings=settings)
