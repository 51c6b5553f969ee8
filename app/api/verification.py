"""Freshness reports, the verification worklist, outcomes, NGO confirmations, digests,
check history and partner confirmation scopes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.api.deps import SettingsDep
from app.auth.dependencies import Editor, NgoPartner, SessionDep, Staff
from app.directory.freshness import office_freshness
from app.directory.lookup import get_office
from app.kit.clock import as_utc, utcnow
from app.kit.paging import Page
from app.review import call_outcomes
from app.verification import outcomes, partners, reports, sweep, worklist
from app.verification.models import CheckKind, TaskState
from app.verification.outcomes import CallReport
from app.verification.presenter import check_public, digest_public, task_public
from app.verification.schemas import (
    CheckResultPublic,
    ConfirmationCreate,
    DigestPublic,
    FreshnessReport,
    OutcomeCreate,
    PartnerScopePublic,
    PartnerScopeSet,
    TaskPage,
    TaskPublic,
    VerificationPublic,
)

router = APIRouter(prefix="/api/v1", tags=["verification"])

CountryParam = Annotated[str | None, Query(min_length=2, max_length=2, pattern="^[A-Za-z]{2}$")]


@router.get("/freshness", response_model=FreshnessReport)
def freshness_report(
    staff: Staff, session: SessionDep, settings: SettingsDep, country: CountryParam = None
) -> FreshnessReport:
    """Counts of offices per freshness state, for each region x category of `country`
    (or for each country x category without it). Closed offices are not counted."""
    report = reports.freshness_report(session, now=utcnow(), settings=settings, country=country)
    return FreshnessReport.model_validate(report)


@router.get("/tasks", response_model=TaskPage)
def list_tasks(
    staff: Staff,
    session: SessionDep,
    settings: SettingsDep,
    country: CountryParam = None,
    region: Annotated[str | None, Query(min_length=4, max_length=8)] = None,
    min_priority: Annotated[int | None, Query(ge=0, le=10_000)] = None,
    due_before: datetime | None = None,
    state: Annotated[list[TaskState], Query()] = [],  # noqa: B006
    mine: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskPage:
    """The worklist: active verification tasks, most urgent first, then by due date."""
    now = utcnow()
    listing = worklist.list_tasks(
        session,
        filters=worklist.TaskFilters(
            country=country,
            region=region,
            min_priority=min_priority,
            due_before=as_utc(due_before),
            states=[s.value for s in state],
            claimed_by=staff.label if mine else None,
        ),
        now=now,
        page=Page(page, per_page),
    )
    return TaskPage(
        items=[task_public(r, now=now, settings=settings) for r in listing.rows],
        total=listing.total,
        page=page,
        per_page=per_page,
    )


@router.get("/tasks/{task_id}", response_model=TaskPublic)
def get_task(task_id: int, staff: Staff, session: SessionDep, settings: SettingsDep) -> TaskPublic:
    """One task with its office's phones, annotations and claim."""
    return task_public(worklist.task_row(session, task_id), now=utcnow(), settings=settings)


@router.post("/tasks/{task_id}/claim", response_model=TaskPublic)
def claim_task(
    task_id: int, staff: Staff, session: SessionDep, settings: SettingsDep
) -> TaskPublic:
    """Claim a task for `task_claim_hours`. 409 if someone else holds a live claim."""
    now = utcnow()
    outcomes.claim_task(session, task_id=task_id, actor=staff, now=now, settings=settings)
    return task_public(worklist.task_row(session, task_id), now=now, settings=settings)


@router.post("/tasks/{task_id}/outcome", response_model=TaskPublic)
def record_outcome(
    task_id: int, body: OutcomeCreate, staff: Staff, session: SessionDep, settings: SettingsDep
) -> TaskPublic:
    """Record what the verifier found: confirmed, changed (with `changes`), no_answer,
    wrong_number, disconnected (optionally `phone_id`) or closed.

    Reviewers and admins change the contact directly. An officer's changed details, closure
    or disconnected number go to the review queue as a submission naming the task; a changed
    or dead number and a closure still take the office off the sheets at once."""
    now = utcnow()
    call_outcomes.record_outcome(
        session,
        task_id=task_id,
        report=CallReport(
            outcome=body.outcome,
            method=body.method,
            note=body.note,
            changes=body.changes.model_dump(exclude_unset=True, exclude={"version"})
            if body.changes
            else None,
            phone_changes=[
                p.model_dump(exclude_unset=True, exclude={"version"}) for p in body.phone_changes
            ],
            phone_id=body.phone_id,
        ),
        actor=staff,
        now=now,
        settings=settings,
    )
    return task_public(worklist.task_row(session, task_id), now=now, settings=settings)


@router.post("/contacts/{office_id}/confirm", response_model=VerificationPublic)
def confirm_contact(
    office_id: int,
    partner: NgoPartner,
    session: SessionDep,
    settings: SettingsDep,
    body: ConfirmationCreate | None = None,
) -> VerificationPublic:
    """An NGO partner confirms that an office in its country is still correct
    (a verification by the NGO network)."""
    event = partners.confirm_by_partner(
        session, office_id=office_id, partner=partner, note=body.note if body else None
    )
    office = get_office(session, office_id, refresh=True)
    now = utcnow()
    return VerificationPublic(
        office_id=office_id,
        verified_at=as_utc(event.verified_at) or now,
        verified_by=event.verified_by,
        method=event.method,
        freshness=office_freshness(
            office, category=office.organization.category, now=now, settings=settings
        ).value,
    )


@router.get("/contacts/{office_id}/checks", response_model=list[CheckResultPublic])
def contact_checks(
    office_id: int,
    staff: Staff,
    session: SessionDep,
    kind: CheckKind | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CheckResultPublic]:
    """The office's automated check history, newest first. Checks never verify an office."""
    get_office(session, office_id, viewer=staff)
    rows = sweep.check_history(
        session, office_id=office_id, kind=kind.value if kind else None, limit=limit
    )
    return [check_public(r) for r in rows]


@router.get("/digests", response_model=list[DigestPublic])
def list_digests(
    staff: Staff,
    session: SessionDep,
    country: CountryParam = None,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DigestPublic]:
    """Per-country freshness digests written daily by the escalate job, newest first."""
    rows = reports.list_digests(session, country=country, day=day, limit=limit)
    return [digest_public(r) for r in rows]


@router.get("/partner-scopes/{organization_id}", response_model=PartnerScopePublic)
def get_partner_scope(
    organization_id: int, editor: Editor, session: SessionDep
) -> PartnerScopePublic:
    """Where a partner organisation may confirm contacts: its default countries (where it has
    offices), the reviewers' rules, and the effective countries."""
    return PartnerScopePublic.model_validate(
        partners.scope_view(session, organization_id=organization_id)
    )


@router.put("/partner-scopes/{organization_id}/{country}", response_model=PartnerScopePublic)
def set_partner_scope(
    organization_id: int,
    country: Annotated[str, Path(min_length=2, max_length=2)],
    body: PartnerScopeSet,
    editor: Editor,
    session: SessionDep,
) -> PartnerScopePublic:
    """Allow or deny a partner organisation confirming contacts in a country."""
    partners.set_scope(
        session,
        organization_id=organization_id,
        country=country,
        allowed=body.allowed,
        set_by=editor.label,
    )
    return PartnerScopePublic.model_validate(
        partners.scope_view(session, organization_id=organization_id)
    )


@router.delete(
    "/partner-scopes/{organization_id}/{country}", status_code=status.HTTP_204_NO_CONTENT
)
def clear_partner_scope(
    organization_id: int, country: str, editor: Editor, session: SessionDep
) -> Response:
    """Remove a rule: the default (countries where the partner has offices) applies again."""
    partners.clear_scope(session, organization_id=organization_id, country=country)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
