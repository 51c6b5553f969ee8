"""Officer search and the admin write path for contacts (offices) and their phones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.deps import AdminEditDep, OfficeId, PhoneId, SettingsDep, etag
from app.auth.dependencies import ANY_ROLE, AnyRole, Editor, SessionDep, check_role, principal_of
from app.db import end_read
from app.directory import closing, listing, lookup, search, service
from app.directory.enums import Category, OfficeStatus, ServiceTag
from app.directory.freshness import Freshness
from app.directory.presenter import contact_public, phone_public, revision_public
from app.directory.provenance import Provenance
from app.directory.reading import Reading
from app.directory.schemas import (
    ClosePhone,
    CloseRecord,
    ContactPage,
    ContactPublic,
    OfficeCreate,
    OfficeUpdate,
    PhoneCreate,
    PhonePublic,
    PhoneUpdate,
    RevisionPublic,
    VerificationCreate,
)
from app.kit.clock import utcnow
from app.kit.paging import Page
from app.kit.query import openapi_parameters, query_model
from app.kit.threads import in_thread
from app.verification.service import record_verification

router = APIRouter(prefix="/api/v1", tags=["contacts"])

# NUL and other control characters cannot be searched for (PostgreSQL refuses NUL outright).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
LanguageCode = Annotated[str, StringConstraints(pattern="^[A-Za-z]{2,3}$")]


class ContactQuery(BaseModel):
    """The officer search's query string (`kit.query`: validated in one pass)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    country: Annotated[
        str | None, Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    ] = None
    region: Annotated[
        str | None,
        Field(
            min_length=4,
            max_length=8,
            description="ISO 3166-2 subdivision of the country; alone, it implies the country.",
        ),
    ] = None
    include_national: Annotated[
        bool, Field(description="Add the country's nationwide offices to a region's.")
    ] = True
    # default_factory: pydantic deep-copies a mutable default on every validation.
    category: list[Category] = Field(default_factory=list)
    service: list[ServiceTag] = Field(default_factory=list)
    language: Annotated[
        list[LanguageCode],
        Field(default_factory=list, description="ISO 639-1 codes of languages spoken."),
    ]
    q: Annotated[
        str | None,
        Field(
            max_length=200,
            pattern=NO_CONTROL_CHARACTERS,
            description="Name, city or region; accents and case are ignored.",
        ),
    ] = None
    status: list[OfficeStatus] = Field(default_factory=list)
    freshness: list[Freshness] = Field(default_factory=list)
    verified_within_days: Annotated[int | None, Field(ge=0, le=36500)] = None
    meets_on_arrival: bool | None = None
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=200)] = 50

    def filters(self) -> search.ContactFilters:
        return search.ContactFilters(
            country=self.country,
            region=self.region,
            include_national=self.include_national,
            categories=[c.value for c in self.category],
            services=[s.value for s in self.service],
            languages=[lang.strip().lower() for lang in self.language],
            q=self.q,
            statuses=[s.value for s in self.status],
            freshness=[f.value for f in self.freshness],
            verified_within_days=self.verified_within_days,
            meets_on_arrival=self.meets_on_arrival,
        )


_contact_query = query_model(ContactQuery)


@router.get(
    "/contacts",
    response_model=ContactPage,
    openapi_extra={"parameters": openapi_parameters(ContactQuery)},
    responses={422: {"description": "A query parameter is invalid; the body names it and why."}},
)
async def list_contacts(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Offices in a country and region, plus the country's nationwide offices.

    Ordered law enforcement first, then NGOs, lawyers and social welfare; regional before
    nationwide; then by name.
    """
    # The hottest route resolves the caller and its query itself, in the order the
    # dependencies did (401/403 before 422): every dependency FastAPI solves per request cost
    # more CPU than the page's own rows (bench/query.py against its floor).
    viewer = check_role(await principal_of(request, session), ANY_ROLE)
    query = await _contact_query(request)
    reading = Reading.now_by(viewer, settings)
    filters = query.filters()

    def read_page() -> bytes:
        result = listing.contact_page(
            session,
            filters=filters,
            reading=reading,
            page=Page(query.page, query.per_page),
        )
        end_read(session)
        # Built from trusted rows: serialised once, without FastAPI re-validating each item.
        return listing.contact_page_json(result)

    # The hottest route: one lean thread hop for all of its database work (app.kit.threads).
    return Response(await in_thread(read_page), media_type="application/json")


@router.get("/contacts/{office_id}", response_model=ContactPublic)
def get_contact(
    office_id: OfficeId,
    viewer: AnyRole,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ContactPublic:
    """One office with its organisation, phones and freshness."""
    office = lookup.get_office(session, office_id, viewer=viewer)
    response.headers["ETag"] = etag(office.version)
    return contact_public(office, now=utcnow(), settings=settings)


@router.get("/contacts/{office_id}/history", response_model=list[RevisionPublic])
def contact_history(
    office_id: OfficeId, viewer: AnyRole, session: SessionDep
) -> list[RevisionPublic]:
    """Every change to the office, its phones and its organisation, oldest first."""
    rows = service.office_history(session, office_id=office_id, viewer=viewer)
    return [revision_public(r) for r in rows]


@router.post("/contacts", response_model=ContactPublic, status_code=status.HTTP_201_CREATED)
def create_contact(
    body: OfficeCreate, editor: Editor, session: SessionDep, settings: SettingsDep
) -> ContactPublic:
    """Create an office (a contact) with its phones."""
    office = service.create_office(session, data=body, provenance=Provenance.admin_edit(editor))
    assert office.id is not None
    return contact_public(
        lookup.get_office(session, office.id, refresh=True), now=utcnow(), settings=settings
    )


@router.patch("/contacts/{office_id}", response_model=ContactPublic)
def update_contact(
    office_id: OfficeId, body: OfficeUpdate, edit: AdminEditDep, settings: SettingsDep
) -> ContactPublic:
    """Change fields of an office. Send the version you edited (`If-Match` or `version`)."""
    office = edit.update(service.update_office, body, office_id=office_id)
    edit.tag(office.version)
    return contact_public(office, now=utcnow(), settings=settings)


@router.post("/contacts/{office_id}/close", response_model=ContactPublic)
def close_contact(
    office_id: OfficeId, body: CloseRecord, edit: AdminEditDep, settings: SettingsDep
) -> ContactPublic:
    """Close an office. Nothing is deleted; it leaves every sheet.

    Send the version you are closing (`If-Match` or `version`: 428 without it, 409 when it
    is stale) and a `reason` (`closed`, `moved`, `merged`, `duplicate`, `entered_in_error`),
    optionally with a `note`; both are kept in the revision.
    """
    office = edit.close(closing.close_contact, body, office_id)
    edit.tag(office.version)
    return contact_public(office, now=utcnow(), settings=settings)


@router.post(
    "/contacts/{office_id}/phones", response_model=PhonePublic, status_code=status.HTTP_201_CREATED
)
def add_phone(
    office_id: OfficeId, body: PhoneCreate, editor: Editor, session: SessionDep
) -> PhonePublic:
    """Add a phone number, parsed in the office's country."""
    phone = service.add_phone(
        session, office_id=office_id, data=body, provenance=Provenance.admin_edit(editor)
    )
    return phone_public(phone)


@router.patch("/phones/{phone_id}", response_model=PhonePublic)
def update_phone(phone_id: PhoneId, body: PhoneUpdate, edit: AdminEditDep) -> PhonePublic:
    """Change a phone. Send the phone's version you edited."""
    return phone_public(edit.update(service.update_phone, body, phone_id=phone_id))


@router.post("/phones/{phone_id}/close", response_model=PhonePublic)
def close_phone(phone_id: PhoneId, body: ClosePhone, edit: AdminEditDep) -> PhonePublic:
    """Mark a number disconnected: it leaves every sheet.

    Send the phone's version (`If-Match` or `version`) and a `reason` (`disconnected`,
    `wrong_number`, `no_longer_used`, `duplicate`, `entered_in_error`), optionally a `note`.
    """
    return phone_public(edit.close(closing.close_phone, body, phone_id))


@router.post("/contacts/{office_id}/verifications", response_model=ContactPublic)
def verify_contact(
    office_id: OfficeId,
    body: VerificationCreate,
    editor: Editor,
    session: SessionDep,
    settings: SettingsDep,
) -> ContactPublic:
    """Record that the office was verified (by phone call, email reply, visit or NGO network)."""
    record_verification(
        session,
        office_id=office_id,
        method=body.method,
        note=body.note,
        verified_at=body.verified_at,
        verified_by=editor.label,
        provenance=Provenance.by_key(editor, "verification"),
    )
    office = lookup.get_office(session, office_id, refresh=True)
    return contact_public(office, now=utcnow(), settings=settings)
