"""Choosing the pages' language: the middleware that runs each request in it, and the
switcher's form handler (in base.html, on every page, no JavaScript needed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependencies import SessionDep
from app.auth.service import set_browser_session_language
from app.config import get_settings
from app.kit.errors import InvalidValue
from app.web.auth import safe_next
from app.web.i18n import _, using_language
from app.web.language import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_AGE,
    negotiate,
    supported,
)
from app.web.session import CheckedForm, MaybePrincipal, checked_form, web_session
from app.web.templating import redirect

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])


class PageLanguage:
    """ASGI middleware: each request runs in its page language (a context variable that
    templates and the web layer's messages read). The JSON API never looks at it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # The signed-in session's choice, when the browser has no cookie for it, is applied
        # once the session is read (app.web.session.web_principal).
        language = supported(request.cookies.get(LANGUAGE_COOKIE)) or negotiate(
            request.headers.get("accept-language")
        )
        request.state.language = language
        with using_language(language):
            await self.app(scope, receive, send)


@router.post("/language")
def choose_language(
    request: Request, form: CheckedForm, session: SessionDep, principal: MaybePrincipal
) -> Response:
    """Speak the chosen language from now on: a cookie for this browser, and its session
    when signed in; back to the page the choice was made on."""
    language = supported(form.get("language"))
    if language is None:
        raise InvalidValue(_("Choose one of the options."), field="language")
    token = web_session(request).token
    if principal is not None and token is not None:
        set_browser_session_language(session, token=token, language=language)
    response = redirect(request, safe_next(form.get("next")) or "/")
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().base_url.startswith("https://"),
    )
    return response
