"""Confirm still correct: the partner confirms every detail shown is right (a verification by
the NGO network, app.verification.partners)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.db import savepoint
from app.kit.errors import HomewardError
from app.verification import partners
from app.web.forms import plain
from app.web.ngo.contact_form import contact_form_again, contact_form_page
from app.web.ngo.proposals import PartnerPage, error_message, flow_router, office_for_partner
from app.web.session import CheckedForm
from app.web.templating import redirect

router = flow_router()


@router.get("/ngo/contacts/{office_id}/confirm")
def confirm_page(
    request: Request, office_id: int, principal: PartnerPage, session: SessionDep
) -> Response:
    """Ask the partner to confirm every detail shown is still right."""
    office = office_for_partner(session, principal, office_id)
    return contact_form_page(request, principal, office, "confirm", values={}, errors={})


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
        with savepoint(session):
            partners.confirm_by_partner(session, office_id=office_id, partner=principal, note=note)
    except HomewardError as exc:
        if exc.status_code == 404:
            raise
        return contact_form_again(
            request,
            principal,
            session,
            office_id,
            "confirm",
            values={"note": note or ""},
            errors={"note" if exc.field == "note" else "form": error_message(exc)},
            status_code=exc.status_code,
        )
    return redirect(request, f"/contacts/{office_id}?confirmed=1")
