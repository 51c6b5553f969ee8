"""Propose a new contact: a contact the directory does not have yet, in one of the partner's
countries; it goes to the review queue (duplicates are flagged to the reviewer)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.directory.enums import CATEGORY_ORDER, PhoneKind, ServiceTag
from app.directory.geography import country_name
from app.directory.validation import checked_country
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.review.schemas import NewContactCreate
from app.web import labels
from app.web.forms import plain, typed_values
from app.web.i18n import _
from app.web.ngo.proposals import (
    PartnerPage,
    chosen_languages,
    field_for,
    flow_router,
    partner_countries,
    submit_for_review,
)
from app.web.officer import region_options
from app.web.session import CheckedForm
from app.web.templating import render

router = flow_router()

CATEGORIES = [(c.value, c.value) for c in CATEGORY_ORDER]
SERVICES = [s.value for s in ServiceTag]
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
    return field_for(name, NEW_CONTACT_FIELDS, [])


def _new_contact_page(
    request: Request,
    principal: Principal,
    session: Session,
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
        title=_("Propose a new contact"),
        values=values,
        errors=errors,
        # Only the partner's own countries: it proposes contacts where it works.
        countries=[(c, country_name(c)) for c in partner_countries(session, principal)],
        regions=regions,
        categories=CATEGORIES,
        services=SERVICES,
        chosen_services=set(values.get("organization.services", "").split(",")),
        phone_kinds=labels.options(labels.PHONE_KIND_LABELS),
    )


@router.get("/ngo/new")
def new_contact_form(
    request: Request,
    principal: PartnerPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """A form for a contact the directory does not have yet, in one of the partner's
    countries."""
    countries = partner_countries(session, principal)
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
            "languages": chosen_languages(form),
            "meets_on_arrival": bool(form.get("office.meets_on_arrival")),
            "phones": phones,
        },
        "note": text("note"),
    }
    errors: dict[str, str] = {}
    if not phones:
        errors["new_phones.0.number"] = _("Give at least one phone number.")
    sent = submit_for_review(
        request, session, principal, NewContactCreate, payload, errors, _new_contact_field
    )
    if sent is not None:
        return sent
    return _new_contact_page(
        request, principal, session, values=values, errors=errors, status_code=422
    )
