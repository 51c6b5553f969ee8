from __future__ import annotations

from app.kit.clock import as_utc
from app.outreach.models import OutreachRequest
from app.outreach.schemas import OutreachPublic


def outreach_public(req: OutreachRequest, organization_name: str) -> OutreachPublic:
    assert req.id is not None
    return OutreachPublic(
        id=req.id,
        office_id=req.office_id,
        organization_id=req.organization_id,
        organization_name=organization_name,
        country=req.country,
        email=req.email,
        language=req.language,
        state=req.state,
        created_at=as_utc(req.created_at),
        sent_at=as_utc(req.sent_at),
        reminded_at=as_utc(req.reminded_at),
        expires_at=as_utc(req.expires_at),
        answered_at=as_utc(req.answered_at),
        answer=req.answer,
        submission_id=req.submission_id,
        delivery_uncertain=req.delivery_uncertain,
        detail=req.detail,
        escalated_at=as_utc(req.escalated_at),
    )
