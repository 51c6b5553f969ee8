"""The worklist: active verification tasks filtered by place, priority and claimant, most
urgent first, each with its office, organisation and active phones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.directory import service
from app.directory.models import Office, Organization, Phone
from app.directory.printable import PHONE_IS_ACTIVE
from app.kit.paging import FIRST_PAGE, Page
from app.verification.models import TaskState, VerificationTask, active_task_clause
from app.verification.tasks import ACTIVE_STATE_VALUES, get_task


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
    states = filters.states or ACTIVE_STATE_VALUES
    conds: list[Any] = [VerificationTask.state.in_(states)] if filters.states else []
    only_active = set(states) <= set(ACTIVE_STATE_VALUES)
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
            .order_by(*service.PHONE_ORDER)
        ).scalars():
            phones.setdefault(phone.office_id, []).append(phone)
    return phones


def list_tasks(
    session: Session,
    *,
    filters: TaskFilters,
    now: datetime,
    page: Page = FIRST_PAGE,
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
    ids = list(
        session.execute(page.of(matching.order_by(*WORKLIST_ORDER), one_more=True)).scalars()
    )
    has_next = len(ids) > page.size
    ids = ids[: page.size]
    if not has_next and (ids or page.offset == 0):
        total, at_least = page.offset + len(ids), False
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


def task_row(session: Session, task_id: int) -> TaskRow:
    task = get_task(session, task_id)
    office = session.get(Office, task.office_id)
    assert office is not None
    org = session.get(Organization, office.organization_id)
    assert org is not None
    phones = _active_phones(session, [task.office_id]).get(task.office_id, [])
    return TaskRow(task=task, office=office, organization=org, phones=phones)
