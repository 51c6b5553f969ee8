"""Suggest a correction: the contact's current values in a form; what the partner changes
goes to the review queue."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response

from app.directory.enums import PhoneKind
from app.directory.models import Office
from app.directory.phone_numbers import display
from app.directory.printable import active_phones
from app.review.schemas import CorrectionCreate
from app.web import labels
from app.web.forms import plain, typed_values, whole_number
from app.web.ngo.contact_form import OnContact
from app.web.ngo.proposals import chosen_languages, field_for, flow_router, submit_for_review
from app.web.session import CheckedForm

router = flow_router()

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


def _form_extra(office: Office) -> dict[str, Any]:
    return {
        "phones": active_phones(office),
        "phone_kinds": labels.options(labels.PHONE_KIND_LABELS),
    }


def current_values(office: Office) -> dict[str, str]:
    org = office.organization
    values = {f"organization.{f}": getattr(org, f) or "" for f in ORG_FIELDS}
    values.update({f"office.{f}": getattr(office, f) or "" for f in OFFICE_FIELDS})
    values["office.languages"] = ", ".join(office.language_codes)
    values["office.meets_on_arrival"] = "1" if office.meets_on_arrival else ""
    for phone in active_phones(office):
        values[f"phones.{phone.id}.number"] = phone.national or display(phone.number).national
        values[f"phones.{phone.id}.hours"] = phone.hours or ""
    values["new_phones.0.kind"] = PhoneKind.VOICE.value
    values["office.version"] = str(office.version)
    values["organization.version"] = str(org.version)
    return values


@router.get("/ngo/contacts/{office_id}/correct")
def correction_form(on: OnContact) -> Response:
    """The correction form, pre-filled with the contact's current values."""
    office = on.office()
    return on.page("correct", values=current_values(office), extra=_form_extra, office=office)


def correction_payload(office: Office, form: FormData) -> dict[str, Any]:
    def text(name: str) -> str | None:
        return plain(form.get(name))

    payload: dict[str, Any] = {
        "kind": "correction",
        "office_id": office.id,
        "office": {f: text(f"office.{f}") for f in OFFICE_FIELDS}
        | {
            "languages": chosen_languages(form),
            "meets_on_arrival": bool(form.get("office.meets_on_arrival")),
            "version": whole_number(form.get("office.version")),
        },
        "organization": {f: text(f"organization.{f}") for f in ORG_FIELDS}
        | {"version": whole_number(form.get("organization.version"))},
        "phones": [
            {"id": p.id, "number": text(f"phones.{p.id}.number") or p.number}
            | {"hours": text(f"phones.{p.id}.hours")}
            for p in active_phones(office)
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
def submit_correction(on: OnContact, form: CheckedForm) -> Response:
    """Queue a correction for review; errors come back next to their fields."""
    office = on.office()
    values = typed_values(form)
    field_of = partial(
        field_for,
        known=set(current_values(office)) | {"note", "form", "new_phones.0.number"},
        phone_ids=[p.id or 0 for p in active_phones(office)],
    )
    errors: dict[str, str] = {}
    payload = correction_payload(office, form)
    sent = submit_for_review(
        on.request, on.session, on.principal, CorrectionCreate, payload, errors, field_of
    )
    if sent is not None:
        return sent
    return on.page("correct", values=values, errors=errors, status_code=422, extra=_form_extra)
