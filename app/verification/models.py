"""Verification tables: events, tasks and their attempts, check history, partner scopes,
per-country digests and the scheduler's own bookkeeping."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import partial_index, sql_in
from app.kit.models import Base, id_column, optional_timestamp_column, timestamp_column


class VerificationEvent(Base, kw_only=True):
    """Someone confirmed an office is right, by a method, at a time. Never edited."""

    __tablename__ = "verification_event"

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    verified_at: Mapped[datetime] = timestamp_column(index=True)
    verified_by: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(2000), default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    source: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(default=None)


class TaskState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ESCALATED = "escalated"
    DONE = "done"
    CANCELLED = "cancelled"


# A task in one of these states is the office's one active task (the partial unique index).
ACTIVE_TASK_STATES = (TaskState.OPEN, TaskState.CLAIMED, TaskState.ESCALATED)
# The predicate of the partial indexes below: "state IN ('open', 'claimed', 'escalated')".
_ACTIVE_SQL = sql_in("state", ACTIVE_TASK_STATES)


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    CHANGED = "changed"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class OutcomeMethod(StrEnum):
    PHONE_CALL = "phone_call"
    EMAIL_REPLY = "email_reply"
    SITE_VISIT = "site_visit"


class CheckKind(StrEnum):
    PHONE = "phone"
    WEBSITE = "website"
    EMAIL = "email"


class VerificationTask(Base, kw_only=True):
    """Work for a person: call (or write to, or visit) an office and record what they found."""

    __tablename__ = "verification_task"
    __table_args__ = (
        CheckConstraint("state IN ('open','claimed','escalated','done','cancelled')", name="state"),
        # At most one active task per office, on SQLite and PostgreSQL alike.
        partial_index(
            "uq_verification_task_active_office", "office_id", where=_ACTIVE_SQL, unique=True
        ),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=TaskState.OPEN.value)
    priority: Mapped[int] = mapped_column(default=0)
    # When the office becomes overdue (or when the task opened, for never-verified offices).
    due_at: Mapped[datetime] = timestamp_column(index=True)
    # The office's freshness when the task was opened or last escalated.
    freshness: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = timestamp_column()
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_key_id: Mapped[int | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = optional_timestamp_column()
    claim_expires_at: Mapped[datetime | None] = optional_timestamp_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = optional_timestamp_column()
    escalated_at: Mapped[datetime | None] = optional_timestamp_column()
    escalation_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    annotations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default_factory=list)
    closed_at: Mapped[datetime | None] = optional_timestamp_column()
    closed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = timestamp_column()


# The worklist's order over active tasks only: a page is the first rows of this index, and a
# count (state too, for a filter on one state) reads nothing else. Partial, so closed tasks
# (which pile up) cost it nothing.
partial_index(
    "ix_verification_task_worklist",
    VerificationTask.priority.desc(),
    VerificationTask.due_at,
    VerificationTask.id,
    VerificationTask.state,
    where=_ACTIVE_SQL,
)
# "Only tasks I claimed": the few live claims, without walking every active task.
partial_index(
    "ix_verification_task_claimed_by", VerificationTask.claimed_by, where="state = 'claimed'"
)


def active_task_clause() -> ColumnElement[bool]:
    """`state IN ('open', 'claimed', 'escalated')` with the states written into the SQL, so
    SQLite and PostgreSQL can match it to the partial indexes' predicate (a bound list
    never matches on SQLite, nor in a generic plan on PostgreSQL)."""
    states = [s.value for s in ACTIVE_TASK_STATES]
    return VerificationTask.state.in_(
        bindparam("active_task_states", states, expanding=True, literal_execute=True)
    )


class TaskAttempt(Base, kw_only=True):
    """One recorded outcome of a task (every no-answer is kept, with its day)."""

    __tablename__ = "task_attempt"

    id: Mapped[int] = id_column()
    task_id: Mapped[int] = mapped_column(ForeignKey("verification_task.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(2000), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(default=None)
    attempted_at: Mapped[datetime] = timestamp_column()


class CheckResult(Base, kw_only=True):
    """One automated check of one office's phone, website or email. Never a verification."""

    __tablename__ = "check_result"
    __table_args__ = (
        CheckConstraint("kind IN ('phone','website','email')", name="kind"),
        Index("ix_check_result_office_kind_checked", "office_id", "kind", "checked_at"),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    phone_id: Mapped[int | None] = mapped_column(ForeignKey("phone.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))
    checked_at: Mapped[datetime] = timestamp_column(index=True)
    ok: Mapped[bool]
    flags: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    status_code: Mapped[int | None] = mapped_column(default=None)
    final_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    elapsed_ms: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict)


class PartnerScope(Base, kw_only=True):
    """A reviewer's rule: may this partner organisation confirm offices in this country?

    Without a rule, a partner may confirm in the countries where its organisation has offices.
    """

    __tablename__ = "partner_scope"
    __table_args__ = (UniqueConstraint("organization_id", "country"),)

    id: Mapped[int] = id_column()
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    country: Mapped[str] = mapped_column(String(2))
    allowed: Mapped[bool]
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = timestamp_column()


class VerificationDigest(Base, kw_only=True):
    """Per-country freshness digest written by the daily escalate job (one per country a day)."""

    __tablename__ = "verification_digest"
    __table_args__ = (UniqueConstraint("country", "digest_date"),)

    id: Mapped[int] = id_column()
    country: Mapped[str] = mapped_column(String(2))
    digest_date: Mapped[str] = mapped_column(String(10), index=True)
    generated_at: Mapped[datetime] = timestamp_column()
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default_factory=dict)
    open_tasks: Mapped[int] = mapped_column(default=0)
    escalated_tasks: Mapped[int] = mapped_column(default=0)
    claimed_tasks: Mapped[int] = mapped_column(default=0)
    oldest_overdue_since: Mapped[datetime | None] = optional_timestamp_column()


class SchedulerInstance(Base, kw_only=True):
    """Heartbeat of one scheduler process: leader or standby."""

    __tablename__ = "scheduler_instance"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int]
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = timestamp_column()
    last_beat_at: Mapped[datetime] = timestamp_column()
    became_leader_at: Mapped[datetime | None] = optional_timestamp_column()


class JobRun(Base, kw_only=True):
    """One run of a scheduler job; (job, slot) is unique so a trigger runs a job once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = id_column()
    job: Mapped[str] = mapped_column(String(40))
    slot: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = timestamp_column()
    finished_at: Mapped[datetime | None] = optional_timestamp_column()
    processed: Mapped[int] = mapped_column(default=0)
    detail: Mapped[str | None] = mapped_column(String(2000), default=None)
