"""Confirm still correct: the partner confirms every detail shown is right (a verification by
the NGO network, app.verification.partners)."""

from __future__ import annotations

from starlette.responses import Response

from app.db import savepoint
from app.kit.errors import HomewardError
from app.verification import partners
from app.web.forms import plain
from app.web.ngo.contact_form import OnContact
from app.web.ngo.proposals import error_message, flow_router
from app.web.session import CheckedForm
from app.web.templating import redirect

router = flow_router()


@router.get("/ngo/contacts/{office_id}/confirm")
def confirm_page(on: OnContact) -> Response:
    """Ask the partner to confirm every detail shown is still right."""
    return on.page("confirm", values={}, office=on.office())


@router.post("/ngo/contacts/{office_id}/confirm")
def confirm(on: OnContact, form: CheckedForm) -> Response:
    """Record that the partner confirmed the contact (a verification by the NGO network)."""
    note = plain(form.get("note"))
    try:
        with savepoint(on.session):
            partners.confirm_by_partner(
                on.session, office_id=on.office_id, partner=on.principal, note=note
            )
    except HomewardError as exc:
        if exc.status_code == 404:
            raise
        return on.page(
            "confirm",
            values={"note": note or ""},
            errors={"note" if exc.field == "note" else "form": error_message(exc)},
            status_code=exc.status_code,
        )
    return redirect(on.request, f"/contacts/{on.office_id}?confirmed=1")
