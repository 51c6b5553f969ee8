"""The review queue (editors): list submissions, open one, approve, reject or mark it a
duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app.auth.dependencies import EDITORS, SessionDep
from app.db import savepoint
from app.directory import lookup
from app.kit.errors import InvalidValue
from app.kit.paging import Page
from app.kit.principal import Principal
from app.kit.text import is_whole_number
from app.review import decisions
from app.review import queue as review_queue
from app.review.errors import SubmissionConflict
from app.review.models import Submission, SubmissionStatus
from app.review.submitters import submitters
from app.web import labels
from app.web.forms import plain, reason, whole_number
from app.web.i18n import _
from app.web.page import Place, SignedInPage, signed_in_page
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render, render_form

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])
EditorPage = Annotated[Principal, require_page(*EDITORS)]
EditorView = Annotated[SignedInPage, signed_in_page(*EDITORS)]


@dataclass
class SubmissionPage:
    """An editor's page about the submission `submission_id` of the path (a FastAPI
    dependency)."""

    request: Request
    submission_id: int
    principal: EditorPage
    session: SessionDep


OnSubmission = Annotated[SubmissionPage, Depends()]


KIND_LABELS = labels.SUBMISSION_KIND_LABELS
PER_PAGE = 50


@router.get("/review")
def queue(
    view: EditorView,
    place: Place,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    older_than_days: Annotated[str | None, Query(max_length=5)] = None,
    newest_first: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Submissions waiting for a decision, oldest first, with counts per country."""
    values = {
        "country": (place.country or "").upper(),
        "region": (place.region or "").upper(),
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
                view.session, filters=filters, page=Page(page, PER_PAGE)
            )
        except InvalidValue as exc:
            errors[exc.field or "country"] = reason(exc)
    base = {k: v for k, v in values.items() if v} | {"newest_first": "1" if newest_first else None}
    return render_form(
        view.request,
        "review_queue.html",
        principal=view.principal,
        title=_("Review queue"),
        items=listing.items if listing else [],
        submitters=_submitter_labels(
            view.session, [s.id for s in listing.items] if listing else []
        ),
        total=listing.total if listing else 0,
        page=page,
        has_next=bool(listing and page < listing.pages),
        base=base,
        values=values,
        errors=errors,
        newest_first=newest_first,
        kinds=labels.options(KIND_LABELS),
        statuses=labels.options(labels.SUBMISSION_STATUS_LABELS),
        counts=review_queue.country_counts(view.session),
        notice=view.request.query_params.get("done"),
    )


def _submitter_labels(session: SessionDep, submission_ids: list[int]) -> dict[int, str]:
    """Each submission's submitter, worded in the page's language."""
    return {i: labels.submitter_label(s) for i, s in submitters(session, submission_ids).items()}


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
    office = lookup.get_office(session, office_id)
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
    on: SubmissionPage,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    selected: set[str] | None = None,
    resolved: set[str] | None = None,
    status_code: int = 200,
) -> Response:
    opened = review_queue.review(on.session, submission_id=on.submission_id)
    phones = _phone_numbers(on.session, opened.submission.office_id)
    drift_by_path = {d.path: d for d in opened.drift}
    if values is None:
        values = {
            f"edit:{row.path}": _shown_value(labels.phone_number(row.proposed))
            for row in opened.diff
        }
    own = (on.principal.key_id is not None and on.principal.key_id == opened.submitter_key_id) or (
        on.principal.organization_id is not None
        and on.principal.organization_id == opened.submitter_organization_id
    )
    return render(
        on.request,
        "review_detail.html",
        principal=on.principal,
        status_code=status_code,
        title=_("Submission %(id)s", id=on.submission_id),
        opened=opened,
        sub=opened.submission,
        submitter=_submitter_labels(on.session, [on.submission_id]).get(
            on.submission_id, opened.submission.submitter_name
        ),
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
def review_detail(on: OnSubmission) -> Response:
    """One submission: now and proposed side by side, drift, conflicts and duplicates."""
    return _review_page(on)


@router.post("/review/{submission_id}/approve")
def approve(on: OnSubmission, form: CheckedForm) -> Response:
    """Approve the ticked fields, with any edited values, in one transaction."""
    opened = review_queue.review(on.session, submission_id=on.submission_id)
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
            with savepoint(on.session):
                decided = decisions.approve(
                    on.session,
                    submission_id=on.submission_id,
                    reviewer=on.principal,
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
            errors[f"edit:{path}" if path in proposed else "form"] = reason(exc)
        else:
            return redirect(
                on.request,
                "/review?done=" + _approval_notice(decided, len(selected), len(proposed)),
            )
    return _review_page(
        on,
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
def reject(on: OnSubmission, form: CheckedForm) -> Response:
    """Reject with a reason the partner will read."""
    reason = plain(form.get("reason"))
    if not reason:
        return _review_page(
            on,
            errors={"reject_reason": _("Say why, in words the partner will understand.")},
            status_code=422,
        )
    decisions.reject(
        on.session,
        submission_id=on.submission_id,
        reviewer=on.principal,
        reason=reason,
        expected_version=whole_number(form.get("version")),
    )
    return redirect(
        on.request, "/review?done=" + _("Rejected submission %(id)s", id=on.submission_id)
    )


@router.post("/review/{submission_id}/duplicate")
def duplicate(on: OnSubmission, form: CheckedForm) -> Response:
    """Close the submission as a duplicate of an existing contact or another submission."""
    decisions.mark_duplicate(
        on.session,
        submission_id=on.submission_id,
        reviewer=on.principal,
        of_office_id=whole_number(form.get("of_office_id")),
        of_submission_id=whole_number(form.get("of_submission_id")),
        reason=plain(form.get("reason")),
        expected_version=whole_number(form.get("version")),
    )
    return redirect(
        on.request,
        "/review?done=" + _("Marked submission %(id)s as a duplicate", id=on.submission_id),
    )
