"""The browser session: one signed cookie holding a session token and a CSRF token.

The cookie is signed with itsdangerous (the secret from Settings), HttpOnly and
SameSite=Strict, and carries a timestamp so it expires. It never holds the key's secret: only
a random token naming a server-side session (app.auth.models.BrowserSession, kept as SHA-256),
re-checked against the database on every request. Revoking the key, or signing out (which ends
that session), signs the browser out at once, in every server process, even for a copied cookie.

CSRF: the token lives in the signed cookie (session-bound) and every form repeats it in a
hidden field. Every POST to a web route goes through `checked_form`, which refuses a form
whose token is missing or different with a 403 page.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.responses import Response

from app.auth.dependencies import SessionDep
from app.auth.service import browser_session_language, principal_for_browser_session
from app.config import get_settings
from app.kit.clock import utcnow
from app.kit.errors import Forbidden, Unauthorized
from app.kit.principal import Principal
from app.web.i18n import _, speak
from app.web.language import LANGUAGE_COOKIE, supported

COOKIE_NAME = "hw_session"
CSRF_FIELD = "csrf_token"
_SALT = "homeward.web.session"
_STATE_ATTR = "web_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    """A form arrived without the session's CSRF token."""

    code = "csrf_refused"


class SignInRequired(Unauthorized):
    """A page needs a signed-in key; the browser is sent to the sign-in page."""


@dataclass
class WebSession:
    token: str | None
    csrf: str
    # True when the cookie must be (re)written on the response.
    dirty: bool = False
    cleared: bool = False

    def sign_in(self, token: str) -> None:
        # A fresh CSRF token at sign-in, so a token seen before signing in is worthless after.
        self.token = token
        self.csrf = secrets.token_urlsafe(32)
        self.dirty = True

    def sign_out(self) -> None:
        self.token = None
        self.csrf = secrets.token_urlsafe(32)
        self.cleared = True
        self.dirty = True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().resolved_secret_key(), salt=_SALT)


def _max_age() -> int:
    return get_settings().web_session_hours * 3600


def _load(request: Request) -> WebSession:
    raw = request.cookies.get(COOKIE_NAME)
    if raw:
        try:
            data: Any = _serializer().loads(raw, max_age=_max_age())
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("c"), str):
            token = data.get("s")
            return WebSession(token=token if isinstance(token, str) else None, csrf=data["c"])
    return WebSession(token=None, csrf=secrets.token_urlsafe(32), dirty=True)


def web_session(request: Request) -> WebSession:
    """The request's session, read once from the cookie (a new one when absent or forged)."""
    current = getattr(request.state, _STATE_ATTR, None)
    if not isinstance(current, WebSession):
        current = _load(request)
        setattr(request.state, _STATE_ATTR, current)
    return current


def attach_cookie(request: Request, response: Response) -> Response:
    """Write the session cookie on `response` when it is new or changed."""
    current = getattr(request.state, _STATE_ATTR, None)
    if not isinstance(current, WebSession) or not current.dirty:
        return response
    settings = get_settings()
    secure = settings.base_url.startswith("https://")
    if current.cleared:
        response.delete_cookie(
            COOKIE_NAME, path="/", httponly=True, samesite="strict", secure=secure
        )
        return response
    value = _serializer().dumps({"s": current.token, "c": current.csrf})
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=_max_age(),
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    return response


def web_principal(request: Request, session: SessionDep) -> Principal | None:
    """Who is signed in, or None. A revoked or deleted key, or a session signed out or
    expired, counts as signed out."""
    cached = getattr(request.state, "web_principal", False)
    if cached is None or isinstance(cached, Principal):
        return cached
    current = web_session(request)
    principal: Principal | None = None
    if current.token is not None:
        principal = principal_for_browser_session(session, token=current.token, now=utcnow())
        if principal is None:
            current.sign_out()
        elif supported(request.cookies.get(LANGUAGE_COOKIE)) is None:
            chosen = browser_session_language(session, token=current.token, now=utcnow())
            if supported(chosen):
                assert chosen is not None
                request.state.language = chosen
                speak(chosen)
    request.state.web_principal = principal
    return principal


MaybePrincipal = Annotated[Principal | None, Depends(web_principal)]


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's (else 403)."""
    if request.method in _SAFE_METHODS:
        return FormData()
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = web_session(request).csrf
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused(
            _(
                "This form was not sent from a Homeward page you opened, or it has expired. "
                "Go back, reload the page and try again."
            ),
            field=CSRF_FIELD,
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def require_page(*roles: str) -> Any:
    """A dependency: the signed-in principal with one of `roles`, else sign-in or a 403 page."""

    def dependency(principal: MaybePrincipal) -> Principal:
        if principal is None:
            raise SignInRequired("sign in to open this page", field="key")
        if principal.role not in roles:
            raise Forbidden(
                _("Your key (%(role)s) cannot open this page.", role=principal.role),
                field="role",
            )
        return principal

    return Depends(dependency)
