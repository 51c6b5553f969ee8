"""Review-queue tables: one row per NGO (or import) submission, plus its phone numbers for
duplicate matching. A submission is never deleted; deciding it is a status change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.models import (
    Base,
    id_column,
    optional_timestamp_column,
    timestamp_column,
    version_column,
)


class SubmissionKind(StrEnum):
    CORRECTION = "correction"
    NEW_CONTACT = "new_contact"
    CLOSURE = "closure"


class SubmissionOrigin(StrEnum):
    """Who proposes: an NGO partner (its key, through the API or the pages), an organisation
    answering an update request about its own listing (app/outreach), an officer's call
    outcome (app/review/call_outcomes), an import of another directory (app/interop), or a feed
    pulled from another directory's ORAPI (app/interop/feeds). Set
    at intake; approval decides by it, never by `source` or `title`."""

    NGO_PARTNER = "ngo_partner"
    ORGANISATION = "organisation"
    CALL_OUTCOME = "call_outcome"
    IMPORT = "import"
    # Another directory's ORAPI pulled on schedule (app/interop/feeds.py); source "feed: NAME".
    FEED = "feed"


# Imports of another directory's data: the records of one import (or feed) may share a new
# organisation (review.decisions).
IMPORTED_ORIGINS = frozenset({SubmissionOrigin.IMPORT, SubmissionOrigin.FEED})

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


class Submission(Base, kw_only=True):
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
            "origin IN ('ngo_partner','organisation','call_outcome','import','feed')",
            name="origin",
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

    id: Mapped[int] = id_column()
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default=SubmissionStatus.PENDING.value)
    closure_reason: Mapped[str | None] = mapped_column(String(24), default=None)

    # The records it is about (for a new contact: filled in once approved).
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), default=None, index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), default=None)
    phone_id: Mapped[int | None] = mapped_column(ForeignKey("phone.id"), default=None)
    # Where it applies, copied at intake so the queue filters without joins.
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(8), default=None)
    title: Mapped[str] = mapped_column(String(300))
    # Folded organisation + office name of a new contact, for near-duplicate matching.
    name_key: Mapped[str | None] = mapped_column(String(500), default=None)

    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict)
    base: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict)
    base_versions: Mapped[dict[str, int]] = mapped_column(JSON, default_factory=dict)
    base_revision_id: Mapped[int] = mapped_column(default=0)
    # Verifications the source of an import claims (VerificationClaim, oldest first): recorded
    # as verification events when the submission is approved in full.
    verifications: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default_factory=list, server_default="[]"
    )
    # What a tolerant import left out of `changes` (field, path, value as given, reason),
    # shown to reviewers only: see review.findings.
    findings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default_factory=list, server_default="[]"
    )
    note: Mapped[str | None] = mapped_column(Text, default=None)
    origin: Mapped[str] = mapped_column(String(16))
    # Free text for people ("ngo: <key>", "web", "import: <dataset>"); `origin` is the kind.
    source: Mapped[str] = mapped_column(String(200))
    # Matches found at intake (phones, near-identical names); re-checked when opened.
    duplicate_matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default_factory=list)

    submitter_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"), default=None)
    submitter_name: Mapped[str] = mapped_column(String(300))
    submitter_organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id"), default=None
    )
    created_at: Mapped[datetime] = timestamp_column()

    decided_at: Mapped[datetime | None] = optional_timestamp_column()
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_by_key_id: Mapped[int | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # What was applied, path -> value (after the reviewer's selection and edits).
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    duplicate_of_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id"), default=None
    )
    duplicate_of_office_id: Mapped[int | None] = mapped_column(
        ForeignKey("office.id"), default=None
    )

    version: Mapped[int] = version_column()

    __mapper_args__ = {"version_id_col": version}


class SubmissionPhone(Base, kw_only=True):
    """A phone number (E.164) a pending new-contact submission proposes: matched against
    later proposals and existing offices."""

    __tablename__ = "submission_phone"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
