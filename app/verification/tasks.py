"""Verification tasks themselves: their priority and state, opening the due ones, noting
failing checks on them, and escalating them. The worklist's listing is `worklist`; claiming a
task and recording what a call found is `outcomes`.

Priorities are a pure function of the office's freshness, the escalation and the failing
automated checks noted on the task, so re-running a job never inflates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import dialect_insert
from app.directory.enums import OfficeStatus
from app.directory.freshness import (
    Freshness,
    freshness_of,
    freshness_of_office_clause,
    office_freshness,
)
from app.directory.models import Office, Organization
from app.directory.printable import ORGANIZATION_ACTIVE
from app.kit.clock import as_utc
from app.verification.errors import TaskNotFound
from app.verification.models import (
    ACTIVE_TASK_STATES,
    TaskState,
    VerificationTask,
)
from app.verification.service import (
    close_active_tasks,
)

BASE_PRIORITY: dict[Freshness, int] = {
    Freshness.VERIFIED: 0,
    Freshness.DUE: 10,
    Freshness.UNVERIFIED: 20,
    Freshness.OVERDUE: 40,
    Freshness.STALE: 60,
}
ESCALATION_BOOST = 30
CHECK_FLAG_BOOST = 15
# Freshness states that need a person to verify the office (stale by age included; offices
# flagged stale by an outcome already had their call).
NEEDS_TASK = (Freshness.UNVERIFIED, Freshness.DUE, Freshness.OVERDUE, Freshness.STALE)
ACTIVE_STATE_VALUES = [s.value for s in ACTIVE_TASK_STATES]


def compute_priority(
    freshness: Freshness | str, *, escalated: bool, annotations: Sequence[Mapping[str, Any]]
) -> int:
    """Higher is more urgent. Each distinct failing check (kind + flag) adds once."""
    flags = {(a.get("kind"), flag) for a in annotations for flag in a.get("flags", [])}
    return (
        BASE_PRIORITY[Freshness(freshness)]
        + (ESCALATION_BOOST if escalated else 0)
        + CHECK_FLAG_BOOST * len(flags)
    )


def effective_state(task: VerificationTask, *, now: datetime) -> TaskState:
    """A claim that has expired counts as released."""
    state = TaskState(task.state)
    expires = as_utc(task.claim_expires_at)
    if state is TaskState.CLAIMED and expires is not None and expires <= now:
        return TaskState.ESCALATED if task.escalated_at else TaskState.OPEN
    return state


# ---- opening due tasks ------------------------------------------------------------------


def _has_active_task() -> Any:
    return exists().where(
        VerificationTask.office_id == Office.id, VerificationTask.state.in_(ACTIVE_STATE_VALUES)
    )


def needs_task_clause(*, now: datetime, settings: Settings) -> Any:
    return and_(
        Office.status != OfficeStatus.CLOSED.value,
        ORGANIZATION_ACTIVE.clause(),
        Office.stale_flagged_at.is_(None),
        or_(*(freshness_of_office_clause(s, now=now, settings=settings) for s in NEEDS_TASK)),
    )


def _next_window(session: Session, after_id: int, until_id: int) -> int | None:
    """Where the window after an empty one starts: just before the next office id, so
    that sparse ids (deleted offices, sequence values spent by rolled-back transactions)
    cost one indexed lookup instead of one empty window per `limit` ids."""
    next_id = session.execute(
        select(func.min(Office.id)).where(Office.id > after_id, Office.id <= until_id)
    ).scalar()
    return None if next_id is None else next_id - 1


def open_due_tasks_batch(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    after_id: int,
    limit: int,
    until_id: int | None = None,
) -> tuple[int | None, int]:
    """Open tasks for offices after `after_id` that need one: the next `limit` of them, or,
    with `until_id`, those in the id window (after_id, after_id + limit].

    Returns (where the next batch starts, tasks opened); (None, 0) when the sweep is done.
    The id window keeps every query a bounded index range (PostgreSQL otherwise plans the
    anti-join over the whole table each batch). The partial unique index makes a concurrent
    or repeated sweep insert nothing twice.
    """
    stmt = (
        select(Office.id, Office.last_verified_at, Organization.category)
        .join(Organization, Organization.id == Office.organization_id)
        .where(Office.id > after_id, needs_task_clause(now=now, settings=settings))
        .order_by(Office.id)
    )
    if until_id is not None:
        if after_id >= until_id:
            return None, 0
        # Two bounded range scans instead of an anti-join, whose plan depends on fresh
        # statistics (a hash anti-join over every task per window when they are stale).
        window = (VerificationTask.office_id > after_id) & (
            VerificationTask.office_id <= after_id + limit
        )
        has_task = set(
            session.execute(
                select(VerificationTask.office_id).where(
                    window, VerificationTask.state.in_(ACTIVE_STATE_VALUES)
                )
            ).scalars()
        )
        stmt = stmt.where(Office.id <= after_id + limit)
        rows = [r for r in session.execute(stmt).all() if r[0] not in has_task]
    else:
        rows = list(session.execute(stmt.where(~_has_active_task()).limit(limit)).all())
    if not rows:
        if until_id is None:
            return None, 0
        return _next_window(session, after_id + limit, until_id), 0
    values = []
    for office_id, last_verified_at, category in rows:
        state = freshness_of(
            last_verified_at=last_verified_at,
            stale_flagged_at=None,
            category=category,
            now=now,
            settings=settings,
        )
        verified = as_utc(last_verified_at)
        due_at = (
            verified + timedelta(days=settings.interval_days_for(category)) if verified else now
        )
        values.append(
            {
                "office_id": office_id,
                "state": TaskState.OPEN.value,
                "priority": compute_priority(state, escalated=False, annotations=[]),
                "due_at": due_at,
                "freshness": state.value,
                "opened_at": now,
                "attempts": 0,
                "annotations": [],
                "updated_at": now,
            }
        )
    # executemany of one cached statement (SQLAlchemy batches it as multi-row VALUES);
    # compiling a fresh 500-row VALUES clause per batch cost more than the database work.
    table = VerificationTask.__table__
    inserted = session.execute(
        dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id), values
    ).all()
    return (rows[-1][0] if until_id is None else after_id + limit), len(inserted)


def get_task(session: Session, task_id: int, *, for_update: bool = False) -> VerificationTask:
    stmt = select(VerificationTask).where(VerificationTask.id == task_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = session.execute(stmt).scalar_one_or_none()
    if task is None:
        raise TaskNotFound(task_id)
    return task


def release(task: VerificationTask) -> None:
    task.state = (TaskState.ESCALATED if task.escalated_at else TaskState.OPEN).value
    task.claimed_by = None
    task.claimed_key_id = None
    task.claimed_at = None
    task.claim_expires_at = None


def escalate(task: VerificationTask, *, reason: str, now: datetime) -> None:
    if task.escalated_at is None:
        task.escalated_at = now
        task.escalation_reason = reason
    if task.state == TaskState.OPEN.value:
        task.state = TaskState.ESCALATED.value
    task.priority = compute_priority(
        task.freshness, escalated=True, annotations=task.annotations or []
    )


# ---- annotations from automated checks ---------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """What an office's task is told: a failing check, or an update request that failed;
    `details` are what the worklist shows besides."""

    source: str
    kind: str
    target: str
    flags: Sequence[str]
    details: Mapping[str, Any] = field(default_factory=dict)

    def stored(self, now: datetime) -> dict[str, Any]:
        """As kept in the task's annotations (JSON)."""
        return {
            "at": now.isoformat(),
            "source": self.source,
            "kind": self.kind,
            "target": self.target,
            "flags": list(self.flags),
            **self.details,
        }


def annotate_office_task(
    session: Session, *, office_id: int, note: Annotation, now: datetime
) -> VerificationTask | None:
    """Note a failing check on the office's active task and raise its priority.

    The same failure (kind, target, flags) is noted once, so nightly re-checks do not keep
    raising the priority. Returns the task, or None when the office has no active task.
    """
    annotation = note.stored(now)
    task = session.execute(
        select(VerificationTask).where(
            VerificationTask.office_id == office_id, VerificationTask.state.in_(ACTIVE_STATE_VALUES)
        )
    ).scalar_one_or_none()
    if task is None:
        return None
    key = (annotation.get("kind"), annotation.get("target"), tuple(annotation.get("flags", [])))
    existing = {
        (a.get("kind"), a.get("target"), tuple(a.get("flags", []))) for a in task.annotations
    }
    if key in existing:
        return task
    # Reassign, not append: a mutated JSON list is not seen as a change.
    task.annotations = [*task.annotations, annotation]
    task.priority = compute_priority(
        task.freshness, escalated=task.escalated_at is not None, annotations=task.annotations
    )
    return task


# ---- escalation -------------------------------------------------------------------------


def escalate_batch(
    session: Session, *, now: datetime, settings: Settings, after_id: int, limit: int
) -> tuple[int | None, int]:
    """Re-assess the next `limit` active tasks: refresh freshness and priority, escalate
    those whose office went stale, release lapsed claims, close tasks of closed offices.

    Returns (last task id seen, tasks changed); (None, 0) when done. Idempotent.
    """
    rows = session.execute(
        select(VerificationTask, Office, Organization)
        .join(Office, Office.id == VerificationTask.office_id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(VerificationTask.id > after_id, VerificationTask.state.in_(ACTIVE_STATE_VALUES))
        .order_by(VerificationTask.id)
        .limit(limit)
        .with_for_update(of=VerificationTask)
    ).all()
    if not rows:
        return None, 0
    changed = 0
    for task, office, org in rows:
        before = (task.state, task.priority, task.freshness, task.escalated_at)
        if office.status == OfficeStatus.CLOSED.value or not ORGANIZATION_ACTIVE.holds(org):
            assert office.id is not None
            close_active_tasks(
                session,
                office_id=office.id,
                outcome="office_closed",
                by="scheduler",
                state=TaskState.CANCELLED,
            )
            changed += 1
            continue
        state = office_freshness(office, category=org.category, now=now, settings=settings)
        task.freshness = state.value
        if effective_state(task, now=now) is not TaskState(task.state):
            release(task)
        if state is Freshness.STALE:
            escalate(task, reason="the contact went stale", now=now)
        task.priority = compute_priority(
            state, escalated=task.escalated_at is not None, annotations=task.annotations
        )
        if (task.state, task.priority, task.freshness, task.escalated_at) != before:
            task.updated_at = now
            changed += 1
    session.flush()
    return rows[-1][0].id, changed
