"""Turn verification rows into API shapes."""

from __future__ import annotations

from datetime import datetime

from app.config import Settings
from app.directory.freshness import office_freshness
from app.kit.clock import as_utc
from app.verification.models import CheckResult, VerificationDigest
from app.verification.schemas import CheckResultPublic, DigestPublic, TaskPhone, TaskPublic
from app.verification.tasks import effective_state
from app.verification.worklist import TaskRow


def task_public(row: TaskRow, *, now: datetime, settings: Settings) -> TaskPublic:
    task, office, org = row.task, row.office, row.organization
    assert task.id is not None and office.id is not None
    state = effective_state(task, now=now)
    claimed = state.value == "claimed"
    return TaskPublic(
        id=task.id,
        office_id=office.id,
        office_name=office.name,
        organization_name=org.name,
        category=org.category,
        country=office.country,
        region=office.region,
        phones=[TaskPhone(id=p.id or 0, number=p.number, kind=p.kind) for p in row.phones],
        email=office.email or org.email,
        website=office.website or org.website,
        state=state.value,
        priority=task.priority,
        due_at=as_utc(task.due_at) or now,
        freshness=office_freshness(office, category=org.category, now=now, settings=settings).value,
        opened_at=as_utc(task.opened_at) or now,
        claimed_by=task.claimed_by if claimed else None,
        claim_expires_at=as_utc(task.claim_expires_at) if claimed else None,
        attempts=task.attempts,
        last_attempt_at=as_utc(task.last_attempt_at),
        escalated_at=as_utc(task.escalated_at),
        escalation_reason=task.escalation_reason,
        annotations=list(task.annotations or []),
        outcome=task.outcome,
        closed_at=as_utc(task.closed_at),
    )


def check_public(row: CheckResult) -> CheckResultPublic:
    return CheckResultPublic.model_validate(row)


def digest_public(row: VerificationDigest) -> DigestPublic:
    return DigestPublic.model_validate(row)
