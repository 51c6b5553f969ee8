"""The worklist: opening due tasks, claiming them, recording outcomes, escalating.

Priorities are a pure function of the office's freshness, the escalation and the failing
automated checks noted on the task, so re-running a job never inflates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import service as directory
from app.directory.enums import OfficeStatus
from app.directory.freshness import (
    Freshness,
    freshness_of,
    freshness_of_office_clause,
    office_freshness,
)
from app.directory.models import Office, Organization, Phone
from app.directory.printable import ORGANIZATION_ACTIVE, PHONE_IS_ACTIVE
from app.directory.provenance import Provenance
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.verification.errors import TaskClaimedByOther, TaskNotActive, TaskNotFound
from app.verification.models import (
    ACTIVE_TASK_STATES,
    Outcome,
    OutcomeMethod,
    TaskAttempt,
    TaskState,
    VerificationTask,
    active_task_clause,
)
from app.verification.service import (
    close_active_tasks,
    flag_office_stale,
    record_verification,
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
_ACTIVE = [s.value for s in ACTIVE_TASK_STATES]


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
        VerificationTask.office_id == Office.id, VerificationTask.state.in_(_ACTIVE)
    )


def needs_task_clause(*, now: datetime, settings: Settings) -> Any:
    return and_(
        Office.status != OfficeStatus.CLOSED.value,
        ORGANIZATION_ACTIVE.clause(),
        Office.stale_flagged_at.is_(None),
        or_(*(freshness_of_office_clause(s, now=now, settings=settings) for s in NEEDS_TASK)),
    )


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


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
                    window, VerificationTask.state.in_(_ACTIVE)
                )
            ).scalars()
        )
        stmt = stmt.where(Office.id <= after_id + limit)
        rows = [r for r in session.execute(stmt).all() if r[0] not in has_task]
    else:
        rows = list(session.execute(stmt.where(~_has_active_task()).limit(limit)).all())
    if not rows:
        return (None, 0) if until_id is None else (after_id + limit, 0)
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
        _insert(session, table).on_conflict_do_nothing().returning(table.c.id), values
    ).all()
    return (rows[-1][0] if until_id is None else after_id + limit), len(inserted)


# ---- the worklist -----------------------------------------------------------------------


@dataclass
class TaskFilters:
    country: str | None = None
    region: str | None = None
    min_priority: int | None = None
    due_before: datetime | None = None
    states: list[str] = field(default_factory=list)
    claimed_by: str | None = None


@dataclass
class TaskRow:
    task: VerificationTask
    office: Office
    organization: Organization
    phones: list[Phone]


@dataclass
class TaskListing:
    """One page of the worklist."""

    rows: list[TaskRow]
    # Tasks matching the filters; with a count limit, at most that many (see `at_least`).
    total: int
    # True when the count stopped at the limit: there are `total` tasks or more.
    at_least: bool
    has_next: bool


# The worklist's order; ix_verification_task_worklist holds active tasks in it.
WORKLIST_ORDER = (VerificationTask.priority.desc(), VerificationTask.due_at, VerificationTask.id)


def _worklist_conditions(filters: TaskFilters, *, now: datetime) -> tuple[list[Any], list[Any]]:
    """(conditions on the task, conditions on its office)."""
    states = filters.states or _ACTIVE
    conds: list[Any] = [VerificationTask.state.in_(states)] if filters.states else []
    only_active = set(states) <= set(_ACTIVE)
    if only_active:
        # The partial indexes' own predicate, so the planner may use them.
        conds.append(active_task_clause())
    if filters.min_priority is not None:
        conds.append(VerificationTask.priority >= filters.min_priority)
    if filters.due_before is not None:
        conds.append(VerificationTask.due_at < filters.due_before)
    if filters.claimed_by is not None:
        conds.append(VerificationTask.claimed_by == filters.claimed_by)
        conds.append(VerificationTask.claim_expires_at > now)
        if only_active:
            # An active task with a claimant is a claimed one (a release clears the claim);
            # saying so lets ix_verification_task_claimed_by find the few live claims.
            conds.append(
                VerificationTask.state
                == bindparam("claimed_state", TaskState.CLAIMED.value, literal_execute=True)
            )
    office_conds: list[Any] = []
    if filters.country:
        office_conds.append(Office.country == filters.country.upper())
    if filters.region:
        office_conds.append(Office.region == filters.region.upper())
    return conds, office_conds


def _active_phones(session: Session, office_ids: Sequence[int]) -> dict[int, list[Phone]]:
    phones: dict[int, list[Phone]] = {}
    if office_ids:
        for phone in session.execute(
            select(Phone)
            .where(Phone.office_id.in_(office_ids), PHONE_IS_ACTIVE)
            .order_by(*directory.PHONE_ORDER)
        ).scalars():
            phones.setdefault(phone.office_id, []).append(phone)
    return phones


def list_tasks(
    session: Session,
    *,
    filters: TaskFilters,
    now: datetime,
    page: int = 1,
    per_page: int = 50,
    count_limit: int | None = None,
) -> TaskListing:
    """Active tasks (by default), most urgent first, then by due date.

    The page's ids come first, from the worklist index (offices are joined only to filter
    by place), then only those rows are loaded with their office, organisation and phones.
    The total is counted from the same index, and not at all when the page shows the end
    of the list; with `count_limit` the count stops there (`at_least` then says so).
    """
    conds, office_conds = _worklist_conditions(filters, now=now)
    matching = select(VerificationTask.id).where(*conds)
    if office_conds:
        matching = matching.join(Office, Office.id == VerificationTask.office_id).where(
            *office_conds
        )
    offset = (page - 1) * per_page
    ids = list(
        session.execute(
            matching.order_by(*WORKLIST_ORDER).limit(per_page + 1).offset(offset)
        ).scalars()
    )
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    if not has_next and (ids or offset == 0):
        total, at_least = offset + len(ids), False
    else:
        counted = matching if count_limit is None else matching.limit(count_limit)
        total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
        at_least = count_limit is not None and total >= count_limit
    loaded = {
        task.id: (task, office, org)
        for task, office, org in session.execute(
            select(VerificationTask, Office, Organization)
            .join(Office, Office.id == VerificationTask.office_id)
            .join(Organization, Organization.id == Office.organization_id)
            .where(VerificationTask.id.in_(ids))
        ).all()
    }
    rows = [loaded[i] for i in ids if i in loaded]
    phones = _active_phones(session, [office.id or 0 for _, office, _ in rows])
    return TaskListing(
        rows=[
            TaskRow(task=t, office=o, organization=org, phones=phones.get(o.id or 0, []))
            for t, o, org in rows
        ],
        total=int(total),
        at_least=at_least,
        has_next=has_next,
    )


def get_task(session: Session, task_id: int, *, for_update: bool = False) -> VerificationTask:
    stmt = select(VerificationTask).where(VerificationTask.id == task_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = session.execute(stmt).scalar_one_or_none()
    if task is None:
        raise TaskNotFound(task_id)
    return task


def task_row(session: Session, task_id: int) -> TaskRow:
    task = get_task(session, task_id)
    office = session.get(Office, task.office_id)
    assert office is not None
    org = session.get(Organization, office.organization_id)
    assert org is not None
    phones = _active_phones(session, [task.office_id]).get(task.office_id, [])
    return TaskRow(task=task, office=office, organization=org, phones=phones)


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


def _release(task: VerificationTask) -> None:
    task.state = (TaskState.ESCALATED if task.escalated_at else TaskState.OPEN).value
    task.claimed_by = None
    task.claimed_key_id = None
    task.claimed_at = None
    task.claim_expires_at = None


def _escalate(task: VerificationTask, *, reason: str, now: datetime) -> None:
    if task.escalated_at is None:
        task.escalated_at = now
        task.escalation_reason = reason
    if task.state == TaskState.OPEN.value:
        task.state = TaskState.ESCALATED.value
    task.priority = compute_priority(
        task.freshness, escalated=True, annotations=task.annotations or []
    )


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
    """Record what a verifier found. Every outcome is logged as an attempt.

    confirmed / changed verify the office now; no_answer counts an attempt (after
    `no_answer_attempts_to_escalate` on different days the task escalates); wrong_number and
    disconnected make the office stale at once; closed closes it. The last three take the
    office off every sheet immediately.

    Only reviewers and admins change the contact here. For anyone else a changed or dead
    number and a closure only make the office stale at once, so it leaves the sheets; what
    the call found goes to review through `app.review.call_outcomes.record_outcome`.
    """
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
        raise InvalidValue("a 'changed' outcome needs the new details", field="changes")
    if outcome is not Outcome.CHANGED and (changes or phone_changes):
        raise InvalidValue("changes are only accepted with the 'changed' outcome", field="changes")
    if phone_id is not None:
        phone = session.get(Phone, phone_id)
        if phone is None or phone.office_id != office_id:
            raise InvalidValue(f"phone {phone_id} is not a phone of this contact", field="phone_id")

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
    provenance = Provenance(
        actor=actor.label,
        source=f"verification task #{task_id}: {outcome.value}",
        actor_key_id=actor.key_id,
        approved_by=actor.label,
    )

    if outcome is Outcome.NO_ANSWER:
        session.flush()
        days = _no_answer_days(session, task_id=task_id)
        if len(days) >= settings.no_answer_attempts_to_escalate:
            _escalate(task, reason=f"no answer on {len(days)} different days", now=now)
        _release(task)
        session.flush()
        return task

    _close(task, outcome=outcome, by=actor.label, now=now)
    session.flush()
    match outcome:
        case Outcome.CONFIRMED:
            record_verification(
                session,
                office_id=office_id,
                method=method.value,
                verified_by=actor.label,
                note=note,
                provenance=provenance,
            )
        case Outcome.CHANGED if not actor.edits_directly:
            if phone_changes:
                flag_office_stale(
                    session,
                    office_id=office_id,
                    reason=f"number changed, sent for review (task #{task_id})",
                    provenance=provenance,
                )
        case Outcome.CHANGED:
            office = directory.get_office(session, office_id, refresh=True)
            if changes:
                directory.apply_office_changes(
                    session, office=office, changes=changes, provenance=provenance
                )
            for i, change in enumerate(phone_changes):
                values = dict(change)
                target = session.get(Phone, values.pop("id", None) or 0)
                if target is None or target.office_id != office_id:
                    raise InvalidValue(
                        "not a phone of this contact", field=f"phone_changes[{i}].id"
                    )
                directory.apply_phone_changes(
                    session, phone=target, changes=values, provenance=provenance
                )
            record_verification(
                session,
                office_id=office_id,
                method=method.value,
                verified_by=actor.label,
                note=note,
                provenance=provenance,
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


# ---- annotations from automated checks ---------------------------------------------------


def annotate_office_task(
    session: Session, *, office_id: int, annotation: dict[str, Any]
) -> VerificationTask | None:
    """Note a failing check on the office's active task and raise its priority.

    The same failure (kind, target, flags) is noted once, so nightly re-checks do not keep
    raising the priority. Returns the task, or None when the office has no active task.
    """
    task = session.execute(
        select(VerificationTask).where(
            VerificationTask.office_id == office_id, VerificationTask.state.in_(_ACTIVE)
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
        .where(VerificationTask.id > after_id, VerificationTask.state.in_(_ACTIVE))
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
            _release(task)
        if state is Freshness.STALE:
            _escalate(task, reason="the contact went stale", now=now)
        task.priority = compute_priority(
            state, escalated=task.escalated_at is not None, annotations=task.annotations
        )
        if (task.state, task.priority, task.freshness, task.escalated_at) != before:
            task.updated_at = now
            changed += 1
    session.flush()
    return rows[-1][0].id, changed
