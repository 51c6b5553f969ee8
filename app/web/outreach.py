"""The page an update request's link opens: no key, no session. It shows the office's
listing and records "all still correct" or queues "something changed" for review.

CSRF: the page has no session, so its forms carry a token bound to the link (HMAC of the
link's token hash with the secret key). A refused link gets a plain page and stores
nothing. Texts are in the request's language (app/outreach/i18n.py).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Annotated, Any, ParamSpec

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse

from app.auth.dependencies import SessionDep
from app.db import savepoint
from app.directory.printable import active_phones
from app.kit.clock import as_utc, utcnow
from app.kit.errors import Conflict, InvalidValue
from app.outreach import answers as outreach
from app.outreach.errors import LinkRefused
from app.outreach.i18n import OutreachLanguage, outreach_language
from app.outreach.listing import listing_lines
from app.outreach.tokens import csrf_matches, csrf_token, parse_link
from app.review.schemas import CorrectionCreate
from app.web import labels
from app.web.forms import errors_from_validation, typed_values
from app.web.i18n import using_language
from app.web.ngo.correction import correction_payload, current_values
from app.web.ngo.proposals import error_message, field_for, plain_conflict
from app.web.session import CSRF_FIELD
from app.web.templating import environment, no_store

router = APIRouter(include_in_schema=False)
P = ParamSpec("P")


async def posted_form(request: Request) -> FormData:
    """The posted form; its CSRF token is checked against the link's (`_checked`)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def _page(
    template: str, lang: OutreachLanguage, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    # The shared form fields (`_correction_fields.html`) speak the web catalog, in the
    # request's language like the rest of the page.
    with using_language(lang.code):
        html = environment.get_template(template).render(
            lang=lang, gettext=lang.gettext, CSRF_FIELD=CSRF_FIELD, **context
        )
    return no_store(HTMLResponse(html, status_code=status_code))


def _refused(exc: LinkRefused) -> HTMLResponse:
    """The plain page of a refused link, in the request's language when it was genuine."""
    return _page(
        "outreach_refused.html",
        outreach_language(exc.language or "en"),
        status_code=exc.status_code,
        reason=exc.reason,
    )


def _listing_page(opened: outreach.OpenRequest, link: str) -> HTMLResponse:
    lang = outreach_language(opened.request.language)
    expires = as_utc(opened.request.expires_at)
    assert expires is not None
    return _page(
        "outreach_listing.html",
        lang,
        link=link,
        lines=listing_lines(opened.office, lang),
        expires=lang.date(expires.date()),
        csrf_token=csrf_token(opened.link),
    )


def _change_page(
    opened: outreach.OpenRequest,
    link: str,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    return _page(
        "outreach_change.html",
        outreach_language(opened.request.language),
        status_code=status_code,
        link=link,
        phones=active_phones(opened.office),
        phone_kinds=labels.options(labels.PHONE_KIND_LABELS),
        values=values,
        errors=errors,
        csrf_token=csrf_token(opened.link),
    )


def _check(link: str, form: FormData) -> None:
    """A form whose CSRF token is not the link's records nothing (checked before any
    database work: a forged or altered link fails here too)."""
    parsed = parse_link(link)
    if parsed is None or not csrf_matches(parsed, form.get(CSRF_FIELD)):
        raise LinkRefused("invalid")


def _answering_refusals(route: Callable[P, HTMLResponse]) -> Callable[P, HTMLResponse]:
    """The route, with a refused link (`LinkRefused`, wherever the route meets it) answered
    by the plain refusal page; a write it was making is undone by its savepoint."""

    @wraps(route)
    def answer(*args: P.args, **kwargs: P.kwargs) -> HTMLResponse:
        try:
            return route(*args, **kwargs)
        except LinkRefused as exc:
            return _refused(exc)

    return answer


@router.get("/update/{link}")
@_answering_refusals
def listing(link: str, session: SessionDep) -> HTMLResponse:
    """The office's current listing with "all still correct" and "something changed"."""
    return _listing_page(outreach.open_link(session, raw=link, now=utcnow()), link)


@router.post("/update/{link}/confirm")
@_answering_refusals
def confirm(link: str, session: SessionDep, form: PostedForm) -> HTMLResponse:
    """Record "all still correct" once (a verification by email reply)."""
    _check(link, form)
    with savepoint(session):
        req = outreach.confirm(session, raw=link, now=utcnow())
    return _page("outreach_answered.html", outreach_language(req.language), answer="confirmed")


@router.get("/update/{link}/change")
@_answering_refusals
def change_form(link: str, session: SessionDep) -> HTMLResponse:
    """The correction form, filled in with the listing as it is now."""
    opened = outreach.open_link(session, raw=link, now=utcnow())
    return _change_page(opened, link, values=current_values(opened.office), errors={})


@router.post("/update/{link}/change")
@_answering_refusals
def submit_change(link: str, session: SessionDep, form: PostedForm) -> HTMLResponse:
    """Queue the organisation's correction for review (once); errors come back per field."""
    _check(link, form)
    now = utcnow()
    opened = outreach.open_link(session, raw=link, now=now)
    lang = outreach_language(opened.request.language)
    office = opened.office
    field_of = partial(
        field_for,
        known=set(current_values(office)) | {"note", "form", "new_phones.0.number"},
        phone_ids=[p.id or 0 for p in active_phones(office)],
    )
    errors: dict[str, str] = {}
    try:
        proposal = CorrectionCreate.model_validate(correction_payload(office, form))
    except ValidationError as exc:
        for name, message in errors_from_validation(exc).items():
            errors.setdefault(field_of(name), message)
    else:
        try:
            with savepoint(session):
                outreach.submit_correction(session, raw=link, now=now, proposal=proposal)
        except Conflict as exc:
            errors["form"] = plain_conflict(exc)
        except InvalidValue as exc:
            errors[field_of(exc.field)] = error_message(exc)
        else:
            return _page("outreach_answered.html", lang, answer="changed")
    # Refused: nothing is kept (the savepoint undid the answer) and the form comes back as
    # typed.
    opened = outreach.open_link(session, raw=link, now=now)
    return _change_page(opened, link, values=typed_values(form), errors=errors, status_code=422)
