"""Verification worklist pages (staff): the open tasks, claiming one, recording what the
call found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from app.auth.dependencies import EDITORS, STAFF, SessionDep
from app.config import get_settings
from app.db import savepoint
from app.directory.geography import country_name, region_name
from app.directory.schemas import OfficeUpdate
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import call_outcomes
from app.verification import outcomes, worklist
from app.verification.models import Outcome, OutcomeMethod
from app.verification.outcomes import CallReport
from app.verification.presenter import task_public
from app.web import labels
from app.web.forms import errors_from_validation, plain, reason, whole_number
from app.web.i18n import N_, _, current_language
from app.web.page import Place, SignedInPage, signed_in_page
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

StaffPage = Annotated[Principal, require_page(*STAFF)]
StaffView = Annotated[SignedInPage, signed_in_page(*STAFF)]
EditorPage = Annotated[Principal, require_page(*EDITORS)]

# The outcomes a verifier records with one click, in the order a call usually ends.
QUICK_OUTCOMES = [
    (Outcome.CONFIRMED.value, "primary"),
    (Outcome.NO_ANSWER.value, ""),
    (Outcome.WRONG_NUMBER.value, "danger"),
    (Outcome.DISCONNECTED.value, "danger"),
    (Outcome.CLOSED.value, "danger"),
]
METHODS = {m.value: labels.METHOD_LABELS[m.value] for m in OutcomeMethod}


def _quick_outcomes() -> list[tuple[str, str, str]]:
    """(outcome, label in the page's language, button style)."""
    return [
        (value, labels.label(labels.OUTCOME_LABELS, value), style)
        for value, style in QUICK_OUTCOMES
    ]


PER_PAGE = 50
# The worklist counts open tasks up to here and then says "at least": counting every one of
# tens of thousands on each page view is work nobody reads.
WORKLIST_COUNT_LIMIT = 10_000


def _worklist_filters(
    country: str | None, region: str | None, mine: bool, principal: Principal
) -> worklist.TaskFilters:
    return worklist.TaskFilters(
        country=country or None,
        region=region or None,
        claimed_by=principal.label if mine else None,
    )


@router.get("/verify")
def worklist_page(
    view: StaffView,
    place: Place,
    mine: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Open verification tasks, most urgent first; claim one, call, record the outcome."""
    settings = get_settings()
    now = utcnow()
    listing = worklist.list_tasks(
        view.session,
        filters=_worklist_filters(place.country, place.region, mine, view.principal),
        now=now,
        page=Page(page, PER_PAGE),
        count_limit=WORKLIST_COUNT_LIMIT,
    )
    items = [(task_public(r, now=now, settings=settings), r.phones) for r in listing.rows]
    base = {"country": place.country, "region": place.region, "mine": "1" if mine else None}
    return view.render(
        "worklist.html",
        title=_("Call worklist"),
        items=items,
        total=listing.total,
        at_least=listing.at_least,
        page=page,
        has_next=listing.has_next,
        base=base,
        values={"country": place.country or "", "region": place.region or ""},
        mine=mine,
        outcomes=_quick_outcomes(),
        methods=labels.options(METHODS),
        notice=view.request.query_params.get("done"),
    )


def _back(form: Any, fallback: str = "/verify") -> str:
    target = str(form.get("back") or "")
    return target if target.startswith("/verify") and not target.startswith("//") else fallback


@router.post("/verify/{task_id}/claim")
def claim(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Claim a task for a few hours, so two people do not call the same office."""
    outcomes.claim_task(
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
        raise InvalidValue(_("Choose an outcome and a method."), field="outcome") from exc
    if outcome.value in ASKED_FIRST and form.get("confirmed") != "1":
        return _confirm_outcome(request, task_id, principal, session, form, outcome)
    call_outcomes.record_outcome(
        session,
        task_id=task_id,
        report=CallReport(
            outcome=outcome,
            method=method,
            note=plain(form.get("note")),
            phone_id=whole_number(form.get("phone_id")),
        ),
        actor=principal,
        now=utcnow(),
        settings=get_settings(),
    )
    label = labels.label(labels.OUTCOME_LABELS, outcome.value)
    return redirect(request, "/verify?done=" + _task_notice(label, task_id))


def _task_notice(done: str, task_id: int) -> str:
    """The worklist's notice after a task's outcome: "No answer: task 12"."""
    return _("%(done)s: task %(id)s", done=done, id=task_id)


# Outcomes that take an office or a number off the sheets: asked again before recording.
ASKED_FIRST = {
    Outcome.WRONG_NUMBER.value: N_("Mark %(what)s as a wrong number?"),
    Outcome.DISCONNECTED.value: N_("Mark %(what)s as disconnected?"),
    Outcome.CLOSED.value: N_("Mark %(what)s as closed?"),
}


def _confirm_outcome(
    request: Request,
    task_id: int,
    principal: Principal,
    session: SessionDep,
    form: Any,
    outcome: Outcome,
) -> Response:
    """The second step of a drastic outcome (no JavaScript needed): what it will do, with
    Confirm (the same form again, confirmed) and Cancel (back to where it came from)."""
    row = worklist.task_row(session, task_id)
    phone_id = whole_number(form.get("phone_id"))
    chosen = [p for p in row.phones if p.id == phone_id] or row.phones
    office = row.organization.name + (f" — {row.office.name}" if row.office.name else "")
    if outcome == Outcome.CLOSED or not chosen:
        what = office
    else:
        what = " / ".join(labels.phone_number(p.number) for p in chosen)
    return render(
        request,
        "outcome_confirm.html",
        principal=principal,
        title=_("Confirm the outcome"),
        task_id=task_id,
        question=_(ASKED_FIRST[outcome.value], what=what),
        office=office,
        takes_effect=principal.edits_directly,
        outcome=outcome.value,
        outcome_label=labels.label(labels.OUTCOME_LABELS, outcome.value),
        hidden={
            "method": str(form.get("method") or ""),
            "note": str(form.get("note") or ""),
            "phone_id": str(form.get("phone_id") or ""),
            "back": _back(form, f"/verify/{task_id}"),
        },
        cancel=f"{_back(form, f'/verify/{task_id}')}#task-{task_id}",
    )


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
    row = worklist.task_row(session, task_id)
    task = task_public(row, now=now, settings=settings)
    if values is None:
        values = {f: getattr(row.office, f) or "" for f in CHANGE_FIELDS}
        values.update({f"phone-{p.id}": p.number for p in row.phones})
    return render(
        request,
        "task.html",
        principal=principal,
        status_code=status_code,
        title=_("Task %(id)s", id=task_id),
        task=task,
        phones=row.phones,
        attempts=outcomes.attempts_for(session, task_id=task_id),
        outcomes=_quick_outcomes(),
        methods=labels.options(METHODS),
        values=values,
        errors=errors or {},
        change_fields=CHANGE_FIELDS,
        region_label=region_name(task.region, current_language()) if task.region else None,
        country_label=country_name(task.country, current_language()),
    )


@router.post("/verify/{task_id}/changed")
def record_changed(
    request: Request, task_id: int, principal: StaffPage, session: SessionDep, form: CheckedForm
) -> Response:
    """The office answered but something changed: a reviewer's or admin's new details apply
    and verify it; an officer's go to the review queue (`outcomes.record_outcome`)."""
    settings = get_settings()
    now = utcnow()
    row = worklist.task_row(session, task_id)
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
        errors["address"] = _("Nothing differs from what is on file. Use “Confirmed correct”.")
    if not errors:
        try:
            with savepoint(session):
                call_outcomes.record_outcome(
                    session,
                    task_id=task_id,
                    report=CallReport(
                        outcome=Outcome.CHANGED,
                        method=OutcomeMethod(values["method"]),
                        note=plain(values["note"]),
                        changes=changes or None,
                        phone_changes=phone_changes,
                    ),
                    actor=principal,
                    now=now,
                    settings=settings,
                )
        except InvalidValue as exc:
            field = exc.field or "address"
            if field.startswith("phone_changes"):
                index = int(field.split("[", 1)[1].split("]", 1)[0]) if "[" in field else 0
                field = f"phone-{phone_changes[index]['id']}" if phone_changes else "address"
            elif field.startswith("phones") or field == "number":
                field = f"phone-{phone_changes[0]['id']}" if phone_changes else "address"
            errors[field] = reason(exc)
        except ValueError as exc:
            errors["method"] = reason(exc)
        else:
            done = _("Details changed") if principal.edits_directly else _("Sent for review")
            return redirect(request, "/verify?done=" + _task_notice(done, task_id))
    return _task_page(
        request, task_id, principal, session, values=values, errors=errors, status_code=422
    )
