"""What a verifier does with a task: claim it, then record what the call found (confirmed,
changed, no answer, a dead number, a closure) and what that does to the contact."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import lookup
from app.directory import service as directory
from app.directory.models import Phone
from app.directory.provenance import Provenance
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue
from app.kit.i18n import N_
from app.kit.principal import Principal
from app.verification.errors import TaskClaimedByOther, TaskNotActive
from app.verification.models import (
    ACTIVE_TASK_STATES,
    Outcome,
    OutcomeMethod,
    TaskAttempt,
    TaskState,
    VerificationTask,
)
from app.verification.service import flag_office_stale, record_verification
from app.verification.tasks import effective_state, escalate, get_task, release


@dataclass(frozen=True)
class CallReport:
    """What one call found, as the verifier reports it: the outcome and how it was reached,
    and with `changed` the new details (office fields, phone changes by phone id); with
    `disconnected` optionally which phone."""

    outcome: Outcome
    method: OutcomeMethod = OutcomeMethod.PHONE_CALL
    note: str | None = None
    changes: Mapping[str, Any] | None = None
    phone_changes: Sequence[Mapping[str, Any]] = ()
    phone_id: int | None = None


def claim_task(
    session: Session, *, task_id: int, actor: Principal, now: datetime, settings: Settings
) -> VerificationTask:
    """Claim a task for `settings.task_claim_hours`; the claim then lapses by itself.

    One conditional UPDATE, so two verifiers claiming at once cannot both win.
    """
    claimable = or_(
        VerificationTask.state.in_([TaskState.OPEN.value, TaskState.ESCALATED.value]),
        and_(
            VerificationTask.state == TaskState.CLAIMED.value,
            or_(
                VerificationTask.claim_expires_at <= now,
                VerificationTask.claimed_by == actor.label,
            ),
        ),
    )
    result = session.execute(
        update(VerificationTask)
        .where(VerificationTask.id == task_id, claimable)
        .values(
            state=TaskState.CLAIMED.value,
            claimed_by=actor.label,
            claimed_key_id=actor.key_id,
            claimed_at=now,
            claim_expires_at=now + timedelta(hours=settings.task_claim_hours),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    task = get_task(session, task_id, for_update=True)
    if not result.rowcount:  # type: ignore[attr-defined]
        _raise_unavailable(task, now=now)
    return task


def _raise_unavailable(task: VerificationTask, *, now: datetime) -> None:
    assert task.id is not None
    state = effective_state(task, now=now)
    if state not in ACTIVE_TASK_STATES:
        raise TaskNotActive(task.id, task.state)
    expires = as_utc(task.claim_expires_at)
    assert task.claimed_by is not None and expires is not None
    raise TaskClaimedByOther(task.id, task.claimed_by, expires)


def record_outcome(
    session: Session,
    *,
    task_id: int,
    report: CallReport,
    actor: Principal,
    now: datetime,
    settings: Settings,
) -> VerificationTask:
    """Record what a verifier found. Every outcome is logged as an attempt.

    confirmed / changed verify the office now; no_answer counts an attempt (after
    `no_answer_attempts_to_escalate` on different days the task escalates); wrong_number and
    disconnected make the office stale at once; closed closes it. The last three take the
    office off every sheet immediately.

    Only reviewers and admins change the contact here. For anyone else a changed or dead
    number and a closure only make the office stale at once, so it leaves the sheets; what
    the call found goes to review through `app.review.call_outcomes.record_outcome`.
    """
    outcome, method, note = report.outcome, report.method, report.note
    changes, phone_changes, phone_id = report.changes, report.phone_changes, report.phone_id
    task = get_task(session, task_id, for_update=True)
    state = effective_state(task, now=now)
    if state not in ACTIVE_TASK_STATES:
        raise TaskNotActive(task_id, task.state)
    expires = as_utc(task.claim_expires_at)
    if state is TaskState.CLAIMED and task.claimed_by != actor.label:
        assert task.claimed_by is not None and expires is not None
        raise TaskClaimedByOther(task_id, task.claimed_by, expires)
    office_id = task.office_id
    if outcome is Outcome.CHANGED and not changes and not phone_changes:
        raise InvalidValue(N_("a 'changed' outcome needs the new details"), field="changes")
    if outcome is not Outcome.CHANGED and (changes or phone_changes):
        raise InvalidValue(
            N_("changes are only accepted with the 'changed' outcome"), field="changes"
        )
    if phone_id is not None:
        phone = session.get(Phone, phone_id)
        if phone is None or phone.office_id != office_id:
            raise InvalidValue(
                N_("phone %(id)s is not a phone of this contact"),
                field="phone_id",
                params={"id": phone_id},
            )

    session.add(
        TaskAttempt(
            task_id=task_id,
            office_id=office_id,
            outcome=outcome.value,
            method=method.value,
            note=note,
            actor=actor.label,
            actor_key_id=actor.key_id,
            attempted_at=now,
        )
    )
    task.attempts += 1
    task.last_attempt_at = now
    task.updated_at = now
    provenance = Provenance.by_key(actor, f"verification task #{task_id}: {outcome.value}")

    if outcome is Outcome.NO_ANSWER:
        session.flush()
        days = _no_answer_days(session, task_id=task_id)
        if len(days) >= settings.no_answer_attempts_to_escalate:
            escalate(task, reason=f"no answer on {len(days)} different days", now=now)
        release(task)
        session.flush()
        return task

    _close(task, outcome=outcome, by=actor.label, now=now)
    session.flush()
    # The call verified the office: confirmed, or changed by someone who edits directly.
    verified = outcome is Outcome.CONFIRMED or (outcome is Outcome.CHANGED and actor.edits_directly)
    match outcome:
        case Outcome.CHANGED if not actor.edits_directly:
            if phone_changes:
                flag_office_stale(
                    session,
                    office_id=office_id,
                    reason=f"number changed, sent for review (task #{task_id})",
                    provenance=provenance,
                )
        case Outcome.CHANGED:
            office = lookup.get_office(session, office_id, refresh=True)
            if changes:
                directory.apply_office_changes(
                    session, office=office, changes=changes, provenance=provenance
                )
            for i, change in enumerate(phone_changes):
                values = dict(change)
                target = session.get(Phone, values.pop("id", None) or 0)
                if target is None or target.office_id != office_id:
                    raise InvalidValue(
                        N_("not a phone of this contact"), field=f"phone_changes[{i}].id"
                    )
                directory.apply_phone_changes(
                    session, phone=target, changes=values, provenance=provenance
                )
        case Outcome.WRONG_NUMBER | Outcome.DISCONNECTED:
            reason = outcome.value.replace("_", " ")
            flag_office_stale(
                session,
                office_id=office_id,
                reason=f"{reason} (task #{task_id})",
                provenance=provenance,
            )
            if outcome is Outcome.DISCONNECTED and phone_id is not None and actor.edits_directly:
                directory.close_phone(session, phone_id=phone_id, provenance=provenance)
        case Outcome.CLOSED if not actor.edits_directly:
            flag_office_stale(
                session,
                office_id=office_id,
                reason=f"reported closed, sent for review (task #{task_id})",
                provenance=provenance,
            )
        case Outcome.CLOSED:
            directory.close_office(session, office_id=office_id, provenance=provenance)
    if verified:
        record_verification(
            session,
            office_id=office_id,
            method=method.value,
            verified_by=actor.label,
            note=note,
            provenance=provenance,
        )
    session.flush()
    return task


def _close(task: VerificationTask, *, outcome: Outcome, by: str, now: datetime) -> None:
    task.state = TaskState.DONE.value
    task.outcome = outcome.value
    task.closed_at = now
    task.closed_by = by
    task.claimed_by = None
    task.claimed_key_id = None
    task.claim_expires_at = None


def _no_answer_days(session: Session, *, task_id: int) -> set[str]:
    stamps = session.execute(
        select(TaskAttempt.attempted_at).where(
            TaskAttempt.task_id == task_id, TaskAttempt.outcome == Outcome.NO_ANSWER.value
        )
    ).scalars()
    return {f"{as_utc(s):%Y-%m-%d}" for s in stamps}


def attempts_for(session: Session, *, task_id: int) -> list[TaskAttempt]:
    return list(
        session.execute(
            select(TaskAttempt)
            .where(TaskAttempt.task_id == task_id)
            .order_by(TaskAttempt.attempted_at, TaskAttempt.id)
        ).scalars()
    )
