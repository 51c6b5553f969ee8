"""What the API says about outreach."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class OutreachPublic(BaseModel):
    """An office's latest update request: where it went and how far it got."""

    id: int
    office_id: int
    organization_id: int
    organization_name: str
    country: str
    email: str
    language: str
    state: str
    created_at: datetime
    sent_at: datetime | None
    reminded_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    answer: str | None
    submission_id: int | None
    delivery_uncertain: bool
    detail: str | None
    escalated_at: datetime | None


class OutreachPage(BaseModel):
    enabled: bool
    counts: dict[str, int]
    items: list[OutreachPublic]
    total: int
    page: int
    per_page: int
