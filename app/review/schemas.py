"""Request and response shapes of the review queue.

Intake reuses the directory's own schemas (OfficeUpdate, OrganizationUpdate, PhoneUpdate,
PhoneCreate, OrganizationCreate, OfficeFields — all `extra="forbid"`), so a submission is held
to exactly the rules an admin edit is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.directory.enums import VerificationMethod
from app.directory.schemas import (
    CountryCode,
    OfficeFields,
    OfficeUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    PhoneCreate,
    PhoneUpdate,
    RecordId,
    StoredTime,
    StrictModel,
    VerificationCreate,
    Version,
)
from app.kit.clock import utcnow
from app.kit.errors import Explained
from app.kit.i18n import N_
from app.kit.text import NoteText
from app.review.models import ClosureReason, SubmissionKind, SubmissionStatus

# A field path: `office.city`, `organization.website`, `phones.12.number`, `new_phones.0`.
FieldPath = Annotated[str, Field(min_length=3, max_length=80, pattern=r"^[a-z_]+(\.[a-z0-9_]+)*$")]


# ---- intake ----------------------------------------------------------------------------


def exactly_one(first: str, second: str, message: str) -> Any:
    """A model check: exactly one of the two fields is sent, else `message` (422)."""

    def check(model: BaseModel) -> BaseModel:
        if (getattr(model, first) is None) == (getattr(model, second) is None):
            raise ValueError(message)
        return model

    return model_validator(mode="after")(check)


class PhoneCorrection(PhoneUpdate):
    """Changes to one existing phone of the office; `version` is the phone's version seen."""

    id: RecordId


class CorrectionCreate(StrictModel):
    """Only the fields that change. `office.version` / `organization.version` /
    `phones[].version` record the versions the partner looked at (the current ones if left
    out); a stale one is refused with 409."""

    kind: Literal["correction"]
    office_id: RecordId
    office: OfficeUpdate | None = None
    organization: OrganizationUpdate | None = None
    phones: list[PhoneCorrection] = Field(default_factory=list, max_length=20)
    new_phones: list[PhoneCreate] = Field(default_factory=list, max_length=20)
    note: NoteText | None = None


class NewContactOffice(OfficeFields):
    phones: list[PhoneCreate] = Field(default_factory=list, max_length=20)


class NewContactCreate(StrictModel):
    """A whole new contact: a new organisation (or an existing one by id) and its office."""

    kind: Literal["new_contact"]
    organization: OrganizationCreate | None = None
    organization_id: RecordId | None = None
    office: NewContactOffice
    note: NoteText | None = None

    _one_organization = exactly_one(
        "organization",
        "organization_id",
        "send either 'organization' (a new one) or 'organization_id'",
    )


class NewContactCountryPendingOffice(NewContactOffice):
    country: CountryCode | None = None  # type: ignore[assignment]


class NewContactCountryPending(NewContactCreate):
    """A new contact an import queues without a country, its source giving none (only ever
    built by the intake for an import: see review.findings.country_pending)."""

    office: NewContactCountryPendingOffice


class ClosureCreate(StrictModel):
    """The office closed or moved (it is closed), or one number is disconnected
    (`phone_id`). `version` is the office's version seen (the phone's, for a number)."""

    kind: Literal["closure"]
    office_id: RecordId
    reason: ClosureReason
    phone_id: RecordId | None = None
    version: Version | None = None
    note: NoteText | None = None

    @model_validator(mode="after")
    def _phone_for_number(self) -> ClosureCreate:
        if self.reason is ClosureReason.NUMBER_DISCONNECTED and self.phone_id is None:
            raise ValueError("a disconnected number needs 'phone_id'")
        if self.reason is not ClosureReason.NUMBER_DISCONNECTED and self.phone_id is not None:
            raise ValueError("'phone_id' only goes with reason 'number_disconnected'")
        return self


class VerificationClaim(VerificationCreate):
    """A verification the source of an import says it made (when, by whom, how), held with
    the submission and recorded, at that time and never later, when a reviewer approves all
    of it. Not part of a partner's request body: partners' approvals are `ngo_correction`s."""

    method: VerificationMethod
    verified_at: datetime
    verified_by: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @field_validator("verified_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if (value if value.tzinfo else value.replace(tzinfo=UTC)) > utcnow():
            raise Explained(N_("a verification cannot be in the future"))
        return value


SubmissionCreate = Annotated[
    CorrectionCreate | NewContactCreate | ClosureCreate, Field(discriminator="kind")
]


# ---- decisions -------------------------------------------------------------------------


class ApproveRequest(StrictModel):
    """Approve all proposed fields (`fields` left out) or only some, optionally editing values
    first (`edits`, path -> value, validated again). A field someone else changed since the
    submission needs an explicit `resolve_conflicts` entry to be overwritten."""

    fields: list[FieldPath] | None = Field(default=None, max_length=200)
    edits: dict[FieldPath, Any] = Field(default_factory=dict, max_length=200)
    resolve_conflicts: list[FieldPath] = Field(default_factory=list, max_length=200)
    version: Version | None = None
    reason: NoteText | None = None


class RejectRequest(StrictModel):
    reason: Annotated[NoteText, Field(min_length=1)]
    version: Version | None = None


class DuplicateRequest(StrictModel):
    of_submission_id: RecordId | None = None
    of_office_id: RecordId | None = None
    reason: NoteText | None = None
    version: Version | None = None

    _one_target = exactly_one(
        "of_submission_id", "of_office_id", "send either 'of_submission_id' or 'of_office_id'"
    )


# ---- responses -------------------------------------------------------------------------


class DuplicateMatch(BaseModel):
    """A possible duplicate: an existing office or a pending proposal."""

    kind: Literal["office", "submission"]
    id: int
    reason: Literal["phone", "name"]
    detail: str
    name: str
    similarity: float | None = None


class SubmissionPublic(BaseModel):
    """A submission as its partner sees it: what they proposed and what was decided. Read
    from the stored submission (`model_validate(submission)`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: SubmissionKind
    status: SubmissionStatus
    closure_reason: ClosureReason | None
    office_id: int | None
    organization_id: int | None
    phone_id: int | None
    country: str
    region: str | None
    title: str
    changes: dict[str, Any]
    # The record's values of the changed fields when the submission was made.
    base: dict[str, Any] = Field(default_factory=dict)
    verifications: list[VerificationClaim] = Field(default_factory=list)
    note: str | None
    source: str
    submitter_name: str
    created_at: StoredTime
    decided_at: StoredTime | None
    decision_reason: str | None
    applied: dict[str, Any] | None
    duplicate_of_submission_id: int | None
    duplicate_of_office_id: int | None
    version: int


class SubmissionSummary(BaseModel):
    """One row of the reviewers' queue."""

    id: int
    kind: SubmissionKind
    status: SubmissionStatus
    closure_reason: ClosureReason | None
    country: str
    region: str | None
    title: str
    fields: list[str]
    submitter_name: str
    source: str
    created_at: datetime
    age_days: int
    possible_duplicate: bool
    duplicate_matches: list[DuplicateMatch]
    version: int


class QueuePage(BaseModel):
    items: list[SubmissionSummary]
    total: int
    page: int
    per_page: int
    pages: int


class PartnerPage(BaseModel):
    items: list[SubmissionPublic]
    total: int
    page: int
    per_page: int
    pages: int


class FieldDiff(BaseModel):
    """One proposed field: the value now, the value proposed, the value it was based on."""

    path: str
    entity: str
    entity_id: int | None
    field: str
    current: Any
    proposed: Any
    base: Any
    drifted: bool
    conflict: bool
    changed_at: datetime | None = None
    changed_by: str | None = None
    change_source: str | None = None


class DriftEntry(BaseModel):
    """A field of the submission's records that changed after the submission was made."""

    path: str
    entity: str
    entity_id: int
    field: str
    value_now: Any
    changed_at: datetime
    changed_by: str
    source: str
    proposed_here: bool


class Finding(BaseModel):
    """A value the source gave that failed the directory's checks and was left out of the
    proposal: `field` as the check named it, `path` the change path a reviewer may fill in
    (an edit when approving), `value` as given, and why."""

    field: str
    path: str
    value: Any
    reason: str


class SubmissionReview(BaseModel):
    """What a reviewer opens: the submission, its field-level diff, drift and duplicates, and
    the findings of an import (values left out, for the reviewer to fix)."""

    submission: SubmissionPublic
    submitter_key_id: int | None
    submitter_organization_id: int | None
    base_versions: dict[str, int]
    current_versions: dict[str, int]
    diff: list[FieldDiff]
    drift: list[DriftEntry]
    conflicts: list[str]
    duplicates: list[DuplicateMatch]
    decided_by: str | None
    findings: list[Finding] = Field(default_factory=list)


class CountryCount(BaseModel):
    country: str
    country_name: str
    count: int
    oldest_created_at: datetime
