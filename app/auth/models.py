from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.kit.models import timestamp_field


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    OFFICER = "officer"
    NGO = "ngo"


class ApiKey(SQLModel, table=True):
    """A key is shown once; only its SHA-256 is kept (keys are 256-bit random, so no KDF)."""

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("role IN ('admin','reviewer','officer','ngo')", name="role"),
        CheckConstraint(
            "(role = 'ngo') = (organization_id IS NOT NULL)", name="ngo_has_organization"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    organization_id: int | None = Field(default=None, foreign_key="organization.id")
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp_field()
    created_by: str | None = Field(default=None, max_length=200)
    revoked_at: datetime | None = timestamp_field(nullable=True)
    last_used_at: datetime | None = timestamp_field(nullable=True)
    # Browser sessions carry the generation they started in; signing out moves it on, so
    # every cookie issued before stops working at once, on every server process.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
