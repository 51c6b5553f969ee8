"""Reviewer pages: the verification worklist (also for officers) and the per-country digest.

Claiming, outcomes and digests are the verification domain's services; this module reads
forms, calls them and picks the template.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from app.auth.dependencies import EDITORS, STAFF, SessionDep
from app.auth.principal import Principal
from app.config import get_settings
from app.directory.geography import country_name, region_name
from app.directory.schemas import OfficeUpdate
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.verification import reports, tasks
from app.verification.models import Outcome, OutcomeMethod
from app.verification.presenter import digest_public, task_public
from app.web.forms import errors_from_validation, plain
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

StaffPage = Annotated[Principal, require_page(*STAFF)]
EditorPage = Annotated[Principal, require_page(*EDITORS)]

# The outcomes a verifier records with one click, in the order a call usually ends.
QUICK_OUTCOMES = [
    (Outcome.CONFIRMED.value, "Confirmed correct", "primary"),
    (Outcome.NO_ANSWER.value, "No answer", ""),
    (Outcome.WRONG_NUMBER.value, "Wrong number", "danger"),
    (Outcome.DISCONNECTED.value, "Disconnected", "danger"),
    (Outcome.CLOSED.value, "Closed", "danger"),
]
METHODS = [
    (OutcomeMethod.PHONE_CALL.value, "Phone call"),
    (OutcomeMethod.EMAIL_REPLY.value, "Email reply"),
    (OutcomeMethod.SITE_VISIT.value, "Site visit"),
]
PER_PAGE = 50


def _worklist_filters(
    country: str | None, region: str | None, mine: bool, principal: Principal
) -> tasks.TaskFilters:
    return tasks.TaskFilters(
        country=country or None,
        region=region or None,
        claimed_by=principal.label if mine else None,
    )


@router.get("/verify")
def worklist(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    mine: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Open verification tasks, most urgent first; claim one, call, record the outcome."""
    settings = get_settings()
    now = utcnow()
    rows, total = tasks.list_tasks(
        session,
        filters=_worklist_filters(country, region, mine, principal),
        now=now,
        page=page,
        per_page=PER_PAGE,
    )
    items = [(task_public(r, now=now, settings=settings), r.phones) for r in rows]
    base = {"country": country, "region": region, "mine": "1" if mine else None}
    return render(
        request,
        "worklist.html",
        principal=principal,
        title="Call worklist",
        items=items,
        total=total,
        page=page,
        has_next=page * PER_PAGE < total,
        base=base,
        values={"country": country or "", "region": region or ""},
        mine=mine,
        outcomes=QUICK_OUTCOMES,
        methods=METHODS,
        notice=request.query_params.get("done"),
    )


def _back(form: Any, fallback: str = "/verify") -> str:
    target = str(form.get("back") or "")
    return target if target.startswith("/verify") and not target.startswith("//") else fallback


@router.post("/verify/{task_id}/claim")
def claim(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Claim a task for a few hours, so two people do not call the same office."""
    tasks.claim_task(
        session, task_id=task_id, actor=principal, now=utcnow(), settings=get_settings()
    )
    return redirect(request, f"{_back(form)}#task-{task_id}")


@router.post("/verify/{task_id}/outcome")
def record_outcome(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Record what the call found (one click from the worklist)."""
    try:
        outcome = Outcome(str(form.get("outcome") or ""))
        method = OutcomeMethod(str(form.get("method") or OutcomeMethod.PHONE_CALL.value))
    except ValueError as exc:
        raise InvalidValue("Choose an outcome and a method.", field="outcome") from exc
    phone_raw = str(form.get("phone_id") or "")
    tasks.record_outcome(
        session,
        task_id=task_id,
        outcome=outcome,
        method=method,
        actor=principal,
        now=utcnow(),
        settings=get_settings(),
        note=plain(form.get("note")),
        phone_id=int(phone_raw) if phone_raw.isdigit() else None,
    )
    label = dict((v, label) for v, label, _ in QUICK_OUTCOMES).get(outcome.value, outcome.value)
    return redirect(request, f"/verify?done={label}: task {task_id}")


CHANGE_FIELDS = ("address", "city", "opening_hours", "email", "website")


@router.get("/verify/{task_id}")
def task_page(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep
) -> Response:
    """One task: the numbers to call, past attempts, and the 'details changed' form."""
    return _task_page(request, task_id, principal, session)


def _task_page(
    request: Request,
    task_id: int,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = get_settings()
    now = utcnow()
    row = tasks.task_row(session, task_id)
    task = task_public(row, now=now, settings=settings)
    if values is None:
        values = {f: getattr(row.office, f) or "" for f in CHANGE_FIELDS}
        values.update({f"phone-{p.id}": p.number for p in row.phones})
    return render(
        request,
        "task.html",
        principal=principal,
        status_code=status_code,
        title=f"Task {task_id}",
        task=task,
        phones=row.phones,
        attempts=tasks.attempts_for(session, task_id=task_id),
        outcomes=QUICK_OUTCOMES,
        methods=METHODS,
        values=values,
        errors=errors or {},
        change_fields=CHANGE_FIELDS,
        region_label=region_name(task.region) if task.region else None,
        country_label=country_name(task.country),
    )


@router.post("/verify/{task_id}/changed")
def record_changed(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep, form: CheckedForm
) -> Response:
    """The office answered but something changed: apply the new details and verify it."""
    settings = get_settings()
    now = utcnow()
    row = tasks.task_row(session, task_id)
    values = {f: str(form.get(f) or "") for f in CHANGE_FIELDS}
    values.update({f"phone-{p.id}": str(form.get(f"phone-{p.id}") or "") for p in row.phones})
    values["note"] = str(form.get("note") or "")
    values["method"] = str(form.get("method") or OutcomeMethod.PHONE_CALL.value)
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for f in CHANGE_FIELDS:
        new = values[f].strip() or None
        if new != (getattr(row.office, f) or None):
            changes[f] = new
    try:
        checked = OfficeUpdate.model_validate(changes)
        changes = checked.model_dump(exclude_unset=True)
    except ValidationError as exc:
        errors.update(errors_from_validation(exc))
    phone_changes = [
        {"id": p.id, "number": values[f"phone-{p.id}"].strip()}
        for p in row.phones
        if values[f"phone-{p.id}"].strip() and values[f"phone-{p.id}"].strip() != p.number
    ]
    if not errors and not changes and not phone_changes:
        errors["address"] = "Nothing differs from what is on file. Use “Confirmed correct”."
    if not errors:
        try:
            tasks.record_outcome(
                session,
                task_id=task_id,
                outcome=Outcome.CHANGED,
                method=OutcomeMethod(values["method"]),
                actor=principal,
                now=now,
                settings=settings,
                note=plain(values["note"]),
                changes=changes or None,
                phone_changes=phone_changes,
            )
        except InvalidValue as exc:
            session.rollback()
            field = exc.field or "address"
            if field.startswith("phone_changes"):
                index = int(field.split("[", 1)[1].split("]", 1)[0]) if "[" in field else 0
                field = f"phone-{phone_changes[index]['id']}" if phone_changes else "address"
            elif field.startswith("phones") or field == "number":
                field = f"phone-{phone_changes[0]['id']}" if phone_changes else "address"
            errors[field] = exc.message
        except ValueError as exc:
            session.rollback()
            errors["method"] = str(exc)
        else:
            return redirect(request, f"/verify?done=Details changed: task {task_id}")
    return _task_page(
        request, task_id, principal, session, values=values, errors=errors, status_code=422
    )


@router.get("/digest")
def digest(
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """Per-country digest of overdue and stale offices, as the scheduler last wrote it."""
    rows = [digest_public(d) for d in reports.list_digests(session, country=country, limit=300)]
    latest_day = rows[0].digest_date if rows else None
    latest = [r for r in rows if r.digest_date == latest_day]
    latest.sort(key=lambda r: -(r.counts.get("stale", 0) + r.counts.get("overdue", 0)))
    return render(
        request,
        "digest.html",
        principal=principal,
        title="Digest",
        day=latest_day,
        rows=latest,
        country=country or "",
    )
