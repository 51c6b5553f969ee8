"""A form about one contact (`confirm`, `correct` or `report`), shown next to the contact as
it is now (template `ngo_<form>.html`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.config import get_settings
from app.directory import lookup
from app.directory.models import Office
from app.directory.presenter import contact_public
from app.kit.clock import utcnow
from app.web.i18n import N_, _, current_language
from app.web.ngo.proposals import PartnerPage, office_for_partner
from app.web.templating import render

TITLES = {
    "confirm": N_("Confirm still correct"),
    "correct": N_("Suggest a correction"),
    "report": N_("Report closed or moved"),
}

FormExtra = Callable[[Office], dict[str, Any]]


def no_extra(office: Office) -> dict[str, Any]:
    """A form with no template values of its own."""
    return {}


@dataclass
class ContactForm:
    """A partner's page about the contact `office_id` of the path (a FastAPI dependency)."""

    request: Request
    office_id: int
    principal: PartnerPage
    session: SessionDep

    def office(self) -> Office:
        """The contact, when the partner may act on it (else 404 or 403)."""
        return office_for_partner(self.session, self.principal, self.office_id)

    def page(
        self,
        form: str,
        *,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        extra: FormExtra = no_extra,
        office: Office | None = None,
    ) -> Response:
        """The form `form`, with `values` typed so far and `errors` per field, next to
        `office`. Without `office`, after a refusal, the contact is read again as it is (the
        refused write was undone in its savepoint). `extra(office)` gives the form's own
        template values."""
        if office is None:
            office = lookup.get_office(self.session, self.office_id, viewer=self.principal)
        return render(
            self.request,
            f"ngo_{form}.html",
            principal=self.principal,
            status_code=status_code,
            title=_(TITLES[form]),
            contact=contact_public(
                office, now=utcnow(), settings=get_settings(), lang=current_language()
            ),
            values=values,
            errors=errors or {},
            **extra(office),
        )


OnContact = Annotated[ContactForm, Depends()]
