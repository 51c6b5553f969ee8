"""What every NGO partner form shares: the partner's countries, the contact it may act on,
and turning a form into a proposal for the review queue with its errors put back next to
their fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.db import savepoint
from app.directory import lookup
from app.directory.models import Office
from app.kit.errors import Conflict, HomewardError, InvalidValue, TooManyRequests
from app.kit.principal import Principal
from app.kit.text import is_whole_number
from app.review import intake
from app.review.models import SubmissionOrigin
from app.verification import partners
from app.web.forms import errors_from_validation, reason
from app.web.i18n import _, ngettext
from app.web.session import checked_form, require_page
from app.web.templating import redirect

PartnerPage = Annotated[Principal, require_page("ngo")]


def flow_router() -> APIRouter:
    """A router for one partner flow: pages only, every POST's CSRF token checked."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])


def partner_countries(session: Session, principal: Principal) -> list[str]:
    """The countries the partner works in (its scope: `partners.check_scope`)."""
    assert principal.organization_id is not None
    return partners.effective_countries(session, organization_id=principal.organization_id)


def office_for_partner(session: Session, principal: Principal, office_id: int) -> Office:
    """A contact the partner may act on: visible to it (else 404) and in its countries
    (else 403)."""
    office = lookup.get_office(session, office_id, viewer=principal)
    partners.check_scope(session, partner=principal, countries=[office.country])
    return office


def languages(raw: str | None) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", (raw or "").strip().lower()) if part]


def chosen_languages(form: FormData, name: str = "office.languages") -> list[str]:
    """The languages picked in the form's list (several values), or typed as codes."""
    return languages(", ".join(str(v) for v in form.getlist(name)))


def field_for(name: str | None, known: set[str], phone_ids: list[int]) -> str:
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


def plain_conflict(exc: HomewardError) -> str:
    if isinstance(exc, TooManyRequests):
        return ngettext(
            "You have sent many suggestions in a short time. Please wait %(num)s minute "
            "and send this again; what you typed is kept below.",
            "You have sent many suggestions in a short time. Please wait %(num)s minutes "
            "and send this again; what you typed is kept below.",
            max(1, exc.retry_after // 60),
        )
    return _(
        "Someone changed this contact while you were editing. Reload the page to see the "
        "current values, then make your change again."
    )


def error_message(exc: HomewardError) -> str:
    message = exc.message
    if message == "nothing differs from the contact as it is now":
        return _(
            "Nothing differs from the contact as it is now. Change a value, "
            "or use “Confirm still correct”."
        )
    return reason(exc)


def submit_for_review(
    request: Request,
    session: Session,
    principal: Principal,
    model: type[intake.Proposal],
    payload: dict[str, Any],
    errors: dict[str, str],
    field_of: Callable[[str | None], str],
) -> Response | None:
    """Validate `payload` as `model`, queue it for review and send the partner on to
    "My submissions".

    Otherwise the answer is None, for the caller to show the form again with the reasons in
    `errors`: each invalid value on the field `field_of` names (the first error per field),
    a conflict or the rate limit on the whole form (the submission's writes undone). Nothing is
    queued when `errors` already holds one. A proposal outside the partner's countries is
    refused with a 403 page (the forms only offer its own countries).
    """
    try:
        proposal = model.model_validate(payload)
    except ValidationError as exc:
        for name, message in errors_from_validation(exc).items():
            errors.setdefault(field_of(name), message)
    if errors:
        return None
    try:
        with savepoint(session):
            submission = intake.create_submission(
                session,
                proposal=proposal,
                submitter=principal,
                source="web",
                origin=SubmissionOrigin.NGO_PARTNER,
            )
    except (Conflict, TooManyRequests) as exc:
        errors["form"] = plain_conflict(exc)
    except InvalidValue as exc:
        errors[field_of(exc.field)] = error_message(exc)
    else:
        return redirect(request, f"/ngo/submissions?sent={submission.id}")
    return None
