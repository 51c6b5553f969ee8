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


class BrowserSession(SQLModel, table=True):
    """One signed-in browser. Its cookie holds a random token, kept here only as SHA-256;
    signing out ends the row, so a copy of the cookie is refused by every server process."""

    __tablename__ = "browser_session"

    id: int | None = Field(default=None, primary_key=True)
    key_id: int = Field(foreign_key="api_key.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = timestamp_field()
    ended_at: datetime | None = timestamp_field(nullable=True)
