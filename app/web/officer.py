"""Officer pages: find contacts by country and region, a contact's detail, the coverage map.

Every figure comes from the directory's services (search, presenter, coverage); this module
only reads the query string and picks the template.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth.dependencies import STAFF, SessionDep
from app.config import get_settings
from app.directory import coverage, listing, lookup, revisions, search
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
from app.directory.reading import Reading
from app.directory.validation import checked_country, checked_country_text, checked_region
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.paging import Page
from app.kit.principal import Principal
from app.outreach import reports as outreach
from app.verification import partners
from app.verification.history import verification_history
from app.web import labels
from app.web.forms import reason
from app.web.i18n import _, current_language
from app.web.officer_search import (
    SearchQuery,
    countries_with_counts,
    read_search_form,
)
from app.web.session import checked_form, require_page
from app.web.templating import redirect, render, render_form

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


def country_list(session: Session, principal: Principal, lang: str) -> list[tuple[str, str, int]]:
    """The country field's choices: those with contacts first, with their counts."""
    counts = search.cached_contact_counts_by_country(
        session, reading=Reading.now_by(principal, get_settings())
    )
    return countries_with_counts(counts, country_options(lang))


@router.get("/officer")
@router.get("/officer/contacts")
def search_page(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    query: Annotated[SearchQuery, Query()],
    nationwide: bool = False,
    include_national: bool = True,
    every_region: bool = False,
    lang: Lang | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Find contacts: one page for the country, its region, the filters and the results.

    A country alone lists its nationwide offices, as on a national sheet (`every_region=1`:
    every office); with a region, the region's offices and the nationwide ones
    (`include_national=0`: the region's own). A bad value is shown next to its field.
    """
    lang = name_language(lang or current_language())
    form = read_search_form(query, lang=lang)
    chosen = form.country
    context: dict[str, Any] = {
        "form": form,
        "lang": lang,
        "countries": country_list(session, principal, lang),
        "country_label": country_name(chosen, lang) if chosen else None,
        "region_label": region_name(form.region, lang),
        "regions": region_options(chosen, lang) if chosen else [],
        "name_languages": language_options(),
        "spoken_languages": labels.language_options(current_language()),
        "categories": [c.value for c in CATEGORY_ORDER],
        "freshness_states": [f.value for f in Freshness],
        "include_national": include_national,
    }
    if form.errors or chosen is None:
        return render(
            request,
            "officer_search.html",
            principal=principal,
            status_code=422 if form.errors else 200,
            title=_("Find contacts"),
            results=None,
            **context,
        )
    every = every_region and form.region is None
    filters = form.filters(
        include_national=include_national, nationwide_only=nationwide, every_region=every
    )
    listed = listing.contact_page(
        session,
        filters=filters,
        reading=Reading.now_by(principal, get_settings(), lang=lang),
        page=Page(page, PER_PAGE),
    )
    total = int(listed["total"])
    base = {
        "country": chosen,
        "region": form.region,
        "category": form.categories,
        "freshness": form.freshness,
        "language": form.languages,
        "arrival": "1" if form.meets_on_arrival else None,
        "nationwide": "1" if nationwide and form.region is None else None,
        "every_region": "1" if every else None,
        "include_national": None if include_national else "0",
        "q": form.q or None,
        "lang": lang if lang != current_language() else None,
    }
    return render(
        request,
        "officer_search.html",
        principal=principal,
        title=_(
            "Contacts — %(region)s, %(country)s",
            region=context["region_label"],
            country=context["country_label"],
        )
        if form.region
        else _("Contacts — %(country)s", country=context["country_label"]),
        **context,
        results={
            "nationwide_only": filters.nationwide_only,
            "every_region": every,
            "groups": category_groups(listed["items"]),
            "total": total,
            "page": page,
            "has_next": page * PER_PAGE < total,
            "base": base,
        },
    )


@router.get("/contacts/{office_id}")
def contact_detail(
    request: Request, office_id: int, principal: AnyPage, session: SessionDep
) -> Response:
    """One contact: its details, phones, freshness, verification history and changes."""
    settings = get_settings()
    now = utcnow()
    office = lookup.get_office(session, office_id, viewer=principal)
    contact = contact_public(office, now=now, settings=settings, lang=current_language())
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
    request: Request,
    scope: str,
    category: Category,
    principal: StaffPage,
    national: bool = False,
) -> Response:
    """A coverage cell's offices: a region's own offices (or the nationwide ones) in one
    category; `national=1`, a region covered nationwide: the region with the nationwide
    offices. Short links keep the matrix of a country with hundreds of regions light."""
    if "-" in scope:
        country = checked_country(scope.split("-", 1)[0])
        region = checked_region(country, scope)
        target = {"country": country, "region": region}
        if not national:
            target["include_national"] = "0"
    else:
        target = {"country": checked_country(scope), "nationwide": "1"}
    query = urlencode({**target, "category": category.value})
    return redirect(request, f"/officer/contacts?{query}")


@router.get("/coverage")
def coverage_map(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    country: Annotated[str | None, Query(max_length=100)] = None,
    lang: Lang | None = None,
) -> Response:
    """Country × region × category, coloured by what a sheet prints: the region's own
    offices by freshness, covered by nationwide offices only, or a gap (nothing printable)."""
    lang = name_language(lang or current_language())
    matrix = None
    errors: dict[str, str] = {}
    typed = (country or "").strip()
    if typed:
        try:
            code = checked_country_text(typed, lang=lang)
        except InvalidValue as exc:
            errors["country"] = reason(exc)
        else:
            matrix = coverage.cached_coverage_matrix(
                session, country=code, reading=Reading.now_by(principal, get_settings(), lang=lang)
            )
    return render_form(
        request,
        "coverage.html",
        principal=principal,
        title=_("Coverage — %(country)s", country=matrix.country_name) if matrix else _("Coverage"),
        matrix=matrix,
        countries=country_list(session, principal, lang),
        languages=language_options(),
        lang=lang,
        typed=matrix.country_name if matrix else typed,
        errors=errors,
    )
