"""Error pages: the API keeps its JSON errors; browser paths get HTML pages.

The handlers installed by app.kit.http stay in charge of /api and /health. For every other
path a named error becomes a page with the same status: 403 and 404 pages, a sign-in
redirect for a missing session, and a calm 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.auth.service import principal_for_browser_session
from app.db import unit_of_work
from app.kit.clock import utcnow
from app.kit.errors import HomewardError
from app.kit.http import internal_error
from app.kit.principal import Principal
from app.web.forms import in_page_language
from app.web.i18n import N_, _, using_language
from app.web.language import request_language
from app.web.session import SignInRequired, web_session
from app.web.templating import redirect, render

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response] | Response]

# Paths the web pages own. Anything else is the API's (JSON errors), except an unknown
# address opened by a browser, which gets the HTML 404 page.
WEB_PREFIXES = (
    "/signin",
    "/signout",
    "/language",
    "/officer",
    "/contacts/",
    "/coverage",
    "/ngo",
    "/review",
    "/verify",
    "/digest",
    "/admin",
    "/update/",
    "/static/",
)
_MACHINE_PREFIXES = ("/api/", "/hsds", "/health", "/docs", "/redoc", "/openapi.json")

_TITLES = {
    400: N_("This request could not be understood"),
    401: N_("Please sign in"),
    403: N_("You cannot open this page"),
    404: N_("Page not found"),
    405: N_("This action is not available here"),
    409: N_("Someone else changed this first"),
    413: N_("What you sent is too large"),
    422: N_("Some values need fixing"),
    429: N_("Too many requests"),
    503: N_("The directory is unavailable for a moment"),
}


def is_browser_request(request: Request) -> bool:
    path = request.url.path
    if path == "/" or path.startswith(WEB_PREFIXES):
        return True
    if path.startswith(_MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def _principal_for_page(request: Request) -> Principal | None:
    cached = getattr(request.state, "web_principal", False)
    if cached is None or isinstance(cached, Principal):
        return cached
    token = web_session(request).token
    if token is None:
        return None
    # The error came before the page's dependencies ran (an unknown address): look the
    # session up so the page still shows the signed-in menu. Not when the database is what
    # failed: the page then goes without the menu.
    try:
        with unit_of_work(writes=False) as session:
            return principal_for_browser_session(session, token=token, now=utcnow())
    except (DBAPIError, PoolTimeout):
        return None


def error_page(request: Request, *, status_code: int, message: str) -> Response:
    principal = _principal_for_page(request)
    return render(
        request,
        "error.html",
        principal=principal,
        status_code=status_code,
        title=_(_TITLES.get(status_code, N_("Something went wrong"))),
        message=message,
        error_status=status_code,
    )


async def _respond(handler: Handler, request: Request, exc: Exception) -> Response:
    """What one of FastAPI's exception handlers (sync or async) answers."""
    result = handler(request, exc)
    if isinstance(result, Response):
        return result
    return await result


def install_web_error_pages(app: FastAPI) -> None:
    """Wrap the JSON handlers so browser paths get pages instead."""
    json_homeward: Handler = app.exception_handlers[HomewardError]
    json_http: Handler = app.exception_handlers[StarletteHTTPException]

    async def homeward(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HomewardError)
        if not is_browser_request(request):
            return await _respond(json_homeward, request, exc)
        if isinstance(exc, SignInRequired):
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            return redirect(request, "/signin?next=" + quote(target, safe="/"))
        page = error_page(request, status_code=exc.status_code, message=in_page_language(exc))
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            page.headers["Retry-After"] = str(retry_after)
        return page

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_browser_request(request):
            return await _respond(json_http, request, exc)
        message = {
            404: N_(
                "There is no page at this address. Check the link, or start again from the menu."
            ),
            405: N_("This address does not accept that kind of request."),
        }.get(exc.status_code)
        with using_language(request_language(request)):
            shown = _(message) if message else str(exc.detail)
            return error_page(request, status_code=exc.status_code, message=shown)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        if not is_browser_request(request):
            return internal_error()
        with using_language(request_language(request)):
            return error_page(
                request,
                status_code=500,
                message=_(
                    "Something went wrong on our side. Nothing you sent was saved; "
                    "please try again in a moment."
                ),
            )

    app.add_exception_handler(HomewardError, homeward)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
