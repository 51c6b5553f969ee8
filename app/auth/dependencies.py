"""`require(role, …)`: the one dependency every protected route uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.service import authenticate, cached_principal
from app.auth.throttle import record_wrong_key
from app.db import get_session
from app.kit.errors import Forbidden, Unauthorized
from app.kit.i18n import N_
from app.kit.principal import Principal

# scope="function": the request's unit of work commits before the response is sent, so a
# failed commit is reported to the client and a 2xx means the change is stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

STAFF = ("admin", "reviewer", "officer")
EDITORS = ("admin", "reviewer")
ANY_ROLE = ("admin", "reviewer", "officer", "ngo")

SESSION_PRINCIPAL_KEY = "principal"


async def current_principal(request: Request, session: SessionDep) -> Principal:
    return await principal_of(request, session)


async def principal_of(request: Request, session: Session) -> Principal:
    """The caller: a Bearer key, or the browser session's key. Unauthorized otherwise.

    The body of `current_principal`, callable from a route that resolves it itself (the
    officers' search: each dependency FastAPI solves costs it measurable CPU per request).
    """
    # `async`: a key seen in the last few seconds costs no database lookup and no threadpool
    # hop; otherwise the lookup runs in the threadpool on the request's own session.
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() == "bearer" and secret:
        principal = cached_principal(secret)
        if principal is not None:
            return principal
        try:
            return await run_in_threadpool(authenticate, session, secret=secret)
        except Unauthorized:
            record_wrong_key(request, field="Authorization")  # 429 past the limit
            raise
    cookie_principal = getattr(request.state, SESSION_PRINCIPAL_KEY, None)
    if isinstance(cookie_principal, Principal):
        return cookie_principal
    raise Unauthorized(N_("send 'Authorization: Bearer <key>'"), field="Authorization")


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    # `async`: a pure check needs no threadpool hop (FastAPI runs `def` dependencies there).
    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        return check_role(principal, roles)

    return dependency


def check_role(principal: Principal, roles: tuple[str, ...]) -> Principal:
    """`principal` if its role is one of `roles`, else Forbidden."""
    if principal.role not in roles:
        raise Forbidden(
            N_("role '%(role)s' may not do this; needs one of %(roles)s"),
            field="role",
            params={"role": principal.role, "roles": ", ".join(roles)},
        )
    return principal


Staff = Annotated[Principal, Depends(require(*STAFF))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]
Admin = Annotated[Principal, Depends(require("admin"))]
AnyRole = Annotated[Principal, Depends(require(*ANY_ROLE))]
NgoPartner = Annotated[Principal, Depends(require("ngo"))]
