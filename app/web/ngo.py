"""NGO partner pages: browse the country's contacts, suggest a correction, report a closure
or move, confirm a contact is still correct, propose a new contact, see "My submissions".

Submissions go through the review queue's intake (app.review.service.create_submission),
which validates them exactly as the directory would; confirmations go through the
verification domain (app.verification.partners). This module turns form fields into those
proposals and puts any error back next to the field it concerns, keeping what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
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
from app.kit.text import is_whole_number
from app.review import service as review
from app.review.models import ClosureReason
from app.review.schemas import ClosureCreate, CorrectionCreate, NewContactCreate
from app.verification import partners
from app.web.forms import errors_from_validation, plain, typed_values, whole_number
from app.web.officer import category_groups, country_options, region_options
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
    if parts[0] == "phones" and len(parts) >= 2 and is_whole_number(parts[1]):
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


def _submit(
    request: Request,
    session: SessionDep,
    principal: Principal,
    model: type[review.Proposal],
    payload: dict[str, Any],
    errors: dict[str, str],
    field_for: Callable[[str | None], str],
) -> Response | None:
    """Validate `payload` as `model`, queue it for review and send the partner on to
    "My submissions".

    Otherwise the answer is None, for the caller to show the form again with the reasons in
    `errors`: each invalid value on the field `field_for` names (the first error per field),
    a conflict or the rate limit on the whole form (the transaction rolled back). Nothing is
    queued when `errors` already holds one.
    """
    try:
        proposal = model.model_validate(payload)
    except ValidationError as exc:
        for name, message in errors_from_validation(exc).items():
            errors.setdefault(field_for(name), message)
    if errors:
        return None
    try:
        submission = review.create_submission(
            session, proposal=proposal, submitter=principal, source="web"
        )
    except (Conflict, TooManyRequests) as exc:
        session.rollback()
        errors["form"] = _plain_conflict(exc)
    except InvalidValue as exc:
        session.rollback()
        errors[field_for(exc.field)] = _error_message(exc)
    else:
        return redirect(request, f"/ngo/submissions?sent={submission.id}")
    return None


# The forms about one contact, by the last part of their path (template `ngo_<form>.html`).
CONTACT_FORM_TITLES = {
    "confirm": "Confirm still correct",
    "correct": "Suggest a correction",
    "report": "Report closed or moved",
}


def _active_phones(office: Office) -> list[Any]:
    return [p for p in office.phones if p.status == "active"]


def _contact_form_page(
    request: Request,
    principal: Principal,
    office: Office,
    form: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    """A form about a contact (`confirm`, `correct` or `report`), next to the contact as it is."""
    extra: dict[str, Any] = {}
    if form == "correct":
        extra = {"phones": _active_phones(office), "phone_kinds": PHONE_KINDS}
    elif form == "report":
        extra = {
            "phone_options": [
                (str(p.id), f"{phone_public(p).national} ({p.kind})")
                for p in _active_phones(office)
            ],
            "reasons": CLOSURE_REASONS,
        }
    return render(
        request,
        f"ngo_{form}.html",
        principal=principal,
        status_code=status_code,
        title=CONTACT_FORM_TITLES[form],
        contact=contact_public(office, now=utcnow(), settings=get_settings()),
        values=values,
        errors=errors,
        **extra,
    )


def _contact_form_again(
    request: Request,
    principal: Principal,
    session: SessionDep,
    office_id: int,
    form: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 422,
) -> Response:
    """The form again after a refusal, with what was typed and why: the transaction rolled
    back and the contact read afresh."""
    session.rollback()
    office = service.get_office(session, office_id, viewer=principal)
    return _contact_form_page(
        request, principal, office, form, values=values, errors=errors, status_code=status_code
    )


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
    nationwide_only = chosen_region is None and not (q or every_region)
    contacts: list[Any] = []
    total = 0
    if chosen:
        listed = listing.contact_page(
            session,
            filters=search.ContactFilters(
                country=chosen,
                region=chosen_region,
                nationwide_only=nationwide_only,
                q=q or None,
            ),
            viewer=principal,
            now=utcnow(),
            settings=get_settings(),
            page=page,
            per_page=PER_PAGE,
        )
        contacts, total = listed["items"], int(listed["total"])
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
        groups=category_groups(contacts),
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
    return _contact_form_page(request, principal, office, "confirm", values={}, errors={})


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
        return _contact_form_again(
            request,
            principal,
            session,
            office_id,
            "confirm",
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


@router.get("/ngo/contacts/{office_id}/correct")
def correction_form(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """The correction form, pre-filled with the contact's current values."""
    office = service.get_office(session, office_id, viewer=principal)
    return _contact_form_page(
        request, principal, office, "correct", values=_current_values(office), errors={}
    )


def _correction_payload(office: Office, form: FormData) -> dict[str, Any]:
    def text(name: str) -> str | None:
        return plain(form.get(name))

    payload: dict[str, Any] = {
        "kind": "correction",
        "office_id": office.id,
        "office": {f: text(f"office.{f}") for f in OFFICE_FIELDS}
        | {
            "languages": _languages(text("office.languages")),
            "meets_on_arrival": bool(form.get("office.meets_on_arrival")),
            "version": whole_number(form.get("office.version")),
        },
        "organization": {f: text(f"organization.{f}") for f in ORG_FIELDS}
        | {"version": whole_number(form.get("organization.version"))},
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
    values = typed_values(form)
    field_for = partial(
        _field_for,
        known=set(_current_values(office)) | {"note", "form", "new_phones.0.number"},
        phone_ids=[p.id or 0 for p in _active_phones(office)],
    )
    errors: dict[str, str] = {}
    payload = _correction_payload(office, form)
    sent = _submit(request, session, principal, CorrectionCreate, payload, errors, field_for)
    if sent is not None:
        return sent
    return _contact_form_again(
        request, principal, session, office_id, "correct", values=values, errors=errors
    )


# ---- report closed or moved --------------------------------------------------------------


@router.get("/ngo/contacts/{office_id}/report")
def report_form(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """Report that an office closed or moved, or that one of its numbers is disconnected."""
    office = service.get_office(session, office_id, viewer=principal)
    return _contact_form_page(
        request, principal, office, "report", values={"version": str(office.version)}, errors={}
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
    values = typed_values(form)
    reason = plain(form.get("reason"))
    phone_id = whole_number(form.get("phone_id"))
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
            version = whole_number(form.get("version"))
        payload = {
            "kind": "closure",
            "office_id": office_id,
            "reason": reason,
            "phone_id": phone_id if reason == ClosureReason.NUMBER_DISCONNECTED.value else None,
            "version": version,
            "note": plain(form.get("note")),
        }
        field_for = partial(_field_for, known={"reason", "phone_id", "note"}, phone_ids=[])
        sent = _submit(request, session, principal, ClosureCreate, payload, errors, field_for)
        if sent is not None:
            return sent
    return _contact_form_again(
        request, principal, session, office_id, "report", values=values, errors=errors
    )


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
NEW_CONTACT_FIELDS = set(NEW_TEXT_FIELDS) | {
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


def _new_contact_field(name: str | None) -> str:
    """The new-contact form's field for an error's location (`office.phones.N` is a phone box)."""
    name = re.sub(r"^office\.phones\.(\d+)", r"new_phones.\1", name or "")
    return _field_for(name, NEW_CONTACT_FIELDS, [])


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
    values = typed_values(form, leave_out=("services",))
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
    errors: dict[str, str] = {}
    if not phones:
        errors["new_phones.0.number"] = "Give at least one phone number."
    sent = _submit(
        request, session, principal, NewContactCreate, payload, errors, _new_contact_field
    )
    if sent is not None:
        return sent
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
