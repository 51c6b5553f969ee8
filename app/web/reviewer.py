"""Reviewer pages: the review queue and its decisions, the verification worklist (also for
officers) and the per-country digest.

Decisions are the review domain's services; claiming, outcomes and digests the verification
domain's. This module reads forms, calls them and picks the template.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from app.auth.dependencies import EDITORS, STAFF, SessionDep
from app.config import get_settings
from app.db import savepoint
from app.directory import service as directory
from app.directory.geography import country_name, region_name
from app.directory.schemas import OfficeUpdate
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.kit.text import is_whole_number
from app.outreach import reports as outreach
from app.review import call_outcomes, decisions
from app.review import queue as review_queue
from app.review.errors import SubmissionConflict
from app.review.models import Submission, SubmissionStatus
from app.verification import reports, tasks
from app.verification.models import Outcome, OutcomeMethod
from app.verification.presenter import digest_public, task_public
from app.web import labels
from app.web.forms import errors_from_validation, plain, whole_number
from app.web.i18n import N_, _
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

StaffPage = Annotated[Principal, require_page(*STAFF)]
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
    listing = tasks.list_tasks(
        session,
        filters=_worklist_filters(country, region, mine, principal),
        now=now,
        page=page,
        per_page=PER_PAGE,
        count_limit=WORKLIST_COUNT_LIMIT,
    )
    items = [(task_public(r, now=now, settings=settings), r.phones) for r in listing.rows]
    base = {"country": country, "region": region, "mine": "1" if mine else None}
    return render(
        request,
        "worklist.html",
        principal=principal,
        title="Call worklist",
        items=items,
        total=listing.total,
        at_least=listing.at_least,
        page=page,
        has_next=listing.has_next,
        base=base,
        values={"country": country or "", "region": region or ""},
        mine=mine,
        outcomes=_quick_outcomes(),
        methods=labels.options(METHODS),
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
        raise InvalidValue(_("Choose an outcome and a method."), field="outcome") from exc
    if outcome.value in ASKED_FIRST and form.get("confirmed") != "1":
        return _confirm_outcome(request, task_id, principal, session, form, outcome)
    call_outcomes.record_outcome(
        session,
        task_id=task_id,
        outcome=outcome,
        method=method,
        actor=principal,
        now=utcnow(),
        settings=get_settings(),
        note=plain(form.get("note")),
        phone_id=whole_number(form.get("phone_id")),
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
    row = tasks.task_row(session, task_id)
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
        title=_("Task %(id)s", id=task_id),
        task=task,
        phones=row.phones,
        attempts=tasks.attempts_for(session, task_id=task_id),
        outcomes=_quick_outcomes(),
        methods=labels.options(METHODS),
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
    """The office answered but something changed: a reviewer's or admin's new details apply
    and verify it; an officer's go to the review queue (`tasks.record_outcome`)."""
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
        errors["address"] = _("Nothing differs from what is on file. Use “Confirmed correct”.")
    if not errors:
        try:
            with savepoint(session):
                call_outcomes.record_outcome(
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
            field = exc.field or "address"
            if field.startswith("phone_changes"):
                index = int(field.split("[", 1)[1].split("]", 1)[0]) if "[" in field else 0
                field = f"phone-{phone_changes[index]['id']}" if phone_changes else "address"
            elif field.startswith("phones") or field == "number":
                field = f"phone-{phone_changes[0]['id']}" if phone_changes else "address"
            errors[field] = exc.message
        except ValueError as exc:
            errors["method"] = str(exc)
        else:
            done = _("Details changed") if principal.edits_directly else _("Sent for review")
            return redirect(request, "/verify?done=" + _task_notice(done, task_id))
    return _task_page(
        request, task_id, principal, session, values=values, errors=errors, status_code=422
    )


DIGEST_PER_PAGE = 50


@router.get("/digest")
def digest(
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    page: Annotated[int, Query(ge=1, le=100)] = 1,
) -> Response:
    """Per-country digest of overdue and stale offices, as the scheduler last wrote it;
    the countries with most overdue and stale offices first."""
    rows = [digest_public(d) for d in reports.list_digests(session, country=country, limit=300)]
    latest_day = rows[0].digest_date if rows else None
    latest = [r for r in rows if r.digest_date == latest_day]
    latest.sort(key=lambda r: -(r.counts.get("stale", 0) + r.counts.get("overdue", 0)))
    start = (page - 1) * DIGEST_PER_PAGE
    shown = latest[start : start + DIGEST_PER_PAGE]
    return render(
        request,
        "digest.html",
        principal=principal,
        title=_("Digest"),
        day=latest_day,
        rows=shown,
        outreach=outreach.state_counts_by_country(session, countries=[r.country for r in shown]),
        country_count=len(latest),
        country=country or "",
        page=page,
        has_next=start + DIGEST_PER_PAGE < len(latest),
        base={"country": country},
    )


# ---- the review queue --------------------------------------------------------------------

KIND_LABELS = labels.SUBMISSION_KIND_LABELS


@router.get("/review")
def queue(
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    older_than_days: Annotated[str | None, Query(max_length=5)] = None,
    newest_first: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Submissions waiting for a decision, oldest first, with counts per country."""
    values = {
        "country": (country or "").upper(),
        "region": (region or "").upper(),
        "kind": kind or "",
        "status": status or SubmissionStatus.PENDING.value,
        "older_than_days": older_than_days or "",
    }
    errors: dict[str, str] = {}
    if kind and kind not in KIND_LABELS:
        errors["kind"] = _("Choose a kind from the list.")
    if values["status"] not in {s.value for s in SubmissionStatus}:
        errors["status"] = _("Choose a status from the list.")
    if older_than_days and not is_whole_number(older_than_days):
        errors["older_than_days"] = _("Enter a number of days.")
    listing = None
    if not errors:
        filters = review_queue.QueueFilters(
            country=values["country"] or None,
            region=values["region"] or None,
            kinds=[kind] if kind else [],
            statuses=[values["status"]],
            older_than_days=int(older_than_days) if older_than_days else None,
            newest_first=newest_first,
        )
        try:
            listing = review_queue.list_queue(
                session, filters=filters, page=page, per_page=PER_PAGE
            )
        except InvalidValue as exc:
            errors[exc.field or "country"] = exc.message
    base = {k: v for k, v in values.items() if v} | {"newest_first": "1" if newest_first else None}
    return render(
        request,
        "review_queue.html",
        principal=principal,
        status_code=422 if errors else 200,
        title=_("Review queue"),
        items=listing.items if listing else [],
        total=listing.total if listing else 0,
        page=page,
        has_next=bool(listing and page < listing.pages),
        base=base,
        values=values,
        errors=errors,
        newest_first=newest_first,
        kinds=labels.options(KIND_LABELS),
        statuses=labels.options(labels.SUBMISSION_STATUS_LABELS),
        counts=review_queue.country_counts(session),
        notice=request.query_params.get("done"),
    )


def _shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _phone_numbers(session: SessionDep, office_id: int | None) -> dict[int, str]:
    """The contact's phones, id -> number, so a field of one reads by its number."""
    if office_id is None:
        return {}
    office = directory.get_office(session, office_id)
    return {p.id: p.number for p in office.phones if p.id is not None}


def _editable(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _findings_by_path(opened: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in opened.findings:
        out.setdefault(f.path, []).append(f)
    return out


def _fillable(opened: Any) -> list[str]:
    """The paths an import left out that a reviewer may fill in here: one value each (a
    left-out phone is a whole phone, given through the API)."""
    proposed = {row.path for row in opened.diff}
    paths = [f.path for f in opened.findings]
    return [
        p for p in dict.fromkeys(paths) if p not in proposed and not p.startswith("new_phones.")
    ]


def _review_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    submission_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    selected: set[str] | None = None,
    resolved: set[str] | None = None,
    status_code: int = 200,
) -> Response:
    opened = review_queue.review(session, submission_id=submission_id)
    phones = _phone_numbers(session, opened.submission.office_id)
    drift_by_path = {d.path: d for d in opened.drift}
    if values is None:
        values = {
            f"edit:{row.path}": _shown_value(labels.phone_number(row.proposed))
            for row in opened.diff
        }
    own = (principal.key_id is not None and principal.key_id == opened.submitter_key_id) or (
        principal.organization_id is not None
        and principal.organization_id == opened.submitter_organization_id
    )
    return render(
        request,
        "review_detail.html",
        principal=principal,
        status_code=status_code,
        title=_("Submission %(id)s", id=submission_id),
        opened=opened,
        sub=opened.submission,
        drift_by_path=drift_by_path,
        other_drift=[d for d in opened.drift if not d.proposed_here],
        values=values,
        errors=errors or {},
        selected=selected if selected is not None else {row.path for row in opened.diff},
        resolved=resolved or set(),
        editable={row.path for row in opened.diff if _editable(row.proposed)},
        findings_by_path=_findings_by_path(opened),
        fillable=_fillable(opened),
        shown=_shown_value,
        path_label=lambda path: labels.path_label(path, phones),
        own=own,
        pending=opened.submission.status == SubmissionStatus.PENDING,
    )


@router.get("/review/{submission_id}")
def review_detail(
    request: Request, submission_id: int, principal: EditorPage, session: SessionDep
) -> Response:
    """One submission: now and proposed side by side, drift, conflicts and duplicates."""
    return _review_page(request, principal, session, submission_id)


@router.post("/review/{submission_id}/approve")
def approve(
    request: Request,
    submission_id: int,
    principal: EditorPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Approve the ticked fields, with any edited values, in one transaction."""
    opened = review_queue.review(session, submission_id=submission_id)
    proposed = {row.path: row.proposed for row in opened.diff}
    fillable = _fillable(opened)
    proposed.update(dict.fromkeys(p for p in fillable if p not in proposed))
    selected = [str(p) for p in form.getlist("field") if str(p) in proposed]
    resolved = {str(p) for p in form.getlist("resolve")}
    values = {k: str(v) for k, v in form.items() if k.startswith("edit:")}
    edits: dict[str, Any] = {}
    for path in selected:
        typed = values.get(f"edit:{path}")
        if typed is None or not _editable(proposed[path]):
            continue
        new = typed.strip() or None
        # A number is shown formatted; sent back as shown, it is not an edit.
        if new not in (proposed[path], labels.phone_number(proposed[path])):
            edits[path] = new
    errors: dict[str, str] = {}
    if not selected:
        errors["form"] = _("Tick at least one field to approve, or reject the submission.")
    else:
        try:
            with savepoint(session):
                decided = decisions.approve(
                    session,
                    submission_id=submission_id,
                    reviewer=principal,
                    fields=None if set(selected) == {r.path for r in opened.diff} else selected,
                    edits=edits,
                    resolve_conflicts=resolved,
                    expected_version=whole_number(form.get("version")),
                    reason=plain(form.get("reason")),
                )
        except SubmissionConflict as exc:
            errors["form"] = _(
                "Someone else changed %(fields)s after this was submitted. Compare the values, "
                "then tick “overwrite” for each field you still want to change, or untick it.",
                fields=", ".join(labels.path_label(path) for path in exc.fields),
            )
            for path in exc.fields:
                errors[f"edit:{path}"] = _("Changed by someone else since: tick “overwrite”.")
        except InvalidValue as exc:
            field = exc.field or "form"
            path = field.removeprefix("edits.")
            errors[f"edit:{path}" if path in proposed else "form"] = exc.message
        else:
            return redirect(
                request, "/review?done=" + _approval_notice(decided, len(selected), len(proposed))
            )
    return _review_page(
        request,
        principal,
        session,
        submission_id,
        values=values,
        errors=errors,
        selected=set(selected),
        resolved=resolved,
        status_code=409 if any(k != "form" for k in errors) else 422,
    )


def _approval_notice(decided: Submission, applied: int, proposed: int) -> str:
    """What the approval did, as the queue's notice names it (a partial one says so)."""
    if decided.status == SubmissionStatus.PARTIALLY_APPROVED:
        return _(
            "Partially approved submission %(id)s: %(applied)s of %(proposed)s changes applied",
            id=decided.id,
            applied=applied,
            proposed=proposed,
        )
    return _("Approved submission %(id)s", id=decided.id)


@router.post("/review/{submission_id}/reject")
def reject(
    request: Request,
    submission_id: int,
    principal: EditorPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Reject with a reason the partner will read."""
    reason = plain(form.get("reason"))
    if not reason:
        return _review_page(
            request,
            principal,
            session,
            submission_id,
            errors={"reject_reason": _("Say why, in words the partner will understand.")},
            status_code=422,
        )
    decisions.reject(
        session,
        submission_id=submission_id,
        reviewer=principal,
        reason=reason,
        expected_version=whole_number(form.get("version")),
    )
    return redirect(request, f"/review?done=Rejected submission {submission_id}")


@router.post("/review/{submission_id}/duplicate")
def duplicate(
    request: Request,
    submission_id: int,
    principal: EditorPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Close the submission as a duplicate of an existing contact or another submission."""
    decisions.mark_duplicate(
        session,
        submission_id=submission_id,
        reviewer=principal,
        of_office_id=whole_number(form.get("of_office_id")),
        of_submission_id=whole_number(form.get("of_submission_id")),
        reason=plain(form.get("reason")),
        expected_version=whole_number(form.get("version")),
    )
    return redirect(request, f"/review?done=Marked submission {submission_id} as a duplicate")
