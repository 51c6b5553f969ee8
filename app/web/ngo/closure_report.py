"""Report closed or moved: the office closed or moved, or one of its numbers is disconnected;
the report goes to the review queue."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from app.directory.models import Office
from app.directory.presenter import phone_public
from app.directory.printable import active_phones
from app.review.models import ClosureReason
from app.review.schemas import ClosureCreate
from app.web import labels
from app.web.forms import plain, typed_values, whole_number
from app.web.i18n import N_, _
from app.web.ngo.contact_form import OnContact
from app.web.ngo.proposals import field_for, flow_router, submit_for_review
from app.web.session import CheckedForm

router = flow_router()

CLOSURE_REASONS = {
    ClosureReason.CLOSED.value: N_("The office has closed"),
    ClosureReason.MOVED.value: N_(
        "The office has moved (it is closed here; propose the new address as a new contact)"
    ),
    ClosureReason.NUMBER_DISCONNECTED.value: N_("One number no longer works"),
}


def _form_extra(office: Office) -> dict[str, Any]:
    return {
        "phone_options": [
            (
                str(p.id),
                f"{phone_public(p).national} ({labels.label(labels.PHONE_KIND_LABELS, p.kind)})",
            )
            for p in active_phones(office)
        ],
        "reasons": labels.options(CLOSURE_REASONS),
    }


@router.get("/ngo/contacts/{office_id}/report")
def report_form(on: OnContact) -> Response:
    """Report that an office closed or moved, or that one of its numbers is disconnected."""
    office = on.office()
    return on.page(
        "report", values={"version": str(office.version)}, extra=_form_extra, office=office
    )


@router.post("/ngo/contacts/{office_id}/report")
def submit_report(on: OnContact, form: CheckedForm) -> Response:
    """Queue a closure report for review."""
    office = on.office()
    values = typed_values(form)
    reason = plain(form.get("reason"))
    phone_id = whole_number(form.get("phone_id"))
    errors: dict[str, str] = {}
    if reason is None:
        errors["reason"] = _("Choose what happened.")
    elif reason == ClosureReason.NUMBER_DISCONNECTED.value and phone_id is None:
        errors["phone_id"] = _("Choose the number that no longer works.")
    if not errors:
        version = None
        if reason == ClosureReason.NUMBER_DISCONNECTED.value:
            phone = next((p for p in office.phones if p.id == phone_id), None)
            version = phone.version if phone else None
        else:
            version = whole_number(form.get("version"))
        payload = {
            "kind": "closure",
            "office_id": on.office_id,
            "reason": reason,
            "phone_id": phone_id if reason == ClosureReason.NUMBER_DISCONNECTED.value else None,
            "version": version,
            "note": plain(form.get("note")),
        }
        field_of = partial(field_for, known={"reason", "phone_id", "note"}, phone_ids=[])
        sent = submit_for_review(
            on.request, on.session, on.principal, ClosureCreate, payload, errors, field_of
        )
        if sent is not None:
            return sent
    return on.page("report", values=values, errors=errors, status_code=422, extra=_form_extra)
