from datetime import datetime

from sqlmodel import Field, SQLModel

from app.kit.models import timestamp_field


class VerificationEvent(SQLModel, table=True):
    """Someone confirmed an office is right, by a method, at a time. Never edited."""

    __tablename__ = "verification_event"

    id: int | None = Field(default=None, primary_key=True)
    office_id: int = Field(foreign_key="office.id", index=True)
    verified_at: datetime = timestamp_field(index=True)
    verified_by: str = Field(max_length=200)
    method: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    approved_by: str | None = Field(default=None, max_length=200)
    source: str = Field(max_length=200)
    actor_key_id: int | None = None
