"""The outreach table: one row per update request mailed to an office's address."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

# The tables a request refers to, registered wherever a request is (a lighter entry point
# such as `python -m app.outreach` or `python -m app.verification` imports no other models).
from app.directory import models as _directory  # noqa: F401
from app.kit.models import timestamp_field
from app.review import models as _review  # noqa: F401
from app.verification import models as _verification  # noqa: F401


class RequestState(StrEnum):
    # Waiting for the SMTP server (new, or deferred by it).
    QUEUED = "queued"
    # Committed before the handover to the SMTP server; `sent` once it accepted the mail.
    SENDING = "sending"
    SENT = "sent"
    REMINDING = "reminding"
    REMINDED = "reminded"
    # No answer after the reminder: the call worklist took over (the link still works).
    UNANSWERED = "unanswered"
    ANSWERED = "answered"
    # The SMTP server refused the address when we sent (5xx).
    BOUNCED = "bounced"
    # Not sent: the listing holds a word a mail must not carry (the sheets' blocklist).
    WITHHELD = "withheld"
    EXPIRED = "expired"


class Answer(StrEnum):
    CONFIRMED = "confirmed"
    CHANGED = "changed"


# At most one of these per office (the partial unique index).
OPEN_STATES = (
    RequestState.QUEUED,
    RequestState.SENDING,
    RequestState.SENT,
    RequestState.REMINDING,
    RequestState.REMINDED,
    RequestState.UNANSWERED,
)
# States in which the emailed link may still record an answer (until it expires).
ANSWERABLE_STATES = (
    RequestState.SENDING,
    RequestState.SENT,
    RequestState.REMINDING,
    RequestState.REMINDED,
    RequestState.UNANSWERED,
)


def _in(states: tuple[RequestState, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s.value}'" for s in states) + ")"


OPEN_SQL = _in(OPEN_STATES)
STATE_CHECK = _in(tuple(RequestState))


class OutreachRequest(SQLModel, table=True):
    """An update request: which office, to which address, in which language, and how far it
    got. The links in its mails are stored as SHA-256 hashes only."""

    __tablename__ = "outreach_request"
    __table_args__ = (
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint("answer IS NULL OR answer IN ('confirmed','changed')", name="answer"),
        Index(
            "uq_outreach_request_open_office",
            "office_id",
            unique=True,
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        Index("ix_outreach_request_state_next", "state", "next_attempt_at", "id"),
        Index("ix_outreach_request_office_created", "office_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id")
    organization_id: int = Field(foreign_key="organization.id", index=True)
    country: str = Field(max_length=2, index=True)
    email: str = Field(max_length=320)
    language: str = Field(max_length=3)
    state: str = Field(default=RequestState.QUEUED.value, max_length=16)
    created_at: datetime = timestamp_field()
    next_attempt_at: datetime = timestamp_field()
    attempts: int = 0
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    reminder_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    claimed_at: datetime | None = timestamp_field(nullable=True)
    sent_at: datetime | None = timestamp_field(nullable=True)
    reminded_at: datetime | None = timestamp_field(nullable=True)
    expires_at: datetime | None = timestamp_field(nullable=True)
    # A handover interrupted before the SMTP server's answer was recorded (see delivery.py).
    delivery_uncertain: bool = False
    answered_at: datetime | None = timestamp_field(nullable=True)
    answer: str | None = Field(default=None, max_length=16)
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    verification_event_id: int | None = Field(default=None, foreign_key="verification_event.id")
    # Why the request was bounced, withheld or last deferred (the SMTP server's words).
    detail: str | None = Field(default=None, max_length=500)
    # When the office's call task was told (raised priority) about a bounce or no answer.
    escalated_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()
