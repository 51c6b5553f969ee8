"""An office's verification history, newest first (contact pages show it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.verification.models import VerificationEvent


def verification_history(
    session: Session, *, office_id: int, limit: int = 50
) -> list[VerificationEvent]:
    """The office's verification events, newest first: who confirmed it, how and when."""
    stmt = (
        select(VerificationEvent)
        .where(VerificationEvent.office_id == office_id)
        .order_by(VerificationEvent.verified_at.desc(), VerificationEvent.id.desc())
        .limit(limit)
    )
    return list(session.execute(stmt).scalars())
