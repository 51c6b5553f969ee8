"""Admin pages: create keys (shown once), revoke keys, and the audit view of revisions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from app.auth import key_audit
from app.auth import service as key_service
from app.auth.dependencies import SessionDep
from app.auth.models import Role
from app.db import savepoint
from app.directory import audit
from app.directory.presenter import revision_public
from app.kit.errors import InvalidValue
from app.kit.models import MAX_ID
from app.kit.paging import Page
from app.kit.principal import Principal
from app.kit.text import is_whole_number
from app.web import labels
from app.web.forms import in_page_language
from app.web.i18n import N_, _
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render, render_form

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

AdminPage = Annotated[Principal, require_page("admin")]
KeyId = Annotated[int, Path(ge=1, le=MAX_ID)]

ROLE_OPTIONS = {
    Role.OFFICER.value: N_("Officer — search contacts and print sheets"),
    Role.NGO.value: N_("NGO partner — suggest corrections (tied to one organisation)"),
    Role.REVIEWER.value: N_("Reviewer — decide submissions, verify, edit"),
    Role.ADMIN.value: N_("Admin — everything, including keys"),
}


def _keys_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    issued: key_service.IssuedKey | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_keys.html",
        principal=principal,
        status_code=status_code,
        title=_("Keys"),
        keys=key_service.list_keys(session),
        roles=labels.options(ROLE_OPTIONS),
        values=values or {},
        errors=errors or {},
        issued=issued,
        notice=notice,
    )


@router.get("/admin/keys")
def keys_page(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    """Every key (never its secret), a form to create one, and a revoke button for each."""
    notice = None
    if request.query_params.get("revoked"):
        notice = _(
            "Key %(id)s is revoked. It no longer works anywhere.",
            id=request.query_params["revoked"],
        )
    return _keys_page(request, principal, session, notice=notice)


@router.post("/admin/keys")
def create_key(
    request: Request, principal: AdminPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Create a key and show its secret on this response only."""
    values = {k: str(form.get(k) or "").strip() for k in ("name", "role", "organization_id")}
    errors: dict[str, str] = {}
    organization_id: int | None = None
    if values["organization_id"]:
        try:
            organization_id = int(values["organization_id"])
        except ValueError:
            errors["organization_id"] = _("Enter the organisation's number, digits only.")
    if not errors:
        try:
            with savepoint(session):
                issued = key_service.create_key(
                    session,
                    name=values["name"],
                    role=values["role"],
                    organization_id=organization_id,
                    by=principal,
                )
        except InvalidValue as exc:
            errors[exc.field or "name"] = _plain_reason(exc)
        else:
            return _keys_page(request, principal, session, issued=issued, status_code=201)
    return _keys_page(request, principal, session, values=values, errors=errors, status_code=422)


def _plain_reason(exc: InvalidValue) -> str:
    reasons = {
        "name": N_("Give the key a name of 1 to 200 characters, such as “Border desk Dover”."),
        "role": N_("Choose a role."),
    }
    if exc.field == "organization_id":
        if "must be tied" in exc.message:
            return _("An NGO partner key needs the number of the partner's organisation.")
        if "only ngo" in exc.message:
            return _("Only NGO partner keys belong to an organisation; leave this empty.")
        return _("There is no organisation with this number.")
    reason = reasons.get(exc.field or "")
    return _(reason) if reason else in_page_language(exc)


@router.get("/admin/keys/{key_id}/revoke")
def confirm_revoke(
    request: Request, key_id: KeyId, principal: AdminPage, session: SessionDep
) -> Response:
    """Ask before revoking: which key, what revoking does, Confirm or Cancel."""
    key = key_service.get_key(session, key_id=key_id)
    return render(
        request,
        "admin_revoke.html",
        principal=principal,
        title=_("Revoke key %(id)s?", id=key_id),
        key=key,
        own=principal.key_id == key.id,
    )


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(
    request: Request, key_id: KeyId, principal: AdminPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Revoke a key at once (its browser sessions end on their next request); recorded in
    the audit."""
    key_service.revoke_key(session, key_id=key_id, by=principal)
    return redirect(request, f"/admin/keys?revoked={key_id}")


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), tzinfo=UTC)
    except ValueError as exc:
        raise InvalidValue(_("Use a date like 2026-05-03."), field=field) from exc


@router.get("/admin/audit")
def audit_page(
    request: Request,
    principal: AdminPage,
    session: SessionDep,
    entity: Annotated[str | None, Query(pattern="^(|office|organization|phone|api_key)$")] = None,
    field: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    office_id: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Recent revisions across the directory, newest first, filtered."""
    errors: dict[str, str] = {}
    office: int | None = None
    if office_id:
        if is_whole_number(office_id):
            office = int(office_id)
        else:
            errors["office_id"] = _("A contact number has digits only.")
    dates: dict[str, datetime | None] = {}
    for name, raw in (("since", since), ("until", until)):
        try:
            dates[name] = _day(raw, name)
        except InvalidValue as exc:
            errors[name] = exc.message
            dates[name] = None
    until_day = dates["until"]
    filters = audit.RevisionFilters(
        entity=entity or None,
        field=field or None,
        actor=actor or None,
        source=source or None,
        office_id=office,
        since=dates["since"],
        # "until" is inclusive of the day typed.
        until=until_day + timedelta(days=1) if until_day else None,
    )
    rows, has_next = (
        audit.recent_revisions(session, filters=filters, page=Page(page))
        if not errors
        else ([], False)
    )
    values = {
        "entity": entity or "",
        "field": field or "",
        "actor": actor or "",
        "source": source or "",
        "office_id": office_id or "",
        "since": since or "",
        "until": until or "",
    }
    key_names = key_audit.key_names(
        session, (r.entity_id for r in rows if r.entity == key_audit.ENTITY)
    )
    names = audit.record_names(session, rows) | {
        (key_audit.ENTITY, key_id): name for key_id, name in key_names.items()
    }
    return render_form(
        request,
        "admin_audit.html",
        principal=principal,
        title=_("Audit"),
        revisions=[revision_public(r) for r in rows],
        record_label=lambda r: labels.record_label(r.entity, r.entity_id, names),
        values=values,
        errors=errors,
        page=page,
        has_next=has_next,
        base={k: v for k, v in values.items() if v},
    )
