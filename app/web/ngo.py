"""NGO partner pages: browse the country's contacts, suggest a correction, report a closure
or move, confirm a contact is still correct, propose a new contact, see "My submissions".

Submissions go through the review queue's intake (app.review.service.create_submission),
which validates them exactly as the directory would; confirmations go through the
verification domain (app.verification.partners). This module turns form fields into those
proposals and puts any error back next to the field it concerns, keeping what was typed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.auth.principal import Principal
from app.config import get_settings
from app.directory import listing, search, service
from app.directory.enums import CATEGORY_ORDER, PhoneKind, ServiceTag
from app.directory.geography import country_name, region_name
from app.directory.models import Office
from app.directory.presenter import contact_public, phone_public
from app.directory.validation import checked_country, checked_region
from app.kit.clock import utcnow
from app.kit.errors import Conflict, HomewardError, InvalidValue, TooManyRequests
from app.review import service as review
from app.review.models import ClosureReason
from app.review.schemas import ClosureCreate, CorrectionCreate, NewContactCreate
from app.verification import partners
from app.web.forms import errors_from_validation, plain
from app.web.officer import country_options, region_options
from app.web.session import CheckedForm, checked_form, require_page
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

PartnerPage = Annotated[Principal, require_page("ngo")]
PER_PAGE = 50

ORG_FIELDS = ("name", "local_name", "website", "email")
OFFICE_FIELDS = (
    "name",
    "address",
    "city",
    "postal_code",
    "opening_hours",
    "email",
    "website",
)
PHONE_KINDS = [(k.value, k.value.replace("_", " ").capitalize()) for k in PhoneKind]
CATEGORIES = [(c.value, c.value) for c in CATEGORY_ORDER]
SERVICES = [s.value for s in ServiceTag]
CLOSURE_REASONS = [
    (ClosureReason.CLOSED.value, "The office has closed"),
    (
        ClosureReason.MOVED.value,
        "The office has moved (it is closed here; propose the new address as a new contact)",
    ),
    (ClosureReason.NUMBER_DISCONNECTED.value, "One number no longer works"),
]


# ---- helpers ---------------------------------------------------------------------------


def _partner_countries(session: SessionDep, principal: Principal) -> list[str]:
    assert principal.organization_id is not None
    return sorted(partners.default_countries(session, organization_id=principal.organization_id))


def _languages(raw: str | None) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", (raw or "").strip().lower()) if part]


def _field_for(name: str | None, known: set[str], phone_ids: list[int]) -> str:
    """Map a service or pydantic error location to the form field that shows it."""
    if not name:
        return "form"
    name = re.sub(r"\[(\d+)\]", r".\1", name)
    parts = name.split(".")
    if parts[0] == "phones" and len(parts) >= 2 and parts[1].isdigit():
        index_or_id = int(parts[1])
        if index_or_id not in phone_ids and index_or_id < len(phone_ids):
            parts[1] = str(phone_ids[index_or_id])
    if parts[0] == "office" and len(parts) >= 2 and parts[1] == "phones":
        parts = ["new_phones", *parts[2:]]
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return "form"


def _plain_conflict(exc: HomewardError) -> str:
    if isinstance(exc, TooManyRequests):
        return (
            "You have sent many suggestions in a short time. Please wait "
            f"{max(1, exc.retry_after // 60)} minutes and send this again; what you typed is "
            "kept below."
        )
    return (
        "Someone changed this contact while you were editing. Reload the page to see the "
        "current values, then make your change again."
    )


def _error_message(exc: HomewardError) -> str:
    message = exc.message
    if message == "nothing differs from the contact as it is now":
        return (
            "Nothing differs from the contact as it is now. Change a value, "
            "or use “Confirm still correct”."
        )
    return message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")


# ---- browse ----------------------------------------------------------------------------


@router.get("/ngo")
def browse(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    every_region: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The partner's country's contacts (never confidential ones), to check and correct.

    Without a region or a name, the nationwide offices; `every_region=1` lists them all.
    """
    countries = _partner_countries(session, principal)
    chosen = checked_country(country) if country else (countries[0] if countries else None)
    chosen_region = checked_region(chosen, region or None) if chosen else None
    contacts: list[Any] = []
    total = 0
    if chosen:
        listed = listing.contact_page(
            session,
            filters=search.ContactFilters(
                country=chosen,
                region=chosen_region,
                nationwide_only=chosen_region is None and not (q or every_region),
                q=q or None,
            ),
            viewer=principal,
            now=utcnow(),
            settings=get_settings(),
            page=page,
            per_page=PER_PAGE,
        )
        contacts, total = listed["items"], int(listed["total"])
    groups: dict[str, list[Any]] = {}
    for contact in contacts:
        groups.setdefault(contact["category"], []).append(contact)
    nationwide_only = chosen_region is None and not (q or every_region)
    base = {
        "country": chosen,
        "region": chosen_region,
        "q": q,
        "every_region": "1" if every_region and not chosen_region else None,
    }
    return render(
        request,
        "ngo_browse.html",
        principal=principal,
        title="Contacts",
        countries=[(c, country_name(c)) for c in countries],
        country=chosen or "",
        country_label=country_name(chosen) if chosen else None,
        region=chosen_region or "",
        region_label=region_name(chosen_region) if chosen_region else None,
        regions=region_options(chosen, "en") if chosen else [],
        q=q or "",
        nationwide_only=nationwide_only,
        groups=list(groups.items()),
        total=total,
        page=page,
        has_next=page * PER_PAGE < total,
        base=base,
        notice=request.query_params.get("sent"),
    )


# ---- confirm still correct ---------------------------------------------------------------


@router.get("/ngo/contacts/{office_id}/confirm")
def confirm_page(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """Ask the partner to confirm every detail shown is still right."""
    office = service.get_office(session, office_id, viewer=principal)
    return _confirm_page(request, principal, office, values={}, errors={})


def _confirm_page(
    request: Request,
    principal: Principal,
    office: Office,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    contact = contact_public(office, now=utcnow(), settings=get_settings())
    return render(
        request,
        "ngo_confirm.html",
        principal=principal,
        status_code=status_code,
        title="Confirm still correct",
        contact=contact,
        values=values,
        errors=errors,
    )


@router.post("/ngo/contacts/{office_id}/confirm")
def confirm(
    request: Request,
    office_id: int,
    principal: PartnerPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Record that the partner confirmed the contact (a verification by the NGO network)."""
    note = plain(form.get("note"))
    try:
        partners.confirm_by_partner(session, office_id=office_id, partner=principal, note=note)
    except (InvalidValue, HomewardError) as exc:
        if exc.status_code == 404:
            raise
        session.rollback()
        office = service.get_office(session, office_id, viewer=principal)
        return _confirm_page(
            request,
            principal,
            office,
            values={"note": note or ""},
            errors={"note" if exc.field == "note" else "form": _error_message(exc)},
            status_code=exc.status_code,
        )
    return redirect(request, f"/contacts/{office_id}?confirmed=1")


# ---- suggest a correction ----------------------------------------------------------------


def _current_values(office: Office) -> dict[str, str]:
    org = office.organization
    values = {f"organization.{f}": getattr(org, f) or "" for f in ORG_FIELDS}
    values.update({f"office.{f}": getattr(office, f) or "" for f in OFFICE_FIELDS})
    values["office.languages"] = ", ".join(office.language_codes)
    values["office.meets_on_arrival"] = "1" if office.meets_on_arrival else ""
    for phone in office.phones:
        if phone.status == "active":
            values[f"phones.{phone.id}.number"] = phone.number
            values[f"phones.{phone.id}.hours"] = phone.hours or ""
    values["new_phones.0.kind"] = PhoneKind.VOICE.value
    values["office.version"] = str(office.version)
    values["organization.version"] = str(org.version)
    return values


def _active_phones(office: Office) -> list[Any]:
    return [p for p in office.phones if p.status == "active"]


def _correction_page(
    request: Request,
    principal: Principal,
    office: Office,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "ngo_correct.html",
        principal=principal,
        status_code=status_code,
        title="Suggest a correction",
        contact=contact_public(office, now=utcnow(), settings=get_settings()),
        phones=_active_phones(office),
        phone_kinds=PHONE_KINDS,
        values=values,
        errors=errors,
    )


@router.get("/ngo/contacts/{office_id}/correct")
def correction_form(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """The correction form, pre-filled with the contact's current values."""
    office = service.get_office(session, office_id, viewer=principal)
    return _correction_page(request, principal, office, values=_current_values(office), errors={})


def _correction_payload(office: Office, form: FormData) -> dict[str, Any]:
    def text(name: str) -> str | None:
        return plain(form.get(name))

    def version(name: str) -> int | None:
        raw = text(name)
        return int(raw) if raw and raw.isdigit() else None

    payload: dict[str, Any] = {
        "kind": "correction",
        "office_id": office.id,
        "office": {f: text(f"office.{f}") for f in OFFICE_FIELDS}
        | {
            "languages": _languages(text("office.languages")),
            "meets_on_arrival": bool(form.get("office.meets_on_arrival")),
            "version": version("office.version"),
        },
        "organization": {f: text(f"organization.{f}") for f in ORG_FIELDS}
        | {"version": version("organization.version")},
        "phones": [
            {"id": p.id, "number": text(f"phones.{p.id}.number") or p.number}
            | {"hours": text(f"phones.{p.id}.hours")}
            for p in _active_phones(office)
        ],
        "new_phones": [
            {"number": number, "kind": text("new_phones.0.kind") or PhoneKind.VOICE.value}
        ]
        if (number := text("new_phones.0.number"))
        else [],
        "note": text("note"),
    }
    # A name cannot be emptied: an empty box means "no change".
    if payload["organization"]["name"] is None:
        payload["organization"]["name"] = office.organization.name
    return payload


@router.post("/ngo/contacts/{office_id}/correct")
def submit_correction(
    request: Request,
    office_id: int,
    principal: PartnerPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Queue a correction for review; errors come back next to their fields."""
    office = service.get_office(session, office_id, viewer=principal)
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    known = set(_current_values(office)) | {"note", "form", "new_phones.0.number"}
    phone_ids = [p.id or 0 for p in _active_phones(office)]
    errors: dict[str, str] = {}
    try:
        proposal = CorrectionCreate.model_validate(_correction_payload(office, form))
    except ValidationError as exc:
        for name, message in errors_from_validation(exc).items():
            errors.setdefault(_field_for(name, known, phone_ids), message)
    else:
        try:
            submission = review.create_submission(
                session, proposal=proposal, submitter=principal, source="web"
            )
        except (Conflict, TooManyRequests) as exc:
            session.rollback()
            errors["form"] = _plain_conflict(exc)
        except InvalidValue as exc:
            session.rollback()
            errors[_field_for(exc.field, known, phone_ids)] = _error_message(exc)
        else:
            return redirect(request, f"/ngo/submissions?sent={submission.id}")
    session.rollback()
    office = service.get_office(session, office_id, viewer=principal)
    return _correction_page(
        request, principal, office, values=values, errors=errors, status_code=422
    )


# ---- report closed or moved --------------------------------------------------------------


def _report_page(
    request: Request,
    principal: Principal,
    office: Office,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "ngo_report.html",
        principal=principal,
        status_code=status_code,
        title="Report closed or moved",
        contact=contact_public(office, now=utcnow(), settings=get_settings()),
        phone_options=[
            (str(p.id), f"{phone_public(p).national} ({p.kind})") for p in _active_phones(office)
        ],
        reasons=CLOSURE_REASONS,
        values=values,
        errors=errors,
    )


@router.get("/ngo/contacts/{office_id}/report")
def report_form(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """Report that an office closed or moved, or that one of its numbers is disconnected."""
    office = service.get_office(session, office_id, viewer=principal)
    return _report_page(
        request, principal, office, values={"version": str(office.version)}, errors={}
    )


@router.post("/ngo/contacts/{office_id}/report")
def submit_report(
    request: Request,
    office_id: int,
    principal: PartnerPage,
    session: SessionDep,
    form: CheckedForm,
) -> Response:
    """Queue a closure report for review."""
    office = service.get_office(session, office_id, viewer=principal)
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    reason = plain(form.get("reason"))
    phone_raw = plain(form.get("phone_id"))
    phone_id = int(phone_raw) if phone_raw and phone_raw.isdigit() else None
    errors: dict[str, str] = {}
    if reason is None:
        errors["reason"] = "Choose what happened."
    elif reason == ClosureReason.NUMBER_DISCONNECTED.value and phone_id is None:
        errors["phone_id"] = "Choose the number that no longer works."
    if not errors:
        version = None
        if reason == ClosureReason.NUMBER_DISCONNECTED.value:
            phone = next((p for p in office.phones if p.id == phone_id), None)
            version = phone.version if phone else None
        else:
            raw = plain(form.get("version"))
            version = int(raw) if raw and raw.isdigit() else None
        payload = {
            "kind": "closure",
            "office_id": office_id,
            "reason": reason,
            "phone_id": phone_id if reason == ClosureReason.NUMBER_DISCONNECTED.value else None,
            "version": version,
            "note": plain(form.get("note")),
        }
        try:
            proposal = ClosureCreate.model_validate(payload)
            submission = review.create_submission(
                session, proposal=proposal, submitter=principal, source="web"
            )
        except ValidationError as exc:
            errors.update(
                {
                    _field_for(k, {"reason", "phone_id", "note"}, []): v
                    for k, v in errors_from_validation(exc).items()
                }
            )
        except (Conflict, TooManyRequests) as exc:
            session.rollback()
            errors["form"] = _plain_conflict(exc)
        except InvalidValue as exc:
            session.rollback()
            errors[_field_for(exc.field, {"reason", "phone_id", "note"}, [])] = _error_message(exc)
        else:
            return redirect(request, f"/ngo/submissions?sent={submission.id}")
    session.rollback()
    office = service.get_office(session, office_id, viewer=principal)
    return _report_page(request, principal, office, values=values, errors=errors, status_code=422)


# ---- propose a new contact ---------------------------------------------------------------

NEW_TEXT_FIELDS = (
    "organization.name",
    "organization.local_name",
    "organization.website",
    "organization.email",
    "office.name",
    "office.city",
    "office.address",
    "office.opening_hours",
    "office.email",
    "office.website",
)


def _new_contact_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    country = values.get("office.country") or ""
    try:
        regions = region_options(checked_country(country), "en") if country else []
    except InvalidValue:
        regions = []
    return render(
        request,
        "ngo_new.html",
        principal=principal,
        status_code=status_code,
        title="Propose a new contact",
        values=values,
        errors=errors,
        countries=country_options("en"),
        regions=regions,
        categories=CATEGORIES,
        services=SERVICES,
        chosen_services=set(values.get("organization.services", "").split(",")),
        phone_kinds=PHONE_KINDS,
    )


@router.get("/ngo/new")
def new_contact_form(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """A form for a contact the directory does not have yet (any country or region)."""
    countries = _partner_countries(session, principal)
    chosen = checked_country(country) if country else (countries[0] if countries else "")
    values = {
        "office.country": chosen,
        "new_phones.0.kind": PhoneKind.VOICE.value,
        "new_phones.1.kind": PhoneKind.VOICE.value,
    }
    return _new_contact_page(request, principal, session, values=values, errors={})


@router.post("/ngo/new")
def submit_new_contact(
    request: Request, principal: PartnerPage, session: SessionDep, form: CheckedForm
) -> Response:
    """Queue a new contact for review (duplicates are flagged to the reviewer)."""
    values = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "services")}
    services = [str(s) for s in form.getlist("services")]
    values["organization.services"] = ",".join(services)

    def text(name: str) -> str | None:
        return plain(form.get(name))

    phones = [
        {"number": number, "kind": text(f"new_phones.{i}.kind") or PhoneKind.VOICE.value}
        for i in range(2)
        if (number := text(f"new_phones.{i}.number"))
    ]
    payload = {
        "kind": "new_contact",
        "organization": {
            "name": text("organization.name") or "",
            "local_name": text("organization.local_name"),
            "category": text("organization.category") or "",
            "website": text("organization.website"),
            "email": text("organization.email"),
            "services": services,
        },
        "office": {
            "name": text("office.name"),
            "country": text("office.country") or "",
            "region": text("office.region"),
            "city": text("office.city"),
            "address": text("office.address"),
            "opening_hours": text("office.opening_hours"),
            "email": text("office.email"),
            "website": text("office.website"),
            "languages": _languages(text("office.languages")),
            "meets_on_arrival": bool(form.get("office.meets_on_arrival")),
            "phones": phones,
        },
        "note": text("note"),
    }
    known = set(NEW_TEXT_FIELDS) | {
        "organization.category",
        "organization.services",
        "office.country",
        "office.region",
        "office.languages",
        "office.meets_on_arrival",
        "new_phones.0.number",
        "new_phones.1.number",
        "note",
        "form",
    }
    errors: dict[str, str] = {}
    if not phones:
        errors["new_phones.0.number"] = "Give at least one phone number."
    try:
        proposal = NewContactCreate.model_validate(payload)
    except ValidationError as exc:
        for name, message in errors_from_validation(exc).items():
            name = re.sub(r"^office\.phones\.(\d+)", r"new_phones.\1", name)
            errors.setdefault(_field_for(name, known, []), message)
    if not errors:
        try:
            submission = review.create_submission(
                session, proposal=proposal, submitter=principal, source="web"
            )
        except (Conflict, TooManyRequests) as exc:
            session.rollback()
            errors["form"] = _plain_conflict(exc)
        except InvalidValue as exc:
            session.rollback()
            name = re.sub(r"^office\.phones\.(\d+)", r"new_phones.\1", exc.field or "")
            errors[_field_for(name, known, [])] = _error_message(exc)
        else:
            return redirect(request, f"/ngo/submissions?sent={submission.id}")
    session.rollback()
    return _new_contact_page(
        request, principal, session, values=values, errors=errors, status_code=422
    )


# ---- my submissions ----------------------------------------------------------------------


@router.get("/ngo/submissions")
def my_submissions(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The organisation's submissions, newest first: status and the reviewer's reasons."""
    listing = review.list_for_partner(session, partner=principal, page=page, per_page=50)
    return render(
        request,
        "ngo_submissions.html",
        principal=principal,
        title="My submissions",
        submissions=listing.items,
        total=listing.total,
        page=page,
        has_next=page < listing.pages,
        base={},
        sent=request.query_params.get("sent"),
    )
