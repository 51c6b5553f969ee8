from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.kit.models import Base, id_column, optional_timestamp_column, timestamp_column


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    OFFICER = "officer"
    NGO = "ngo"


class ApiKey(Base, kw_only=True):
    """A key is shown once; only its SHA-256 is kept (keys are 256-bit random, so no KDF)."""

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint("role IN ('admin','reviewer','officer','ngo')", name="role"),
        CheckConstraint(
            "(role = 'ngo') = (organization_id IS NOT NULL)", name="ngo_has_organization"
        ),
    )

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), default=None)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = timestamp_column()
    created_by: Mapped[str | None] = mapped_column(String(200), default=None)
    revoked_at: Mapped[datetime | None] = optional_timestamp_column()
    last_used_at: Mapped[datetime | None] = optional_timestamp_column()


class BrowserSession(Base, kw_only=True):
    """One signed-in browser. Its cookie holds a random token, kept here only as SHA-256;
    signing out ends the row, so a copy of the cookie is refused by every server process."""

    __tablename__ = "browser_session"

    id: Mapped[int] = id_column()
    key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = timestamp_column()
    ended_at: Mapped[datetime | None] = optional_timestamp_column()
    # The language its pages speak, as chosen in the browser (app/web/language.py).
    language: Mapped[str | None] = mapped_column(String(8), default=None)
