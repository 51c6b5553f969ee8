"""The outreach table: one row per update request mailed to an office's address."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import partial_index, sql_in

# The tables a request refers to, registered wherever a request is (a lighter entry point
# such as `python -m app.outreach` or `python -m app.verification` imports no other models).
from app.directory import models as _directory  # noqa: F401
from app.kit.models import Base, id_column, optional_timestamp_column, timestamp_column
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


OPEN_SQL = sql_in("state", OPEN_STATES)
STATE_CHECK = sql_in("state", RequestState)


class OutreachRequest(Base, kw_only=True):
    """An update request: which office, to which address, in which language, and how far it
    got. The links in its mails are stored as SHA-256 hashes only."""

    __tablename__ = "outreach_request"
    __table_args__ = (
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint("answer IS NULL OR answer IN ('confirmed','changed')", name="answer"),
        partial_index("uq_outreach_request_open_office", "office_id", where=OPEN_SQL, unique=True),
        Index("ix_outreach_request_state_next", "state", "next_attempt_at", "id"),
        Index("ix_outreach_request_office_created", "office_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16), default=RequestState.QUEUED.value)
    created_at: Mapped[datetime] = timestamp_column()
    next_attempt_at: Mapped[datetime] = timestamp_column()
    attempts: Mapped[int] = mapped_column(default=0)
    token_hash: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    reminder_token_hash: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)
    claimed_at: Mapped[datetime | None] = optional_timestamp_column()
    sent_at: Mapped[datetime | None] = optional_timestamp_column()
    reminded_at: Mapped[datetime | None] = optional_timestamp_column()
    expires_at: Mapped[datetime | None] = optional_timestamp_column()
    # A handover interrupted before the SMTP server's answer was recorded (see delivery.py).
    delivery_uncertain: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime | None] = optional_timestamp_column()
    answer: Mapped[str | None] = mapped_column(String(16), default=None)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), default=None)
    verification_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_event.id"), default=None
    )
    # Why the request was bounced, withheld or last deferred (the SMTP server's words).
    detail: Mapped[str | None] = mapped_column(String(500), default=None)
    # When the office's call task was told (raised priority) about a bounce or no answer.
    escalated_at: Mapped[datetime | None] = optional_timestamp_column()
    updated_at: Mapped[datetime] = timestamp_column()
