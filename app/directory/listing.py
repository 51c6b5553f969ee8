"""The officer's contact list, read as plain rows.

The list endpoint is the hot path (every region query of every officer). Loading ORM objects
for a page of offices with their organisations, phones, languages and services cost ~280
object hydrations per page; this reads the same page in two statements (offices with their
organisation, languages and services aggregated, and the total as a window count; then the
active phones) and builds the `ContactPage` shape as plain dicts, serialised once by
pydantic-core. `presenter.contact_public` stays the single-office path; tests check that both
give the same item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Select, func, select
from sqlmodel import Session

from app.auth.principal import Principal
from app.config import Settings
from app.directory.enums import PhoneStatus
from app.directory.geography import country_name, region_name
from app.directory.models import Office, OfficeLanguage, Organization, OrganizationService, Phone
from app.directory.phone_numbers import stored_display
from app.directory.search import ContactFilters, contacts_query, filter_conditions
from app.kit.clock import as_utc
from app.verification.freshness import freshness_of

_OFFICE_COLUMNS = (
    Office.id,
    Office.organization_id,
    Office.name,
    Office.country,
    Office.region,
    Office.city,
    Office.address,
    Office.postal_code,
    Office.latitude,
    Office.longitude,
    Office.opening_hours,
    Office.email,
    Office.website,
    Office.meets_on_arrival,
    Office.status,
    Office.last_verified_at,
    Office.verified_by,
    Office.verification_method,
    Office.stale_flagged_at,
    Office.version,
    Office.created_at,
    Office.updated_at,
)


def _split(value: str | None) -> list[str]:
    # Aggregation order is not guaranteed by either database; the API promises sorted lists.
    return sorted(value.split(",")) if value else []


def _phones(session: Session, office_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    stmt = (
        select(
            Phone.office_id,
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
        )
        .where(Phone.office_id.in_(office_ids), Phone.status == PhoneStatus.ACTIVE.value)
        .order_by(Phone.office_id, Phone.position, Phone.id)
    )
    phones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(stmt):
        office_id, id_, number, national, international, type_ = row[:6]
        kind, hours, is_24_7, languages, status, version = row[6:]
        shown = stored_display(number, national, international, type_)
        phones[office_id].append(
            {
                "id": id_,
                "number": number,
                "national": shown.national,
                "international": shown.international,
                "kind": kind,
                "number_type": shown.type,
                "hours": hours,
                "is_24_7": is_24_7,
                "languages": list(languages or []),
                "status": status,
                "version": version,
            }
        )
    return phones


def _item(
    row: Any, phones: list[dict[str, Any]], *, now: datetime, settings: Settings, lang: str
) -> dict[str, Any]:
    services = _split(row.services)
    created_at = as_utc(row.created_at) or now
    return {
        "id": row.id,
        "organization": {
            "id": row.organization_id,
            "name": row.org_name,
            "local_name": row.org_local_name,
            "category": row.category,
            "website": row.org_website,
            "services": services,
            "confidential": row.confidential,
            "is_demo": row.is_demo,
        },
        "name": row.name,
        "category": row.category,
        "country": row.country,
        "country_name": country_name(row.country, lang),
        "region": row.region,
        "region_name": region_name(row.region, lang),
        "nationwide": row.region is None,
        "city": row.city,
        "address": row.address,
        "postal_code": row.postal_code,
        "latitude": row.latitude,
        "longitude": row.longitude,
        "opening_hours": row.opening_hours,
        "email": row.email,
        "website": row.website or row.org_website,
        "languages": _split(row.languages),
        "services": services,
        "meets_on_arrival": row.meets_on_arrival,
        "status": row.status,
        "phones": phones,
        "last_verified_at": as_utc(row.last_verified_at),
        "verified_by": row.verified_by,
        "verification_method": row.verification_method,
        "freshness": freshness_of(
            last_verified_at=row.last_verified_at,
            stale_flagged_at=row.stale_flagged_at,
            category=row.category,
            now=now,
            settings=settings,
        ).value,
        "version": row.version,
        "created_at": created_at,
        "updated_at": as_utc(row.updated_at) or created_at,
    }


@cache
def _page_statement() -> Select[Any]:
    """The page SELECT without filters, built once: coercing ~35 columns per request is
    measurable on the hot path. Same joins and order as `search.contacts_query`."""
    languages = (
        select(func.aggregate_strings(OfficeLanguage.language, ","))
        .where(OfficeLanguage.office_id == Office.id)
        .scalar_subquery()
    )
    services = (
        select(func.aggregate_strings(OrganizationService.tag, ","))
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
        languages.label("languages"),
        services.label("services"),
        func.count().over().label("total"),
    )


def contact_page(
    session: Session,
    *,
    filters: ContactFilters,
    viewer: Principal,
    now: datetime,
    settings: Settings,
    page: int = 1,
    per_page: int = 50,
    lang: str = "en",
) -> dict[str, Any]:
    """One page of matching contacts in the stable order, with totals, shaped as ContactPage."""
    conds = filter_conditions(filters, viewer=viewer, now=now, settings=settings)
    stmt = _page_statement().where(*conds).limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(stmt).all()
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the last page: the window count has no row to ride on
        total = session.execute(
            select(func.count(Office.id)).join(Office.organization).where(*conds)
        ).scalar_one()
    phones = _phones(session, [r.id for r in rows]) if rows else {}
    return {
        "items": [
            _item(r, phones.get(r.id, []), now=now, settings=settings, lang=lang) for r in rows
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": (total + per_page - 1) // per_page,
    }


def contact_page_json(page: dict[str, Any]) -> bytes:
    """The page as JSON, formatted exactly as pydantic formats `ContactPage`."""
    return to_json(page)
