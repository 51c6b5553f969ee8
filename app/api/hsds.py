"""Open Referral API (ORAPI, HSDS 3.0) read endpoints at /hsds/, for other directories.

Every operation and parameter of Open Referral's openapi.json, under its operationIds;
`GET /hsds/openapi.json` describes them as served here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from app.auth.dependencies import AnyRole, SessionDep
from app.interop import orapi, orapi_taxonomy
from app.interop.hsds_tables import HSDS_PROFILE, HSDS_VERSION
from app.interop.orapi_paging import MAX_MINIMAL_PER_PAGE, MAX_PER_PAGE, Answer, Listing
from app.interop.orapi_spec import NDJSON, document_response, errors, orapi_openapi, page_response

PREFIX = "/hsds"
router = APIRouter(prefix=PREFIX, tags=["hsds"], responses=errors(401))

# Every role; confidential organisations only for admins (orapi: what may leave for another
# directory, like the operator's export).
Reader = AnyRole

# Control characters (NUL above all) cannot reach PostgreSQL: refused as a 422 here.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def _text(description: str, max_length: int = 64) -> Any:
    return Query(max_length=max_length, pattern=NO_CONTROL_CHARACTERS, description=description)


Search = Annotated[str | None, _text("Full text search.", 200)]
Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPage = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_MINIMAL_PER_PAGE,
        description=(
            f"Records per page: 1 to {MAX_PER_PAGE} (default 50); with minimal=true up "
            f"to {MAX_MINIMAL_PER_PAGE} (default {MAX_MINIMAL_PER_PAGE})."
        ),
    ),
]
Format = Annotated[
    Literal["json", "ndjson"],
    Query(description="json (pages), or ndjson: every record, one per line, unpaged."),
]
TermId = Annotated[str | None, _text("Only records with this Homeward taxonomy term.")]
TaxonomyId = Annotated[str | None, _text("Only records with a term of this taxonomy.")]
OrganizationIdFilter = Annotated[str | None, _text("Only the services of this organization.")]
ModifiedAfter = Annotated[
    datetime | None, Query(description="Only records modified on or after this datetime.")
]
Minimal = Annotated[bool, Query(description="Only id, name, status and last_modified.")]
Full = Annotated[bool, Query(description="Fully nested records.")]
FullService = Annotated[bool, Query(description="Nest each service fully, not its own fields.")]
Postcode = Annotated[
    str | None,
    _text("Offices at this postcode; with proximity, the centre of the search.", 20),
]
Proximity = Annotated[
    str | None,
    _text("Metres from the centroid of `postcode` (offices with coordinates).", 32),
]
TopOnly = Annotated[bool, Query(description="Only top terms (all of Homeward's are).")]
ParentId = Annotated[str | None, _text("Only the children of this term (none have parents).")]


@dataclass
class Paged:
    """The paging every ORAPI list takes: a page, its size, or every record as NDJSON."""

    page: Page = 1
    per_page: PerPage = None
    format: Format = "json"

    def listing(self, **shape: bool) -> Listing:
        """How the list is asked for, with the endpoint's own shape options (`full`,
        `minimal`, `full_service`)."""
        return Listing(
            page=self.page, per_page=self.per_page, stream=self.format == "ndjson", **shape
        )


@dataclass
class ServiceQuery:
    """The filters the services and service_at_locations lists share."""

    search: Search = None
    taxonomy_term_id: TermId = None
    taxonomy_id: TaxonomyId = None
    organization_id: OrganizationIdFilter = None
    modified_after: ModifiedAfter = None

    def filters(self, postcode: str | None = None, proximity: str | None = None) -> orapi.Filters:
        """These filters, with the service_at_locations' own."""
        return orapi.Filters(**asdict(self), postcode=postcode, proximity=proximity)


Paging = Annotated[Paged, Depends()]
ServiceFilters = Annotated[ServiceQuery, Depends()]

NDJSON_CHUNK_BYTES = 64 * 1024
Route = Callable[[Callable[..., Any]], Callable[..., Any]]


def _reply(answer: Answer) -> Any:
    """A page as JSON, or a stream of records as NDJSON (one JSON document a line)."""
    if isinstance(answer, dict):
        return answer

    def lines(docs: Iterator[dict[str, Any]]) -> Iterator[bytes]:
        # Sent in chunks of about 64 KB: each chunk of a sync iterator costs a threadpool hop.
        chunk: list[bytes] = []
        size = 0
        for doc in docs:
            line = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            chunk.append(line)
            size += len(line)
            if size >= NDJSON_CHUNK_BYTES:
                yield b"".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield b"".join(chunk)

    return StreamingResponse(lines(answer), media_type=NDJSON)


def _list(path: str, operation_id: str, schema: str, description: str) -> Route:
    """A paginated ORAPI list: pages of JSON, or an NDJSON stream (so no response model)."""
    return router.get(
        path,
        operation_id=operation_id,
        response_model=None,
        responses={200: page_response(schema, description), **errors(422)},
    )


def _document(path: str, operation_id: str, schema: str, description: str) -> Route:
    """One ORAPI record by its id."""
    return router.get(
        path,
        operation_id=operation_id,
        responses={200: document_response(schema, description), **errors(404, 422)},
    )


@router.get("/openapi.json", include_in_schema=False, name="hsds_openapi")
def hsds_openapi(viewer: Reader, request: Request) -> dict[str, Any]:
    """The OpenAPI description of this ORAPI, cut from the app's own. Like every API route
    it needs a key."""
    return orapi_openapi(
        request.app.openapi(),
        prefix=PREFIX,
        server_url=str(request.url_for("hsds_root")).rstrip("/"),
        version=HSDS_VERSION,
        profile=HSDS_PROFILE,
    )


@router.get("/", name="hsds_root", operation_id="getAPIMetaInformation")
def hsds_root(viewer: Reader, request: Request) -> dict[str, str]:
    """Which HSDS version and profile this API serves, and where its OpenAPI description is
    (on the address the request came to)."""
    return orapi.api_info(openapi_url=str(request.url_for("hsds_openapi")))


@_list(
    "/services", "getPaginatedListOfServices", "compiled/service_list.json", "A page of services."
)
def hsds_services(
    viewer: Reader,
    session: SessionDep,
    query: ServiceFilters,
    paged: Paging,
    minimal: Minimal = False,
    full: Full = False,
) -> Any:
    """Services (one per office) with their organization: one-to-one fields, fully nested
    with `full`, or only id, name, status and last_modified with `minimal`."""
    return _reply(
        orapi.list_services(
            session,
            viewer=viewer,
            filters=query.filters(),
            listing=paged.listing(full=full, minimal=minimal),
        )
    )


@_document(
    "/services/{id}",
    "getFullyNestedServiceById",
    "compiled/service.json",
    "A fully nested service.",
)
def hsds_service(id: str, viewer: Reader, session: SessionDep) -> dict[str, Any]:
    """One fully nested service: location, address, phones, languages, attributes, metadata."""
    return orapi.get_service(session, service_id=id, viewer=viewer)


@_list(
    "/service_at_locations",
    "getPaginatedListOfServiceAtLocation",
    "compiled/service_at_location_list.json",
    "A page of service_at_locations.",
)
def hsds_service_at_locations(
    viewer: Reader,
    session: SessionDep,
    query: ServiceFilters,
    paged: Paging,
    full: Full = False,
    postcode: Postcode = None,
    proximity: Proximity = None,
) -> Any:
    """Service_at_locations (one per office): location and service, fully nested with
    `full`; with `postcode` and `proximity` (metres), nearest first."""
    return _reply(
        orapi.list_service_at_locations(
            session,
            viewer=viewer,
            filters=query.filters(postcode=postcode, proximity=proximity),
            listing=paged.listing(full=full),
        )
    )


@_document(
    "/service_at_locations/{id}",
    "getServiceAtLocationWithNestedDataById",
    "compiled/service_at_location.json",
    "A fully nested service_at_location.",
)
def hsds_service_at_location(id: str, viewer: Reader, session: SessionDep) -> dict[str, Any]:
    """One fully nested service_at_location: location, phones, schedules and its service.

    Open Referral's openapi.json 3.0 names compiled/service.json here; its 3.0.1 fix
    (specification PR #574) names compiled/service_at_location.json, which this follows.
    """
    return orapi.get_service_at_location(session, service_at_location_id=id, viewer=viewer)


@_list(
    "/organizations",
    "getPaginatedListOfOrganizations",
    "compiled/organization_list.json",
    "A page of organizations.",
)
def hsds_organizations(
    viewer: Reader,
    session: SessionDep,
    paged: Paging,
    search: Search = None,
    full_service: FullService = False,
    full: Full = False,
    taxonomy_term_id: TermId = None,
    modified_after: ModifiedAfter = None,
) -> Any:
    """Organizations: one-to-one fields, or with `full` nested with their services (fully
    nested too with `full_service`)."""
    return _reply(
        orapi.list_organizations(
            session,
            viewer=viewer,
            filters=orapi.Filters(
                search=search, taxonomy_term_id=taxonomy_term_id, modified_after=modified_after
            ),
            listing=paged.listing(full=full, full_service=full_service),
        )
    )


@_document(
    "/organizations/{id}",
    "getOrganizationById",
    "compiled/organization.json",
    "A fully nested organization.",
)
def hsds_organization(
    id: str, viewer: Reader, session: SessionDep, full_service: FullService = False
) -> dict[str, Any]:
    """One fully nested organization with its services (their own fields, or fully nested
    with `full_service`)."""
    return orapi.get_organization(
        session, organization_id=id, viewer=viewer, full_service=full_service
    )


@_list("/taxonomies", "getPaginatedListOfTaxonomies", "taxonomy.json", "A page of taxonomies.")
def hsds_taxonomies(viewer: Reader, paged: Paging, search: Search = None) -> Any:
    """The taxonomies: Homeward's own, whose terms are its categories, service tags, phone
    kinds and flags (the taxonomy an export writes)."""
    return _reply(orapi_taxonomy.list_taxonomies(search=search, listing=paged.listing()))


@_document("/taxonomies/{id}", "getTaxonomyById", "taxonomy.json", "A taxonomy.")
def hsds_taxonomy(id: str, viewer: Reader) -> dict[str, Any]:
    """One taxonomy."""
    return orapi_taxonomy.get_taxonomy(id)


# Open Referral 3.0 swapped the two taxonomy_terms ids; kept, so generated clients match.
@_list("/taxonomy_terms", "getTaxonomyTermById", "taxonomy_term.json", "A page of taxonomy terms.")
def hsds_taxonomy_terms(
    viewer: Reader,
    paged: Paging,
    search: Search = None,
    taxonomy_id: TaxonomyId = None,
    top_only: TopOnly = False,
    parent_id: ParentId = None,
) -> Any:
    """The terms of Homeward's taxonomy, as an export writes them."""
    return _reply(
        orapi_taxonomy.list_terms(
            search=search,
            taxonomy_id=taxonomy_id,
            top_only=top_only,
            parent_id=parent_id,
            listing=paged.listing(),
        )
    )


@_document(
    "/taxonomy_terms/{id}",
    "getPaginatedListOfTaxonomyTerms",
    "taxonomy_term.json",
    "A taxonomy term.",
)
def hsds_taxonomy_term(id: str, viewer: Reader) -> dict[str, Any]:
    """One taxonomy term."""
    return orapi_taxonomy.get_term(id)
