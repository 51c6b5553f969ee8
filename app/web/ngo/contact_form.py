"""A form about one contact (`confirm`, `correct` or `report`), shown next to the contact as
it is now (template `ngo_<form>.html`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.config import get_settings
from app.directory import lookup
from app.directory.models import Office
from app.directory.presenter import contact_public
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.web.i18n import N_, _, current_language
from app.web.templating import render

TITLES = {
    "confirm": N_("Confirm still correct"),
    "correct": N_("Suggest a correction"),
    "report": N_("Report closed or moved"),
}


def contact_form_page(
    request: Request,
    principal: Principal,
    office: Office,
    form: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The form `form` about `office`, with `values` typed so far and `errors` per field."""
    return render(
        request,
        f"ngo_{form}.html",
        principal=principal,
        status_code=status_code,
        title=_(TITLES[form]),
        contact=contact_public(
            office, now=utcnow(), settings=get_settings(), lang=current_language()
        ),
        values=values,
        errors=errors,
        **extra,
    )


def contact_form_again(
    request: Request,
    principal: Principal,
    session: Session,
    office_id: int,
    form: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 422,
    extra: Any = None,
) -> Response:
    """The form again after a refusal, with what was typed and why (the refused write was
    undone in its savepoint), next to the contact as it is. `extra(office)` gives the form's
    own template values."""
    office = lookup.get_office(session, office_id, viewer=principal)
    return contact_form_page(
        request,
        principal,
        office,
        form,
        values=values,
        errors=errors,
        status_code=status_code,
        **(extra(office) if extra else {}),
    )
