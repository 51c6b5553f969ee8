"""Request and response shapes. Country-dependent rules live in validation.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
)

from app.directory.details import (
    AccessibilityList,
    Identifiers,
    LanguageNotes,
    NamedContacts,
    ServiceAreas,
)
from app.directory.enums import (
    Category,
    CloseReason,
    OfficeStatus,
    PhoneCloseReason,
    PhoneKind,
    ServiceTag,
)
from app.directory.geography import normalise_language
from app.kit.clock import as_utc
from app.kit.errors import Explained
from app.kit.i18n import N_
from app.kit.models import MAX_ID
from app.kit.text import (
    AddressText,
    HoursText,
    LongText,
    NoteText,
    OptionalShortText,
    PostalCodeText,
    ShortText,
)


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise Explained(N_("not a valid email address: %(reason)s"), reason=str(exc)) from exc


def _url(value: HttpUrl) -> str:
    text = str(value)
    if len(text) > URL_MAX_LENGTH:
        raise Explained(N_("URL must be at most %(limit)s characters"), limit=URL_MAX_LENGTH)
    return text


def _language(value: str) -> str:
    return normalise_language(value)


URL_MAX_LENGTH = 500
# Verifications older than this are typing mistakes (and year-1 dates break drivers).
EARLIEST_VERIFICATION = datetime(2000, 1, 1, tzinfo=UTC)

Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]
Url = Annotated[HttpUrl, AfterValidator(_url)]
Language = Annotated[str, Field(min_length=2, max_length=3), AfterValidator(_language)]
CountryCode = Annotated[str, Field(min_length=2, max_length=2)]
RegionCode = Annotated[str, Field(min_length=4, max_length=8)]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_ID)]
PhoneNumberText = Annotated[str, Field(min_length=3, max_length=40)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
# A stored time read back, timezone-aware (SQLite hands them back naive; they are UTC).
StoredTime = Annotated[datetime, AfterValidator(as_utc)]


def reject_null(value: Any) -> Any:
    """PATCH bodies may leave a field out, but not set a required one to null."""
    if value is None:
        raise Explained(N_("may be left out, but cannot be null"))
    return value


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# ---- structured opening hours and what a source gives beyond our fields -------------------

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")


def _byday(value: str) -> str:
    days = [d.strip().upper() for d in value.split(",") if d.strip()]
    for day in days:
        if not _BYDAY.fullmatch(day):
            raise Explained(
                N_("'%(day)s' is not a day (MO, TU, WE, TH, FR, SA, SU, or 1MO, -1FR…)"), day=day
            )
    return ",".join(days)


DayList = Annotated[str, Field(max_length=100), AfterValidator(_byday)]


class Schedule(StrictModel):
    """Structured opening hours as HSDS 3 gives them (an RFC 5545 recurrence): open from
    `opens_at` to `closes_at` on `byday` (weekly) or `bymonthday` (monthly), between
    `valid_from` and `valid_to`."""

    opens_at: time | None = None
    closes_at: time | None = None
    byday: DayList | None = None
    bymonthday: Annotated[str, Field(max_length=100)] | None = None
    freq: Literal["WEEKLY", "MONTHLY"] | None = None
    interval: Annotated[int, Field(ge=1, le=366)] | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    description: HoursText | None = None
    notes: NoteText | None = None


Schedules = Annotated[list[Schedule], Field(max_length=30)]
# A source record as it came (interop.hsds_source): kept, never interpreted here.
SourceRecord = dict[str, Any]
ExternalId = Annotated[str, Field(min_length=1, max_length=200)]


# ---- organisations ---------------------------------------------------------------------


class OrganizationFields(StrictModel):
    name: ShortText
    local_name: OptionalShortText | None = None
    category: Category
    description: LongText | None = None
    website: Url | None = None
    email: Email | None = None
    services: list[ServiceTag] = Field(default_factory=list, max_length=20)
    confidential: bool = False
    is_demo: bool = False


class OrganizationCreate(OrganizationFields):
    identifiers: Identifiers | None = None
    hsds_source: SourceRecord | None = None


class OrganizationUpdate(StrictModel):
    name: ShortText | None = None
    local_name: OptionalShortText | None = None
    category: Category | None = None
    description: LongText | None = None
    website: Url | None = None
    email: Email | None = None
    services: list[ServiceTag] | None = Field(default=None, max_length=20)
    confidential: bool | None = None
    identifiers: Identifiers | None = None
    hsds_source: SourceRecord | None = None
    version: Version | None = None

    _not_null = field_validator("name", "category", "confidential", mode="before")(reject_null)


class OrganizationSummary(BaseModel):
    """An organisation as a contact shows it, read from the stored one (`model_validate`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    local_name: str | None
    category: str
    website: str | None
    # The stored organisation's `services` are its rows; their tags are `service_tags`.
    services: list[str] = Field(validation_alias=AliasChoices("service_tags", "services"))
    confidential: bool
    is_demo: bool
    identifiers: list[dict[str, Any]] | None = None


class OrganizationPublic(OrganizationSummary):
    description: str | None
    email: str | None
    status: str
    version: int


# ---- phones ----------------------------------------------------------------------------


Extension = Annotated[str, Field(min_length=1, max_length=20)]


class PhoneCreate(StrictModel):
    number: PhoneNumberText
    extension: Extension | None = None
    kind: PhoneKind = PhoneKind.VOICE
    hours: OptionalShortText | None = None
    is_24_7: bool = False
    languages: list[Language] = Field(default_factory=list, max_length=20)


class PhoneUpdate(StrictModel):
    number: PhoneNumberText | None = None
    extension: Extension | None = None
    kind: PhoneKind | None = None
    hours: OptionalShortText | None = None
    is_24_7: bool | None = None
    languages: list[Language] | None = Field(default=None, max_length=20)
    version: Version | None = None

    _not_null = field_validator("number", "kind", "is_24_7", mode="before")(reject_null)


class PhonePublic(BaseModel):
    id: int
    number: str
    national: str
    international: str
    kind: str
    number_type: str
    extension: str | None = None
    hours: str | None
    is_24_7: bool
    languages: list[str]
    status: str
    version: int


# ---- offices (contacts) ----------------------------------------------------------------


class OfficeSourceFields(StrictModel):
    """What a source such as HSDS brings beyond an office's first fields (service.py's
    OFFICE_SOURCE_FIELDS), optional in a new office and in a change alike."""

    schedules: Schedules | None = None
    service_name: OptionalShortText | None = None
    service_description: LongText | None = None
    address_2: AddressText | None = None
    language_notes: LanguageNotes | None = None
    service_areas: ServiceAreas | None = None
    contacts: NamedContacts | None = None
    accessibility: AccessibilityList | None = None
    external_id: ExternalId | None = None
    hsds_source: SourceRecord | None = None


class OfficeFields(OfficeSourceFields):
    name: OptionalShortText | None = None
    country: CountryCode
    region: RegionCode | None = None
    city: OptionalShortText | None = None
    address: AddressText | None = None
    postal_code: PostalCodeText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: HoursText | None = None
    email: Email | None = None
    website: Url | None = None
    languages: list[Language] = Field(default_factory=list, max_length=30)
    meets_on_arrival: bool = False
    status: OfficeStatus = OfficeStatus.ACTIVE


class OfficeFieldsCountryPending(OfficeFields):
    """An imported office whose source gives no country: a reviewer sets it before approval
    (see review.findings); until then no region or number can be checked."""

    country: CountryCode | None = None  # type: ignore[assignment]


class OfficeCreate(OfficeFields):
    organization_id: RecordId
    phones: list[PhoneCreate] = Field(default_factory=list, max_length=20)


class OfficeUpdate(OfficeSourceFields):
    name: OptionalShortText | None = None
    country: CountryCode | None = None
    region: RegionCode | None = None
    city: OptionalShortText | None = None
    address: AddressText | None = None
    postal_code: PostalCodeText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: HoursText | None = None
    email: Email | None = None
    website: Url | None = None
    languages: list[Language] | None = Field(default=None, max_length=30)
    meets_on_arrival: bool | None = None
    status: OfficeStatus | None = None
    version: Version | None = None

    _not_null = field_validator("country", "meets_on_arrival", "status", mode="before")(reject_null)


class ContactPublic(BaseModel):
    id: int
    organization: OrganizationSummary
    name: str | None
    category: str
    country: str
    country_name: str
    region: str | None
    region_name: str | None
    nationwide: bool
    city: str | None
    address: str | None
    postal_code: str | None
    latitude: float | None
    longitude: float | None
    opening_hours: str | None
    schedules: list[dict[str, Any]] | None = None
    service_name: str | None = None
    service_description: str | None = None
    address_2: str | None = None
    language_notes: dict[str, str] | None = None
    service_areas: list[dict[str, Any]] | None = None
    contacts: list[dict[str, Any]] | None = None
    accessibility: list[dict[str, Any]] | None = None
    email: str | None
    website: str | None
    languages: list[str]
    services: list[str]
    meets_on_arrival: bool
    status: str
    phones: list[PhonePublic]
    last_verified_at: datetime | None
    verified_by: str | None
    verification_method: str | None
    freshness: str
    version: int
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactPublic]
    total: int
    page: int
    per_page: int
    pages: int


class RevisionPublic(BaseModel):
    id: int
    change_id: str
    entity: str
    entity_id: int
    field: str
    old_value: object
    new_value: object
    source: str
    actor: str
    approved_by: str | None
    submission_id: int | None
    reason: str | None = None
    note: str | None = None
    changed_at: StoredTime


class CloseRecord(StrictModel):
    """Closing a contact or an organisation: the version it was based on (or `If-Match`),
    why, and optionally a note. Both are kept on the revisions the close writes."""

    version: Version | None = None
    reason: CloseReason
    note: NoteText | None = None


class ClosePhone(StrictModel):
    """Taking a number out of use: the phone's version, why, and optionally a note."""

    version: Version | None = None
    reason: PhoneCloseReason
    note: NoteText | None = None


class VerificationCreate(StrictModel):
    method: Annotated[str, Field(pattern="^(phone_call|email_reply|site_visit|ngo_network)$")]
    note: NoteText | None = None
    verified_at: datetime | None = None

    @field_validator("verified_at")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        if aware < EARLIEST_VERIFICATION:
            raise Explained(
                N_("must not be before %(date)s"), date=f"{EARLIEST_VERIFICATION:%Y-%m-%d}"
            )
        return aware


class CategoryCounts(BaseModel):
    counts: dict[str, int]
    verified_counts: dict[str, int]
    total: int


class CountrySummary(CategoryCounts):
    code: str
    name: str
    region_count: int


class RegionSummary(CategoryCounts):
    code: str
    name: str
    type: str
    parent_code: str | None
    missing_categories: list[str]
