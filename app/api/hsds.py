"""Open Referral API (ORAPI, HSDS 3.0) read endpoints at /hsds/, for other directories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.api.deps import SettingsDep
from app.auth.dependencies import AnyRole, SessionDep
from app.interop import orapi

router = APIRouter(prefix="/hsds", tags=["hsds"])

# Every role; confidential organisations only for admins (orapi: what may leave for another
# directory, like the operator's export).
Reader = AnyRole
# Control characters (NUL above all) cannot reach PostgreSQL: refused as a 422 here.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
Search = Annotated[
    str | None,
    Query(max_length=200, pattern=NO_CONTROL_CHARACTERS, description="Full text search."),
]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=orapi.MAX_PER_PAGE)]
TermId = Annotated[str | None, Query(max_length=64, pattern=NO_CONTROL_CHARACTERS)]
ModifiedAfter = Annotated[
    datetime | None, Query(description="Only records modified on or after this datetime.")
]


def list_query(
    search: Search = None,
    page: Page = 1,
    per_page: PerPage = 50,
    modified_after: ModifiedAfter = None,
    taxonomy_term_id: TermId = None,
) -> dict[str, Any]:
    """The ORAPI paging and filter parameters shared by every list endpoint."""
    return {
        "search": search,
        "page": page,
        "per_page": per_page,
        "modified_after": modified_after,
        "taxonomy_term_id": taxonomy_term_id,
    }


ListQuery = Annotated[dict[str, Any], Depends(list_query)]


@router.get("/")
def hsds_root(viewer: Reader, settings: SettingsDep) -> dict[str, str]:
    """Which HSDS version and profile this API serves, and where its OpenAPI description is."""
    return orapi.api_info(base_url=settings.base_url)


@router.get("/services")
def hsds_services(
    viewer: Reader,
    session: SessionDep,
    query: ListQuery,
) -> dict[str, Any]:
    """A page of services (one per office) with their organization."""
    return orapi.list_services(
        session,
        viewer=viewer,
        **query,
    )


@router.get("/services/{service_id}")
def hsds_service(service_id: str, viewer: Reader, session: SessionDep) -> dict[str, Any]:
    """One fully nested service: location, address, phones, languages, attributes, metadata."""
    return orapi.get_service(session, service_id=service_id, viewer=viewer)


@router.get("/organizations")
def hsds_organizations(
    viewer: Reader,
    session: SessionDep,
    query: ListQuery,
) -> dict[str, Any]:
    """A page of organizations."""
    return orapi.list_organizations(
        session,
        viewer=viewer,
        **query,
    )


@router.get("/organizations/{organization_id}")
def hsds_organization(organization_id: str, viewer: Reader, session: SessionDep) -> dict[str, Any]:
    """One fully nested organization with all its services."""
    return orapi.get_organization(session, organization_id=organization_id, viewer=viewer)
