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
from app.review.models import ClosureReason, SubmissionOrigin
from app.verification import outcomes
from app.verification.models import Outcome, VerificationTask
from app.verification.outcomes import CallReport


def record_outcome(
    session: Session,
    *,
    task_id: int,
    report: CallReport,
    actor: Principal,
    now: datetime,
    settings: Settings,
) -> VerificationTask:
    """Record a call's outcome (`verification.outcomes.record_outcome`), then, for a key that
    does not edit directly, queue what the call found for review: changed details as a
    correction, a closed office or a dead number as a closure report."""
    task = outcomes.record_outcome(
        session, task_id=task_id, report=report, actor=actor, now=now, settings=settings
    )
    if actor.edits_directly:
        return task
    proposal = for_review(report, office_id=task.office_id)
    if proposal is None:
        return task
    # A correction counts as a verification of the corrected contact (by the officer, by the
    # call's method, at the call's time) once a reviewer approves all of it.
    verifications = (
        [{"method": report.method.value, "verified_at": now, "verified_by": actor.label}]
        if proposal["kind"] == "correction"
        else []
    )
    try:
        intake.create_submission(
            session,
            proposal=proposal,
            submitter=actor,
            source=call_source(task_id, actor),
            origin=SubmissionOrigin.CALL_OUTCOME,
            settings=settings,
            verifications=verifications,
        )
    except InvalidValue as exc:
        field = _outcome_field(exc.field, report.phone_changes)
        raise InvalidValue(exc.message, field=field) from exc
    return task


def for_review(report: CallReport, *, office_id: int) -> dict[str, Any] | None:
    """The submission a call's findings become: changed details as a correction, a closed
    office or (with a phone) a dead number as a closure report; None for the rest."""
    if report.outcome is Outcome.CHANGED:
        proposal: dict[str, Any] = {
            "kind": "correction",
            "office_id": office_id,
            "note": report.note,
        }
        if report.changes:
            proposal["office"] = dict(report.changes)
        if report.phone_changes:
            proposal["phones"] = [dict(change) for change in report.phone_changes]
        return proposal
    dead_number = report.outcome is Outcome.DISCONNECTED and report.phone_id is not None
    if report.outcome is Outcome.CLOSED or dead_number:
        reason = (
            ClosureReason.NUMBER_DISCONNECTED
            if report.phone_id is not None
            else ClosureReason.CLOSED
        )
        return {
            "kind": "closure",
            "office_id": office_id,
            "reason": reason.value,
            "phone_id": report.phone_id,
            "note": report.note,
        }
    return None


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
