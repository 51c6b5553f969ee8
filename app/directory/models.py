"""Directory tables. Nothing here is ever hard-deleted: closing is a status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.directory.enums import OfficeStatus, PhoneKind, PhoneStatus
from app.kit.models import (
    Base,
    id_column,
    optional_timestamp_column,
    timestamp_column,
    version_column,
)


class Organization(Base, kw_only=True):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(
            "category IN ('law_enforcement','ngo','lawyer','social_welfare',"
            "'international_org','helpline')",
            name="category",
        ),
        CheckConstraint("status IN ('active','closed')", name="status"),
    )

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    local_name: Mapped[str | None] = mapped_column(String(200), default=None)
    category: Mapped[str] = mapped_column(String(32), index=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    website: Mapped[str | None] = mapped_column(String(500), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    confidential: Mapped[bool] = mapped_column(default=False, index=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    # The HSDS organization it was imported from, as the source gave it (interop.hsds_source):
    # what Homeward does not model travels back out in exports.
    hsds_source: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Registrations (HSDS organization_identifiers: scheme, type, identifier), see details.py.
    identifiers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    version: Mapped[int] = version_column()
    created_at: Mapped[datetime] = timestamp_column()
    updated_at: Mapped[datetime] = timestamp_column()

    offices: Mapped[list[Office]] = relationship(
        back_populates="organization", lazy="raise", init=False
    )
    services: Mapped[list[OrganizationService]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="OrganizationService.tag",
        init=False,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def service_tags(self) -> list[str]:
        return [s.tag for s in self.services]


class OrganizationService(Base, kw_only=True):
    __tablename__ = "organization_service"

    # Set through Organization.services.
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id"), primary_key=True, init=False
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Office(Base, kw_only=True):
    """One place a person can reach: the unit a sheet lists ("a contact")."""

    __tablename__ = "office"
    __table_args__ = (
        Index("ix_office_country_region", "country", "region"),
        CheckConstraint("status IN ('active','temporarily_closed','closed')", name="status"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )

    id: Mapped[int] = id_column()
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    # The service given here, as its source names and describes it (HSDS service.name and
    # .description); `name` is the place's (HSDS location.name).
    service_name: Mapped[str | None] = mapped_column(String(200), default=None)
    service_description: Mapped[str | None] = mapped_column(Text, default=None)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(8), default=None)
    city: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    address_2: Mapped[str | None] = mapped_column(String(500), default=None)
    postal_code: Mapped[str | None] = mapped_column(String(20), default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    opening_hours: Mapped[str | None] = mapped_column(String(500), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    website: Mapped[str | None] = mapped_column(String(500), default=None)
    meets_on_arrival: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(24), default=OfficeStatus.ACTIVE.value, index=True)
    search_text: Mapped[str] = mapped_column(String(2000), default="")
    # Structured opening hours (HSDS schedule fields: opens_at, closes_at, byday, freq,
    # valid_from…), shown beside `opening_hours` in the reader's language.
    schedules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # A note per language code ("via bilingual staff when they are in"), and the service's
    # areas, named contacts (staff data: never on sheets) and accessibility (details.py).
    language_notes: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    service_areas: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    contacts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    accessibility: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # The source's id of the record ("<service id>@<location id>" for HSDS), so a second
    # import of the same dataset matches this office, and the source record as it came.
    external_id: Mapped[str | None] = mapped_column(String(200), default=None, index=True)
    hsds_source: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    version: Mapped[int] = version_column()
    created_at: Mapped[datetime] = timestamp_column()
    updated_at: Mapped[datetime] = timestamp_column()

    # Verification lives apart from updated_at: saving a record is not verifying it.
    last_verified_at: Mapped[datetime | None] = optional_timestamp_column(index=True)
    verified_by: Mapped[str | None] = mapped_column(String(200), default=None)
    verification_method: Mapped[str | None] = mapped_column(String(32), default=None)
    verification_note: Mapped[str | None] = mapped_column(String(2000), default=None)
    # Set by a "wrong number", "disconnected" or "closed" outcome: stale at once.
    stale_flagged_at: Mapped[datetime | None] = optional_timestamp_column()
    stale_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    organization: Mapped[Organization] = relationship(
        back_populates="offices", lazy="raise", init=False
    )
    phones: Mapped[list[Phone]] = relationship(
        back_populates="office", lazy="raise", order_by="Phone.position, Phone.id", init=False
    )
    languages: Mapped[list[OfficeLanguage]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="OfficeLanguage.language",
        init=False,
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def language_codes(self) -> list[str]:
        return [lang.language for lang in self.languages]


class OfficeLanguage(Base, kw_only=True):
    __tablename__ = "office_language"

    # Set through Office.languages.
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), primary_key=True, init=False)
    language: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)


class Phone(Base, kw_only=True):
    __tablename__ = "phone"
    __table_args__ = (
        CheckConstraint("kind IN ('voice','mobile','hotline','whatsapp','sms','fax')", name="kind"),
        CheckConstraint("status IN ('active','disconnected')", name="status"),
    )

    id: Mapped[int] = id_column()
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), index=True)
    extension: Mapped[str | None] = mapped_column(String(20), default=None)
    # Derived from `number` when it is written (service.py), so reading a page of contacts
    # never runs libphonenumber's formatter. Blank means "format on the fly".
    national: Mapped[str] = mapped_column(String(32), default="", server_default="")
    international: Mapped[str] = mapped_column(String(32), default="", server_default="")
    number_type: Mapped[str] = mapped_column(String(32), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16), default=PhoneKind.VOICE.value)
    hours: Mapped[str | None] = mapped_column(String(200), default=None)
    is_24_7: Mapped[bool] = mapped_column(default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    status: Mapped[str] = mapped_column(String(16), default=PhoneStatus.ACTIVE.value)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = version_column()
    created_at: Mapped[datetime] = timestamp_column()
    updated_at: Mapped[datetime] = timestamp_column()

    office: Mapped[Office] = relationship(back_populates="phones", lazy="raise", init=False)

    __mapper_args__ = {"version_id_col": version}


class Revision(Base, kw_only=True):
    """One changed field of one record: who, when, from what source, approved by whom."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_entity", "entity", "entity_id"),)

    id: Mapped[int] = id_column()
    change_id: Mapped[str] = mapped_column(String(36), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int]
    office_id: Mapped[int | None] = mapped_column(default=None, index=True)
    organization_id: Mapped[int | None] = mapped_column(default=None, index=True)
    field: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text, default=None)
    new_value: Mapped[str | None] = mapped_column(Text, default=None)
    source: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(default=None)
    approved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    submission_id: Mapped[int | None] = mapped_column(default=None, index=True)
    # Why (closures): a reason from a fixed list and an optional note.
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    note: Mapped[str | None] = mapped_column(String(2000), default=None)
    changed_at: Mapped[datetime] = timestamp_column(index=True)
