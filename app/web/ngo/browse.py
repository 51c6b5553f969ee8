"""The partner's contacts page: its countries' contacts (never confidential ones), to check
and correct."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from app.config import get_settings
from app.directory import listing, search
from app.directory.geography import country_name, region_name
from app.directory.reading import Reading
from app.directory.validation import checked_country, checked_region
from app.kit.paging import Page
from app.web.i18n import _, current_language
from app.web.ngo.proposals import flow_router, partner_countries
from app.web.officer import category_groups, region_options
from app.web.page import Place, SignedInPage, signed_in_page

router = flow_router()
PER_PAGE = 50
PartnerView = Annotated[SignedInPage, signed_in_page("ngo")]


@router.get("/ngo")
def browse(
    view: PartnerView,
    place: Place,
    q: Annotated[str | None, Query(max_length=200)] = None,
    every_region: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The partner organisation's own offices first, then the other contacts of a country,
    by default the partner's first (never confidential ones).

    Without a region or a name, the nationwide offices; `every_region=1` lists them all.
    """
    countries = partner_countries(view.session, view.principal)
    reading = Reading.now_by(view.principal, get_settings(), lang=current_language())
    own: list[Any] = []
    if page == 1 and not (q or place.region or every_region):
        own = listing.contact_page(
            view.session,
            filters=search.ContactFilters(organization_id=view.principal.organization_id),
            reading=reading,
            page=Page(1, PER_PAGE),
        )["items"]
    chosen = (
        checked_country(place.country) if place.country else (countries[0] if countries else None)
    )
    chosen_region = checked_region(chosen, place.region or None) if chosen else None
    nationwide_only = chosen_region is None and not (q or every_region)
    contacts: list[Any] = []
    total = 0
    if chosen:
        listed = listing.contact_page(
            view.session,
            filters=search.ContactFilters(
                country=chosen,
                region=chosen_region,
                nationwide_only=nationwide_only,
                q=q or None,
                exclude_organization_id=view.principal.organization_id if own else None,
            ),
            reading=reading,
            page=Page(page, PER_PAGE),
        )
        contacts, total = listed["items"], int(listed["total"])
    base = {
        "country": chosen,
        "region": chosen_region,
        "q": q,
        "every_region": "1" if every_region and not chosen_region else None,
    }
    return view.render(
        "ngo_browse.html",
        title=_("Contacts"),
        countries=[(c, country_name(c, reading.lang)) for c in countries],
        country=chosen or "",
        country_label=country_name(chosen, reading.lang) if chosen else None,
        region=chosen_region or "",
        region_label=region_name(chosen_region, reading.lang) if chosen_region else None,
        regions=region_options(chosen, reading.lang) if chosen else [],
        q=q or "",
        nationwide_only=nationwide_only,
        groups=category_groups(contacts),
        own=own,
        own_groups=category_groups(own),
        total=total,
        page=page,
        has_next=page * PER_PAGE < total,
        base=base,
        notice=view.request.query_params.get("sent"),
    )
