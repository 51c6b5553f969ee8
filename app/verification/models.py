"""Verification tables: events, tasks and their attempts, check history, partner scopes,
per-country digests and the scheduler's own bookkeeping."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ColumnElement,
    Index,
    UniqueConstraint,
    bindparam,
    text,
)
from sqlmodel import Field, SQLModel

from app.kit.models import timestamp_field


class VerificationEvent(SQLModel, table=True):
    """Someone confirmed an office is right, by a method, at a time. Never edited."""

    __tablename__ = "verification_event"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    verified_at: datetime = timestamp_field(index=True)
    verified_by: str = Field(max_length=200)
    method: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    approved_by: str | None = Field(default=None, max_length=200)
    source: str = Field(max_length=200)
    actor_key_id: int | None = None


class TaskState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    ESCALATED = "escalated"
    DONE = "done"
    CANCELLED = "cancelled"


# A task in one of these states is the office's one active task (the partial unique index).
ACTIVE_TASK_STATES = (TaskState.OPEN, TaskState.CLAIMED, TaskState.ESCALATED)
# The predicate of the partial indexes below: "state IN ('open', 'claimed', 'escalated')".
_ACTIVE_SQL = "state IN (" + ", ".join(f"'{s.value}'" for s in ACTIVE_TASK_STATES) + ")"


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


class VerificationTask(SQLModel, table=True):
    """Work for a person: call (or write to, or visit) an office and record what they found."""

    __tablename__ = "verification_task"
    __table_args__ = (
        CheckConstraint("state IN ('open','claimed','escalated','done','cancelled')", name="state"),
        # At most one active task per office, on SQLite and PostgreSQL alike.
        Index(
            "uq_verification_task_active_office",
            "office_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    state: str = Field(default=TaskState.OPEN.value, max_length=16)
    priority: int = 0
    # When the office becomes overdue (or when the task opened, for never-verified offices).
    due_at: datetime = timestamp_field(index=True)
    # The office's freshness when the task was opened or last escalated.
    freshness: str = Field(max_length=16)
    opened_at: datetime = timestamp_field()
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_key_id: int | None = None
    claimed_at: datetime | None = timestamp_field(nullable=True)
    claim_expires_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = 0
    last_attempt_at: datetime | None = timestamp_field(nullable=True)
    escalated_at: datetime | None = timestamp_field(nullable=True)
    escalation_reason: str | None = Field(default=None, max_length=200)
    annotations: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    closed_at: datetime | None = timestamp_field(nullable=True)
    closed_by: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=32)
    updated_at: datetime = timestamp_field()


# The worklist's order over active tasks only: a page is the first rows of this index, and a
# count (state too, for a filter on one state) reads nothing else. Partial, so closed tasks
# (which pile up) cost it nothing.
Index(
    "ix_verification_task_worklist",
    VerificationTask.priority.desc(),  # type: ignore[attr-defined]
    VerificationTask.due_at,
    VerificationTask.id,
    VerificationTask.state,
    sqlite_where=text(_ACTIVE_SQL),
    postgresql_where=text(_ACTIVE_SQL),
)
# "Only tasks I claimed": the few live claims, without walking every active task.
Index(
    "ix_verification_task_claimed_by",
    VerificationTask.claimed_by,
    sqlite_where=text("state = 'claimed'"),
    postgresql_where=text("state = 'claimed'"),
)


def active_task_clause() -> ColumnElement[bool]:
    """`state IN ('open', 'claimed', 'escalated')` with the states written into the SQL, so
    SQLite and PostgreSQL can match it to the partial indexes' predicate (a bound list
    never matches on SQLite, nor in a generic plan on PostgreSQL)."""
    states = [s.value for s in ACTIVE_TASK_STATES]
    return VerificationTask.state.in_(  # type: ignore[attr-defined]
        bindparam("active_task_states", states, expanding=True, literal_execute=True)
    )


class TaskAttempt(SQLModel, table=True):
    """One recorded outcome of a task (every no-answer is kept, with its day)."""

    __tablename__ = "task_attempt"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="verification_task.id", index=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    outcome: str = Field(max_length=32)
    method: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    actor: str = Field(max_length=200)
    actor_key_id: int | None = None
    attempted_at: datetime = timestamp_field()


class CheckResult(SQLModel, table=True):
    """One automated check of one office's phone, website or email. Never a verification."""

    __tablename__ = "check_result"
    __table_args__ = (
        CheckConstraint("kind IN ('phone','website','email')", name="kind"),
        Index("ix_check_result_office_kind_checked", "office_id", "kind", "checked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    phone_id: int | None = Field(default=None, foreign_key="phone.id")
    kind: str = Field(max_length=16)
    target: str = Field(max_length=500)
    checked_at: datetime = timestamp_field(index=True)
    ok: bool
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status_code: int | None = None
    final_url: str | None = Field(default=None, max_length=2000)
    elapsed_ms: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PartnerScope(SQLModel, table=True):
    """A reviewer's rule: may this partner organisation confirm offices in this country?

    Without a rule, a partner may confirm in the countries where its organisation has offices.
    """

    __tablename__ = "partner_scope"
    __table_args__ = (UniqueConstraint("organization_id", "country"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    country: str = Field(max_length=2)
    allowed: bool
    set_by: str = Field(max_length=200)
    set_at: datetime = timestamp_field()


class VerificationDigest(SQLModel, table=True):
    """Per-country freshness digest written by the daily escalate job (one per country a day)."""

    __tablename__ = "verification_digest"
    __table_args__ = (UniqueConstraint("country", "digest_date"),)

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=2)
    digest_date: str = Field(max_length=10, index=True)
    generated_at: datetime = timestamp_field()
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    open_tasks: int = 0
    escalated_tasks: int = 0
    claimed_tasks: int = 0
    oldest_overdue_since: datetime | None = timestamp_field(nullable=True)


class SchedulerInstance(SQLModel, table=True):
    """Heartbeat of one scheduler process: leader or standby."""

    __tablename__ = "scheduler_instance"

    instance_id: str = Field(primary_key=True, max_length=64)
    hostname: str = Field(max_length=200)
    pid: int
    role: str = Field(max_length=16)
    started_at: datetime = timestamp_field()
    last_beat_at: datetime = timestamp_field()
    became_leader_at: datetime | None = timestamp_field(nullable=True)


class JobRun(SQLModel, table=True):
    """One run of a scheduler job; (job, slot) is unique so a trigger runs a job once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    slot: str = Field(max_length=64)
    instance_id: str = Field(max_length=64)
    status: str = Field(max_length=16)
    started_at: datetime = timestamp_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    processed: int = 0
    detail: str | None = Field(default=None, max_length=2000)
