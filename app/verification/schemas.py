"""API shapes for the worklist, outcomes, confirmations, reports, digests and checks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.directory.schemas import OfficeUpdate, PhoneUpdate, StoredTime
from app.verification.models import Outcome, OutcomeMethod


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhoneChange(PhoneUpdate):
    id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class OutcomeCreate(_Strict):
    outcome: Outcome
    method: OutcomeMethod
    note: Annotated[str, Field(max_length=2000)] | None = None
    # For `changed`: the office's new details (as in PATCH /contacts/{id}, without version).
    changes: OfficeUpdate | None = None
    phone_changes: list[PhoneChange] = Field(default_factory=list, max_length=20)
    # For `disconnected`: which number is dead (it is marked disconnected).
    phone_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class ConfirmationCreate(_Strict):
    note: Annotated[str, Field(max_length=2000)] | None = None


class TaskPhone(BaseModel):
    id: int
    number: str
    kind: str


class TaskPublic(BaseModel):
    id: int
    office_id: int
    office_name: str | None
    organization_name: str
    category: str
    country: str
    region: str | None
    phones: list[TaskPhone]
    email: str | None
    website: str | None
    state: str
    priority: int
    due_at: datetime
    freshness: str
    opened_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    attempts: int
    last_attempt_at: datetime | None
    escalated_at: datetime | None
    escalation_reason: str | None
    annotations: list[dict[str, Any]]
    outcome: str | None
    closed_at: datetime | None


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int
    page: int
    per_page: int


class FreshnessRow(BaseModel):
    region: str | None = None
    region_name: str | None = None
    country: str | None = None
    category: str
    counts: dict[str, int]
    total: int


class FreshnessReport(BaseModel):
    country: str | None
    rows: list[FreshnessRow]
    totals: dict[str, int]
    generated_at: datetime


class DigestPublic(BaseModel):
    """Read from the stored digest (`model_validate`)."""

    model_config = ConfigDict(from_attributes=True)

    country: str
    digest_date: str
    generated_at: StoredTime
    counts: dict[str, int]
    open_tasks: int
    escalated_tasks: int
    claimed_tasks: int
    oldest_overdue_since: StoredTime | None


class CheckResultPublic(BaseModel):
    """Read from the stored check result (`model_validate`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    target: str
    phone_id: int | None
    checked_at: StoredTime
    ok: bool
    flags: list[str]
    status_code: int | None
    final_url: str | None
    elapsed_ms: int | None
    error: str | None
    details: dict[str, Any]


class PartnerScopeSet(_Strict):
    allowed: bool


class PartnerScopeRule(BaseModel):
    country: str
    allowed: bool
    set_by: str
    set_at: datetime


class PartnerScopePublic(BaseModel):
    organization_id: int
    default_countries: list[str]
    rules: list[PartnerScopeRule]
    effective_countries: list[str]


class VerificationPublic(BaseModel):
    office_id: int
    verified_at: datetime
    verified_by: str
    method: str
    freshness: str
