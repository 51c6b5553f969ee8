"""Sign in with a key, sign out, and the start page of each role."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.auth.service import authenticate, end_browser_session, start_browser_session
from app.auth.throttle import record_wrong_key
from app.kit.clock import utcnow
from app.kit.errors import TooManyRequests, Unauthorized
from app.web.i18n import N_, _, ngettext
from app.web.language import request_language
from app.web.session import CheckedForm, MaybePrincipal, checked_form, web_session
from app.web.templating import home_path, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

ENTER_KEY = N_("Enter your key.")


def safe_next(value: object) -> str | None:
    """Only a path on this site (never '//host' or a full URL): no open redirect."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value[:500]
    return None


@router.get("/")
def start(request: Request, principal: MaybePrincipal) -> Response:
    """Each role's start page; the sign-in page when nobody is signed in."""
    if principal is None:
        return redirect(request, "/signin")
    return redirect(request, home_path(principal.role))


@router.get("/signin")
def signin_page(request: Request, principal: MaybePrincipal, next: str | None = None) -> Response:
    """The sign-in form (it also starts the cookie that carries the CSRF token)."""
    web_session(request)
    return render(
        request,
        "signin.html",
        principal=principal,
        title=_("Sign in"),
        next_path=safe_next(next) or "",
        error=None,
    )


@router.post("/signin")
def signin(request: Request, form: CheckedForm, session: SessionDep) -> Response:
    """Check the key; on success set the signed session cookie and go to the start page."""
    secret = str(form.get("key") or "").strip()
    next_path = safe_next(form.get("next"))
    try:
        if not secret:
            raise Unauthorized(_(ENTER_KEY), field="key")
        principal = authenticate(session, secret=secret)
    except Unauthorized as exc:
        status, message = (
            401,
            (
                exc.message
                if exc.message == _(ENTER_KEY)
                else _("This key is not valid, or it has been revoked. Check it and try again.")
            ),
        )
        retry_after = None
        if secret:
            try:
                record_wrong_key(request, field="key")
            except TooManyRequests as limited:
                status, retry_after = 429, limited.retry_after
                minutes = max(1, math.ceil(retry_after / 60))
                message = ngettext(
                    "Too many wrong keys were tried from your network. "
                    "Wait %(num)s minute, then try again.",
                    "Too many wrong keys were tried from your network. "
                    "Wait %(num)s minutes, then try again.",
                    minutes,
                )
        response = render(
            request,
            "signin.html",
            principal=None,
            status_code=status,
            title=_("Sign in"),
            next_path=next_path or "",
            error=message,
        )
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
    assert principal.key_id is not None
    token = start_browser_session(
        session, key_id=principal.key_id, now=utcnow(), language=request_language(request)
    )
    web_session(request).sign_in(token)
    return redirect(request, next_path or home_path(principal.role))


@router.post("/signout")
def signout(request: Request, form: CheckedForm, session: SessionDep) -> Response:
    """Sign this browser out: its session ends on the server (a copy of the cookie is
    worthless from now on) and the browser forgets it. Other browsers stay signed in."""
    current = web_session(request)
    if current.token is not None:
        end_browser_session(session, token=current.token, now=utcnow())
    current.sign_out()
    return redirect(request, "/signin")
