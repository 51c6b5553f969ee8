"""Officer pages: find contacts by country and region, a contact's detail, the coverage map.

Every figure comes from the directory's services (search, presenter, coverage); this module
only reads the query string and picks the template.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from app.auth.dependencies import STAFF, SessionDep
from app.config import get_settings
from app.directory import coverage, listing, revisions, search, service
from app.directory.enums import CATEGORY_ORDER, Category
from app.directory.freshness import Freshness
from app.directory.geography import (
    all_country_codes,
    country_name,
    language_name,
    region_name,
    regions_by_code,
)
from app.directory.presenter import contact_public, revision_public
from app.directory.validation import checked_country, checked_region
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.outreach import reports as outreach
from app.verification import partners
from app.verification.history import verification_history
from app.web.session import checked_form, require_page
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

StaffPage = Annotated[Principal, require_page(*STAFF)]
AnyPage = Annotated[Principal, require_page("admin", "reviewer", "officer", "ngo")]

# Languages the place names can be shown in (the sheets' languages), each named in itself.
NAME_LANGUAGES = ("en", "fr", "es", "pt", "ro", "sq", "ru", "uk", "ar", "vi", "th")
PER_PAGE = 50

Lang = Annotated[str, Query(pattern="^[a-z]{2}$")]


def name_language(lang: str) -> str:
    return lang if lang in NAME_LANGUAGES else "en"


@cache
def country_options(lang: str) -> list[tuple[str, str]]:
    names = [(code, country_name(code, lang)) for code in all_country_codes()]
    return sorted(names, key=lambda item: item[1])


@cache
def region_options(country: str, lang: str) -> list[tuple[str, str]]:
    return [
        (code, f"{region_name(code, lang) or region.name} ({code})")
        for code, region in regions_by_code(country).items()
    ]


@cache
def language_options() -> list[tuple[str, str]]:
    return [(code, language_name(code, code)) for code in NAME_LANGUAGES]


def category_groups(contacts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """A page of contacts grouped by category, in the order the categories first appear."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for contact in contacts:
        groups.setdefault(contact["category"], []).append(contact)
    return list(groups.items())


@router.get("/officer")
def choose(
    request: Request,
    principal: StaffPage,
    country: Annotated[str | None, Query(max_length=2)] = None,
    lang: Lang = "en",
) -> Response:
    """Step 1: choose a country; step 2: a region from its ISO 3166-2 subdivisions."""
    lang = name_language(lang)
    chosen = checked_country(country) if country else None
    return render(
        request,
        "officer_choose.html",
        principal=principal,
        title="Find contacts",
        country=chosen,
        country_label=country_name(chosen, lang) if chosen else None,
        countries=country_options(lang),
        regions=region_options(chosen, lang) if chosen else [],
        languages=language_options(),
        lang=lang,
        categories=[(c.value, c.value) for c in CATEGORY_ORDER],
    )


@router.get("/officer/contacts")
def results(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    country: Annotated[str, Query(min_length=2, max_length=2)],
    region: Annotated[str | None, Query(max_length=8)] = None,
    category: Annotated[list[Category], Query()] = [],  # noqa: B006
    freshness: Annotated[list[Freshness], Query()] = [],  # noqa: B006
    nationwide: bool = False,
    include_national: bool = True,
    every_region: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    lang: Lang = "en",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The offices of a region plus the nationwide ones, grouped by category, with freshness.

    Without a region (and without other filters) the country's nationwide offices are listed,
    as on a national sheet; `every_region=1` lists every office of the country.
    """
    settings = get_settings()
    now = utcnow()
    lang = name_language(lang)
    country = checked_country(country)
    region = checked_region(country, region or None)
    filtered = bool(category or freshness or q)
    filters = search.ContactFilters(
        country=country,
        region=region,
        include_national=include_national,
        nationwide_only=region is None and (nationwide or not (every_region or filtered)),
        categories=[c.value for c in category],
        freshness=[f.value for f in freshness],
        q=q or None,
    )
    listed = listing.contact_page(
        session,
        filters=filters,
        viewer=principal,
        now=now,
        settings=settings,
        page=page,
        per_page=PER_PAGE,
        lang=lang,
    )
    total = int(listed["total"])
    base = {
        "country": country,
        "region": region,
        "category": [c.value for c in category],
        "freshness": [f.value for f in freshness],
        "nationwide": "1" if filters.nationwide_only else None,
        "every_region": "1" if every_region and region is None else None,
        "include_national": None if include_national else "0",
        "q": q,
        "lang": lang if lang != "en" else None,
    }
    return render(
        request,
        "officer_results.html",
        principal=principal,
        title="Contacts",
        country=country,
        country_label=country_name(country, lang),
        region=region,
        region_label=region_name(region, lang),
        nationwide_only=filters.nationwide_only,
        every_region=every_region and region is None,
        include_national=include_national,
        categories=[c.value for c in category],
        freshness=[f.value for f in freshness],
        groups=category_groups(listed["items"]),
        total=total,
        page=page,
        has_next=page * PER_PAGE < total,
        base=base,
        lang=lang,
        q=q or "",
    )


@router.get("/contacts/{office_id}")
def contact_detail(
    request: Request, office_id: int, principal: AnyPage, session: SessionDep
) -> Response:
    """One contact: its details, phones, freshness, verification history and changes."""
    settings = get_settings()
    now = utcnow()
    office = service.get_office(session, office_id, viewer=principal)
    contact = contact_public(office, now=now, settings=settings)
    # The office is loaded and its visibility checked: its history needs neither again.
    history = [
        revision_public(r)
        for r in revisions.for_office(
            session, office_id=office_id, organization_id=office.organization_id
        )
    ]
    history.reverse()
    return render(
        request,
        "contact.html",
        principal=principal,
        title=contact.organization.name,
        contact=contact,
        verifications=verification_history(session, office_id=office_id, limit=50),
        history=history[:100],
        history_total=len(history),
        confirmed=request.query_params.get("confirmed") == "1",
        # A partner acts only on contacts in its countries (partners.check_scope).
        partner_may_act=principal.is_ngo
        and principal.organization_id is not None
        and partners.in_scope(
            session, organization_id=principal.organization_id, country=office.country
        ),
        outreach=None
        if principal.is_ngo
        else outreach.latest_for_office(session, office_id=office_id),
    )


@router.get("/coverage/{scope}/{category}")
def coverage_cell(
    request: Request, scope: str, category: Category, principal: StaffPage
) -> Response:
    """A coverage cell's offices: a region's own offices (or the nationwide ones) in one
    category. Short links keep the matrix of a country with hundreds of regions light."""
    if "-" in scope:
        country = checked_country(scope.split("-", 1)[0])
        region = checked_region(country, scope)
        target = {"country": country, "region": region, "include_national": "0"}
    else:
        target = {"country": checked_country(scope), "nationwide": "1"}
    query = urlencode({**target, "category": category.value})
    return redirect(request, f"/officer/contacts?{query}")


@router.get("/coverage")
def coverage_map(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=2)] = None,
    lang: Lang = "en",
) -> Response:
    """Country × region × category, coloured by freshness; gaps where nothing is verified."""
    lang = name_language(lang)
    matrix = None
    if country:
        matrix = coverage.cached_coverage_matrix(
            session,
            country=country,
            viewer=principal,
            now=utcnow(),
            settings=get_settings(),
            lang=lang,
        )
    return render(
        request,
        "coverage.html",
        principal=principal,
        title=f"Coverage — {matrix.country_name}" if matrix else "Coverage",
        matrix=matrix,
        countries=country_options(lang),
        languages=language_options(),
        lang=lang,
        country=matrix.country if matrix else "",
    )
