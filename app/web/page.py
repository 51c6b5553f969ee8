"""A signed-in page's request, principal and database session, as one FastAPI dependency.

Routes that list or show something to a signed-in key (the partner's contacts, the review
queue, the call worklist) take one `SignedInPage` instead of the three, and render through it;
those that narrow a list to a country and a region take them as one `Place`.
The annotations here are evaluated at once (no `from __future__ import annotations`), so the
dependency can name the roles' principal dependency it is made with.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from app.auth.dependencies import SessionDep
from app.kit.principal import Principal
from app.web.session import require_page
from app.web.templating import render


@dataclass(frozen=True)
class SignedInPage:
    """The request, the signed-in principal (of the roles the route asks for) and the
    request's database session."""

    request: Request
    principal: Principal
    session: Session

    def render(self, template: str, **context: Any) -> HTMLResponse:
        """The page `template`, with the layout's context for this request and principal."""
        return render(self.request, template, principal=self.principal, **context)


def signed_in_page(*roles: str) -> Any:
    """A dependency: the `SignedInPage` of a key with one of `roles` (else the sign-in or a
    403 page, as `require_page`)."""
    role_principal = require_page(*roles)

    def dependency(
        request: Request,
        principal: Annotated[Principal, role_principal],
        session: SessionDep,
    ) -> SignedInPage:
        return SignedInPage(request, principal, session)

    return Depends(dependency)


@dataclass(frozen=True)
class PlaceQuery:
    """The country and region a listing page is narrowed to (query parameters)."""

    country: Annotated[str | None, Query(max_length=2)] = None
    region: Annotated[str | None, Query(max_length=8)] = None


Place = Annotated[PlaceQuery, Depends()]
