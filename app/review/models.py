"""Review-queue tables: one row per NGO (or import) submission, plus its phone numbers for
duplicate matching. A submission is never deleted; deciding it is a status change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text
from sqlmodel import Field, SQLModel

from app.kit.models import timestamp_field, version_column


class SubmissionKind(StrEnum):
    CORRECTION = "correction"
    NEW_CONTACT = "new_contact"
    CLOSURE = "closure"


class SubmissionOrigin(StrEnum):
    """Who proposes: an NGO partner (its key, through the API or the pages), an organisation
    answering an update request about its own listing (app/outreach), an officer's call
    outcome (app/review/call_outcomes), or an import of another directory (app/interop). Set
    at intake; approval decides by it, never by `source` or `title`."""

    NGO_PARTNER = "ngo_partner"
    ORGANISATION = "organisation"
    CALL_OUTCOME = "call_outcome"
    IMPORT = "import"


# The organisation itself, or its partner, vouches for the whole record it corrects.
VOUCHING_ORIGINS = frozenset({SubmissionOrigin.NGO_PARTNER, SubmissionOrigin.ORGANISATION})


class SubmissionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    # The partner took it back before a reviewer decided it.
    WITHDRAWN = "withdrawn"


class ClosureReason(StrEnum):
    CLOSED = "closed"
    MOVED = "moved"
    NUMBER_DISCONNECTED = "number_disconnected"


DECIDED_STATUSES = tuple(s for s in SubmissionStatus if s is not SubmissionStatus.PENDING)

_submission_version = version_column()


class Submission(SQLModel, table=True):
    """What a partner (or an import) proposes, and what a reviewer decided about it.

    `changes` maps field paths (`office.city`, `organization.website`, `phones.12.number`,
    `new_phones.0`, for a new contact `organization.name`, `office.phones` …) to proposed,
    already-normalised values; only fields that differ from the record are kept. `base`
    holds the record's values of those paths when the submission was made, and
    `base_versions` the versions (`office`, `organization`, `phone:<id>`), so a reviewer sees
    what drifted since. `base_revision_id` is the newest revision id at intake: revisions
    after it on the same records are the drift.
    """

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint("kind IN ('correction','new_contact','closure')", name="kind"),
        CheckConstraint(
            "status IN ('pending','approved','partially_approved','rejected','duplicate',"
            "'withdrawn')",
            name="status",
        ),
        CheckConstraint(
            "origin IN ('ngo_partner','organisation','call_outcome','import')", name="origin"
        ),
        CheckConstraint(
            "closure_reason IS NULL OR closure_reason IN ('closed','moved','number_disconnected')",
            name="closure_reason",
        ),
        # The queue page: pending first by country/region, oldest first.
        Index("ix_submission_status_created", "status", "created_at", "id"),
        Index("ix_submission_status_country_created", "status", "country", "created_at", "id"),
        Index(
            "ix_submission_status_country_region",
            "status",
            "country",
            "region",
            "created_at",
            "id",
        ),
        # The per-key rate limit counts a key's recent submissions.
        Index("ix_submission_submitter_key_created", "submitter_key_id", "created_at"),
        Index("ix_submission_submitter_org_created", "submitter_organization_id", "created_at"),
    )
    __mapper_args__ = {"version_id_col": _submission_version}

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    status: str = Field(default=SubmissionStatus.PENDING.value, max_length=24)
    closure_reason: str | None = Field(default=None, max_length=24)

    # The records it is about (for a new contact: filled in once approved).
    office_id: int | None = Field(default=None, foreign_key="office.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    phone_id: int | None = Field(default=None, foreign_key="phone.id")
    # Where it applies, copied at intake so the queue filters without joins.
    country: str = Field(max_length=2)
    region: str | None = Field(default=None, max_length=8)
    title: str = Field(max_length=300)
    # Folded organisation + office name of a new contact, for near-duplicate matching.
    name_key: str | None = Field(default=None, max_length=500)

    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base_versions: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    base_revision_id: int = 0
    # Verifications the source of an import claims (VerificationClaim, oldest first): recorded
    # as verification events when the submission is approved in full.
    verifications: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # What a tolerant import left out of `changes` (field, path, value as given, reason),
    # shown to reviewers only: see review.findings.
    findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    note: str | None = Field(default=None, sa_type=Text)
    origin: str = Field(max_length=16)
    # Free text for people ("ngo: <key>", "web", "import: <dataset>"); `origin` is the kind.
    source: str = Field(max_length=200)
    # Matches found at intake (phones, near-identical names); re-checked when opened.
    duplicate_matches: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )

    submitter_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    submitter_name: str = Field(max_length=300)
    submitter_organization_id: int | None = Field(default=None, foreign_key="organization.id")
    created_at: datetime = timestamp_field()

    decided_at: datetime | None = timestamp_field(nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)
    decided_by_key_id: int | None = None
    decision_reason: str | None = Field(default=None, sa_type=Text)
    # What was applied, path -> value (after the reviewer's selection and edits).
    applied: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    duplicate_of_submission_id: int | None = Field(default=None, foreign_key="submission.id")
    duplicate_of_office_id: int | None = Field(default=None, foreign_key="office.id")

    version: int = Field(default=1, sa_column=_submission_version)


class SubmissionPhone(SQLModel, table=True):
    """A phone number (E.164) a pending new-contact submission proposes: matched against
    later proposals and existing offices."""

    __tablename__ = "submission_phone"

    submission_id: int = Field(foreign_key="submission.id", primary_key=True)
    number: str = Field(max_length=20, primary_key=True, index=True)
