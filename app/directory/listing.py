"""The officer's contact list, read as plain rows.

The list endpoint is the hot path (every region query of every officer). Loading ORM objects
for a page of offices with their organisations, phones, languages and services cost ~280
object hydrations per page; this reads the same page in one statement (offices with their
organisation; languages, services and active phones aggregated per office; the total as a
window count) and builds the `ContactPage` shape as plain dicts, serialised once by
pydantic-core. `presenter.contact_public` stays the single-office path; tests check that both
give the same item.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from cachetools import LRUCache
from pydantic_core import to_json
from sqlalchemy import Connection, Row, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.freshness import FreshnessCutoffs
from app.directory.geography import country_name, region_name
from app.directory.models import Office, OfficeLanguage, Organization, OrganizationService, Phone
from app.directory.phone_numbers import stored_display
from app.directory.printable import PHONE_IS_ACTIVE
from app.directory.reading import Reading
from app.directory.search import ContactFilters, PreparedFilters, contacts_query, prepare_filters
from app.directory.service import OFFICE_FIELD_COLUMNS, PHONE_ORDER
from app.kit.clock import as_utc
from app.kit.paging import FIRST_PAGE, Page
from app.kit.sql import comma_list, json_rows

_OFFICE_COLUMNS = (
    Office.id,
    Office.organization_id,
    *OFFICE_FIELD_COLUMNS,  # name … status, read by position in `_item`
    Office.last_verified_at,
    Office.verified_by,
    Office.verification_method,
    Office.stale_flagged_at,
    Office.version,
    Office.created_at,
    Office.updated_at,
)


# The office's detail columns the page carries as they are (after service_name, address_2).
_DETAILS = ("service_description", "language_notes", "service_areas", "contacts", "accessibility")


def _split(value: str | None) -> list[str]:
    # Aggregation order is not guaranteed by either database; the API promises sorted lists.
    return sorted(value.split(",")) if value else []


_ROWS_BY_POSITION = {"_result_disable_adapt_to_context": True}


# The page's phones ride on its one statement, as a JSON array per office (`_phones_column`):
# a second statement for them cost more in execution overhead than the lookups themselves.
# The array is unordered; `_phones` sorts it by `PHONE_ORDER`, the columns that end each row.
_PHONE_COLUMNS = (
    Phone.id,
    Phone.number,
    Phone.national,
    Phone.international,
    Phone.number_type,
    Phone.kind,
    Phone.hours,
    Phone.is_24_7,
    Phone.languages,
    Phone.status,
    Phone.version,
    Phone.extension,
    *PHONE_ORDER,
)


def _phones_column() -> ScalarSelect[Any]:
    """The office's active phones as JSON rows of `_PHONE_COLUMNS`."""
    return (
        select(json_rows(*_PHONE_COLUMNS))
        .where(Phone.office_id == Office.id, PHONE_IS_ACTIVE)
        .scalar_subquery()
    )


def _phones(rows: list[list[Any]] | None) -> list[dict[str, Any]]:
    """An office's phones from its JSON rows, in the office's phone order."""
    if not rows:
        return []
    order = len(PHONE_ORDER)
    rows.sort(key=lambda row: row[-order:])
    phones = []
    for id_, number, national, international, type_, *rest in rows:
        kind, hours, is_24_7, languages, status, version, extension = rest[:-order]
        shown = stored_display(number, national, international, type_)
        phones.append(
            {
                "id": id_,
                "number": number,
                "national": shown.national,
                "international": shown.international,
                "kind": kind,
                "number_type": shown.type,
                "extension": extension,
                "hours": hours,
                "is_24_7": bool(is_24_7),
                "languages": languages or [],
                "status": status,
                "version": version,
            }
        )
    return phones


def _item(
    row: Sequence[Any],
    *,
    now: datetime,
    cutoffs: FreshnessCutoffs,
    lang: str,
) -> dict[str, Any]:
    # Unpacked by position, in `_page_statement`'s column order: the hot path of every search.
    # `name` to `status` are the office fields in `service.OFFICE_FIELDS` order.
    (
        id_,
        organization_id,
        name,
        country,
        region,
        city,
        address,
        postal_code,
        latitude,
        longitude,
        opening_hours,
        email,
        website,
        meets_on_arrival,
        status,
        last_verified_at,
        verified_by,
        verification_method,
        stale_flagged_at,
        version,
        created_at,
        updated_at,
        org_name,
        org_local_name,
        category,
        org_website,
        confidential,
        is_demo,
        schedules,
        service_name,
        address_2,
        identifiers,
        *details,
        languages,
        services_text,
        phones,
        _total,
    ) = row
    services = _split(services_text)
    created_at = as_utc(created_at) or now
    return {
        "id": id_,
        "organization": {
            "id": organization_id,
            "name": org_name,
            "local_name": org_local_name,
            "category": category,
            "website": org_website,
            "services": services,
            "confidential": confidential,
            "is_demo": is_demo,
            "identifiers": identifiers,
        },
        "name": name,
        "category": category,
        "country": country,
        "country_name": country_name(country, lang),
        "region": region,
        "region_name": region_name(region, lang),
        "nationwide": region is None,
        "city": city,
        "address": address,
        "address_2": address_2,
        "postal_code": postal_code,
        "latitude": latitude,
        "longitude": longitude,
        "opening_hours": opening_hours,
        "schedules": schedules,
        "service_name": service_name,
        **dict(zip(_DETAILS, details, strict=True)),
        "email": email,
        "website": website or org_website,
        "languages": _split(languages),
        "services": services,
        "meets_on_arrival": meets_on_arrival,
        "status": status,
        "phones": _phones(phones),
        "last_verified_at": as_utc(last_verified_at),
        "verified_by": verified_by,
        "verification_method": verification_method,
        "freshness": cutoffs.state(
            last_verified_at=last_verified_at,
            stale_flagged_at=stale_flagged_at,
            category=category,
        ).value,
        "version": version,
        "created_at": created_at,
        "updated_at": as_utc(updated_at) or created_at,
    }


@cache
def _page_statement() -> Select[Any]:
    """The page SELECT without filters, built once: coercing ~35 columns per request is
    measurable on the hot path. Same joins and order as `search.contacts_query`."""
    languages = (
        select(comma_list(OfficeLanguage.language))
        .where(OfficeLanguage.office_id == Office.id)
        .scalar_subquery()
    )
    services = (
        select(comma_list(OrganizationService.tag))
        .where(OrganizationService.organization_id == Organization.id)
        .scalar_subquery()
    )
    return contacts_query([]).with_only_columns(
        *_OFFICE_COLUMNS,
        Organization.name.label("org_name"),
        Organization.local_name.label("org_local_name"),
        Organization.category,
        Organization.website.label("org_website"),
        Organization.confidential,
        Organization.is_demo,
        Office.schedules,
        Office.service_name,
        Office.address_2,
        Organization.identifiers,
        *(getattr(Office, f) for f in _DETAILS),
        languages.label("languages"),
        services.label("services"),
        _phones_column().label("phones"),
        func.count().over().label("total"),
    )


# Page statements by filter shape: executed again with new values, SQLAlchemy reuses the
# compiled SQL without rebuilding the clauses or their cache key. Shapes are few (which
# filters are present), and the cache is bounded all the same.
_SHAPED_PAGES: LRUCache[tuple[Any, ...], Select[Any]] = LRUCache(maxsize=256)
_SHAPED_PAGES_LOCK = threading.Lock()


def _page_query(prepared: PreparedFilters) -> tuple[Select[Any], dict[str, Any]]:
    """The page statement for these filters and the values to execute it with."""

    def paged(*, bound: bool) -> Select[Any]:
        stmt = _page_statement().where(*prepared.conditions(bound=bound))
        return stmt.limit(bindparam("limit")).offset(bindparam("offset"))

    if prepared.shape is None:
        return paged(bound=True), {}
    with _SHAPED_PAGES_LOCK:
        stmt = _SHAPED_PAGES.get(prepared.shape)
        if stmt is None:
            stmt = _SHAPED_PAGES[prepared.shape] = paged(bound=False)
    return stmt, prepared.values


def page_rows(
    connection: Connection, prepared: PreparedFilters, *, page: Page
) -> tuple[Sequence[Row[Any]], int]:
    """One page of rows of `_page_statement` for these filters, and the total.

    Core execution on a connection: plain rows read by position, no ORM result machinery.
    Rows are never looked up by Column object, so SQLAlchemy need not re-key the cached result
    map to this request's statement (the ORM sets the same option); that re-keying compares
    every selected column and cost more than the query itself. `bench.floor` runs this same
    function, so the benchmark's floor executes the app's own SQL.
    """
    stmt, values = _page_query(prepared)
    params = {**values, "limit": page.size, "offset": page.offset}
    rows = connection.execute(stmt, params, execution_options=_ROWS_BY_POSITION).all()
    if rows:
        return rows, int(rows[0][-1])
    if page.number == 1:
        return rows, 0
    # Past the last page: the window count has no row to ride on.
    total = connection.execute(
        select(func.count(Office.id)).join(Office.organization).where(*prepared.conditions())
    ).scalar_one()
    return rows, int(total)


def page_dict(
    rows: Sequence[Row[Any]],
    total: int,
    *,
    now: datetime,
    settings: Settings,
    page: Page,
    lang: str = "en",
) -> dict[str, Any]:
    """The rows of `page_rows` shaped as ContactPage."""
    cutoffs = FreshnessCutoffs(now=now, settings=settings)
    return {
        "items": [_item(r, now=now, cutoffs=cutoffs, lang=lang) for r in rows],
        "total": total,
        "page": page.number,
        "per_page": page.size,
        "pages": (total + page.size - 1) // page.size,
    }


def contact_page(
    session: Session,
    *,
    filters: ContactFilters,
    reading: Reading,
    page: Page = FIRST_PAGE,
) -> dict[str, Any]:
    """One page of matching contacts in the stable order, with totals, shaped as ContactPage."""
    now, settings = reading.now, reading.settings
    prepared = prepare_filters(filters, viewer=reading.viewer, now=now, settings=settings)
    rows, total = page_rows(session.connection(), prepared, page=page)
    return page_dict(rows, total, now=now, settings=settings, page=page, lang=reading.lang)


def contact_page_json(page: dict[str, Any]) -> bytes:
    """The page as JSON, formatted exactly as pydantic formats `ContactPage`."""
    return to_json(page)
