"""Directory tables. Nothing here is ever hard-deleted: closing is a status."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text
from sqlmodel import Field, Relationship, SQLModel

from app.directory.enums import OfficeStatus, PhoneKind, PhoneStatus
from app.kit.models import timestamp_field, version_column

_org_version = version_column()
_office_version = version_column()
_phone_version = version_column()


class Organization(SQLModel, table=True):
    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(
            "category IN ('law_enforcement','ngo','lawyer','social_welfare',"
            "'international_org','helpline')",
            name="category",
        ),
        CheckConstraint("status IN ('active','closed')", name="status"),
    )
    __mapper_args__ = {"version_id_col": _org_version}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    local_name: str | None = Field(default=None, max_length=200)
    category: str = Field(max_length=32, index=True)
    description: str | None = Field(default=None, sa_type=Text)
    website: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=320)
    confidential: bool = Field(default=False, index=True)
    is_demo: bool = False
    status: str = Field(default="active", max_length=16)
    search_text: str = Field(default="", max_length=1000)
    version: int = Field(default=1, sa_column=_org_version)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()

    offices: list["Office"] = Relationship(
        back_populates="organization", sa_relationship_kwargs={"lazy": "raise"}
    )
    services: list["OrganizationService"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "cascade": "all, delete-orphan",
            "order_by": "OrganizationService.tag",
        }
    )

    @property
    def service_tags(self) -> list[str]:
        return [s.tag for s in self.services]


class OrganizationService(SQLModel, table=True):
    __tablename__ = "organization_service"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    tag: str = Field(max_length=40, primary_key=True, index=True)


class Office(SQLModel, table=True):
    """One place a person can reach: the unit a sheet lists ("a contact")."""

    __tablename__ = "office"
    __table_args__ = (
        Index("ix_office_country_region", "country", "region"),
        CheckConstraint("status IN ('active','temporarily_closed','closed')", name="status"),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude"),
    )
    __mapper_args__ = {"version_id_col": _office_version}

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str | None = Field(default=None, max_length=200)
    country: str = Field(max_length=2)
    region: str | None = Field(default=None, max_length=8)
    city: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    postal_code: str | None = Field(default=None, max_length=20)
    latitude: float | None = None
    longitude: float | None = None
    opening_hours: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=320)
    website: str | None = Field(default=None, max_length=500)
    meets_on_arrival: bool = False
    status: str = Field(default=OfficeStatus.ACTIVE.value, max_length=24, index=True)
    search_text: str = Field(default="", max_length=2000)
    version: int = Field(default=1, sa_column=_office_version)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()

    # Verification lives apart from updated_at: saving a record is not verifying it.
    last_verified_at: datetime | None = timestamp_field(nullable=True, index=True)
    verified_by: str | None = Field(default=None, max_length=200)
    verification_method: str | None = Field(default=None, max_length=32)
    verification_note: str | None = Field(default=None, max_length=2000)
    # Set by a "wrong number", "disconnected" or "closed" outcome: stale at once.
    stale_flagged_at: datetime | None = timestamp_field(nullable=True)
    stale_reason: str | None = Field(default=None, max_length=200)

    organization: "Organization" = Relationship(
        back_populates="offices", sa_relationship_kwargs={"lazy": "raise"}
    )
    phones: list["Phone"] = Relationship(
        back_populates="office",
        sa_relationship_kwargs={"lazy": "raise", "order_by": "Phone.position, Phone.id"},
    )
    languages: list["OfficeLanguage"] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "cascade": "all, delete-orphan",
            "order_by": "OfficeLanguage.language",
        }
    )

    @property
    def language_codes(self) -> list[str]:
        return [lang.language for lang in self.languages]


class OfficeLanguage(SQLModel, table=True):
    __tablename__ = "office_language"

    office_id: int = Field(foreign_key="office.id", primary_key=True)
    language: str = Field(max_length=3, primary_key=True, index=True)


class Phone(SQLModel, table=True):
    __tablename__ = "phone"
    __table_args__ = (
        CheckConstraint("kind IN ('voice','mobile','hotline','whatsapp','sms','fax')", name="kind"),
        CheckConstraint("status IN ('active','disconnected')", name="status"),
    )
    __mapper_args__ = {"version_id_col": _phone_version}

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    number: str = Field(max_length=20, index=True)
    # Derived from `number` when it is written (service.py), so reading a page of contacts
    # never runs libphonenumber's formatter. Blank means "format on the fly".
    national: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    international: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    number_type: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    kind: str = Field(default=PhoneKind.VOICE.value, max_length=16)
    hours: str | None = Field(default=None, max_length=200)
    is_24_7: bool = False
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PhoneStatus.ACTIVE.value, max_length=16)
    position: int = 0
    version: int = Field(default=1, sa_column=_phone_version)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()

    office: "Office" = Relationship(
        back_populates="phones", sa_relationship_kwargs={"lazy": "raise"}
    )


class Revision(SQLModel, table=True):
    """One changed field of one record: who, when, from what source, approved by whom."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    change_id: str = Field(max_length=36, index=True)
    entity: str = Field(max_length=20)
    entity_id: int
    office_id: int | None = Field(default=None, index=True)
    organization_id: int | None = Field(default=None, index=True)
    field: str = Field(max_length=64)
    old_value: str | None = Field(default=None, sa_type=Text)
    new_value: str | None = Field(default=None, sa_type=Text)
    source: str = Field(max_length=200)
    actor: str = Field(max_length=200)
    actor_key_id: int | None = None
    approved_by: str | None = Field(default=None, max_length=200)
    submission_id: int | None = Field(default=None, index=True)
    # Why (closures): a reason from a fixed list and an optional note.
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = Field(default=None, max_length=2000)
    changed_at: datetime = timestamp_field(index=True)
