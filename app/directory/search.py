"""Officer search: offices of a region plus the nationwide ones, in a stable order."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cachetools import LRUCache
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.config import Settings
from app.directory.enums import CATEGORY_ORDER, CORE_CATEGORIES, OfficeStatus
from app.directory.freshness import COVERED_STATES, Freshness, freshness_of_office_clause
from app.directory.geography import (
    all_country_codes,
    country_name,
    region_name,
    regions_by_code,
)
from app.directory.models import Office, OfficeLanguage, Organization, OrganizationService
from app.directory.reading import Reading
from app.directory.revisions import latest_revision_id
from app.directory.validation import checked_country, checked_region
from app.directory.visibility import confidential_filter, visible_to
from app.kit.principal import Principal
from app.kit.text import fold, like_anywhere

DEFAULT_STATUSES = (OfficeStatus.ACTIVE.value, OfficeStatus.TEMPORARILY_CLOSED.value)


@dataclass
class ContactFilters:
    country: str | None = None
    region: str | None = None
    include_national: bool = True
    # Only the country's nationwide offices (region unset): a coverage-map row.
    nationwide_only: bool = False
    categories: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    q: str | None = None
    statuses: list[str] = field(default_factory=list)
    freshness: list[str] = field(default_factory=list)
    verified_within_days: int | None = None
    meets_on_arrival: bool | None = None
    # One organisation's offices, or every other organisation's (a partner's start page).
    organization_id: int | None = None
    exclude_organization_id: int | None = None


def category_rank() -> ColumnElement[int]:
    return case(
        {c.value: i for i, c in enumerate(CATEGORY_ORDER)},
        value=Organization.category,
        else_=len(CATEGORY_ORDER),
    )


def search_text_like(pattern: str | BindParameter[Any]) -> ColumnElement[bool]:
    """Organisation or office search text LIKE `pattern` (see `like_anywhere`)."""
    return or_(
        Organization.search_text.like(pattern, escape="\\"),
        Office.search_text.like(pattern, escape="\\"),
    )


@dataclass(frozen=True)
class PreparedFilters:
    """Validated filters as named SQL parameters.

    `conditions()` are the WHERE clauses, written against named bind parameters, so every
    request with the same `shape` produces the same SQL and a statement built once for that
    shape can be executed again with new `values`. `shape` is None when a clause depends on
    the moment of the request (freshness states), which bind parameters cannot express here.
    """

    values: dict[str, Any]
    freshness: tuple[str, ...]
    include_national: bool
    nationwide_only: bool
    sees_confidential: bool
    now: datetime
    settings: Settings

    @property
    def shape(self) -> tuple[Any, ...] | None:
        if self.freshness:
            return None
        return (
            tuple(self.values),
            self.include_national,
            self.nationwide_only,
            self.sees_confidential,
        )

    def conditions(self, *, bound: bool = True) -> list[ColumnElement[bool]]:
        """The WHERE clauses; `bound=False` leaves the values to be passed at execution."""
        values = self.values

        def param(name: str, *, expanding: bool = False) -> BindParameter[Any]:
            if bound:
                return bindparam(name, values[name], expanding=expanding)
            return bindparam(name, expanding=expanding)

        conds: list[ColumnElement[bool]] = []
        if "country" in values:
            conds.append(Office.country == param("country"))
        if "region" in values:
            if self.include_national:
                conds.append(or_(Office.region == param("region"), Office.region.is_(None)))
            else:
                conds.append(Office.region == param("region"))
        elif "country" in values and self.nationwide_only:
            conds.append(Office.region.is_(None))
        elif "country" in values and not self.include_national:
            conds.append(Office.region.is_not(None))
        if "categories" in values:
            conds.append(Organization.category.in_(param("categories", expanding=True)))
        for name in sorted(n for n in values if n.startswith("service_")):
            conds.append(
                exists().where(
                    OrganizationService.organization_id == Organization.id,
                    OrganizationService.tag == param(name),
                )
            )
        if "languages" in values:
            conds.append(
                exists().where(
                    OfficeLanguage.office_id == Office.id,
                    OfficeLanguage.language.in_(param("languages", expanding=True)),
                )
            )
        if "q" in values:
            conds.append(search_text_like(param("q")))
        if "statuses" in values:
            conds.append(Office.status.in_(param("statuses", expanding=True)))
        else:  # one bound value each: a plain list, not an IN list rendered per execution
            conds.append(Office.status.in_([literal(s, String()) for s in DEFAULT_STATUSES]))
        if self.freshness:
            conds.append(
                or_(
                    *(
                        freshness_of_office_clause(
                            Freshness(s), now=self.now, settings=self.settings
                        )
                        for s in self.freshness
                    )
                )
            )
        if "verified_since" in values:
            conds.append(Office.last_verified_at >= param("verified_since"))
        if "meets_on_arrival" in values:
            conds.append(Office.meets_on_arrival == param("meets_on_arrival"))
        if "organization_id" in values:
            conds.append(Office.organization_id == param("organization_id"))
        if "exclude_organization_id" in values:
            conds.append(Office.organization_id != param("exclude_organization_id"))
        conds.extend(confidential_filter(include_confidential=self.sees_confidential))
        return conds


def prepare_filters(
    filters: ContactFilters, *, viewer: Principal, now: datetime, settings: Settings
) -> PreparedFilters:
    """Validate the filters (4xx naming the field) and name their values for SQL."""
    values: dict[str, Any] = {}
    country = filters.country
    if filters.region and not country:
        country = filters.region.split("-", 1)[0]
    if country:
        values["country"] = country = checked_country(country)
    if filters.region:
        assert country is not None
        values["region"] = checked_region(country, filters.region)
    if filters.categories:
        values["categories"] = list(filters.categories)
    for i, tag in enumerate(filters.services):
        values[f"service_{i}"] = tag
    if filters.languages:
        values["languages"] = list(filters.languages)
    if filters.q:
        values["q"] = like_anywhere(fold(filters.q))
    if filters.statuses:
        values["statuses"] = list(filters.statuses)
    if filters.verified_within_days is not None:
        values["verified_since"] = now - timedelta(days=filters.verified_within_days)
    if filters.meets_on_arrival is not None:
        values["meets_on_arrival"] = filters.meets_on_arrival
    if filters.organization_id is not None:
        values["organization_id"] = filters.organization_id
    if filters.exclude_organization_id is not None:
        values["exclude_organization_id"] = filters.exclude_organization_id
    return PreparedFilters(
        values=values,
        freshness=tuple(filters.freshness),
        include_national=filters.include_national,
        nationwide_only=filters.nationwide_only,
        sees_confidential=viewer.sees_confidential,
        now=now,
        settings=settings,
    )


def filter_conditions(
    filters: ContactFilters, *, viewer: Principal, now: datetime, settings: Settings
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a contact search, with their values bound."""
    return prepare_filters(filters, viewer=viewer, now=now, settings=settings).conditions()


def contacts_query(conds: list[ColumnElement[bool]]) -> Select[Office]:
    return (
        select(Office)
        .join(Office.organization)
        .where(*conds)
        .order_by(
            category_rank(),
            Office.region.is_(None),
            Organization.name,
            Office.name,
            Office.id,
        )
    )


def contact_counts_by_country(session: Session, *, reading: Reading) -> dict[str, int]:
    """How many contacts a search of each country finds (the countries without any are left
    out), in one grouped query over the search's own conditions."""
    conds = filter_conditions(
        ContactFilters(), viewer=reading.viewer, now=reading.now, settings=reading.settings
    )
    stmt = (
        select(Office.country, func.count(Office.id))
        .join(Office.organization)
        .where(*conds)
        .group_by(Office.country)
    )
    return {country: int(n) for country, n in session.execute(stmt)}


# Counts by (who may see confidential offices, newest revision id): the grouped count reads
# every office (~80 ms at 100,000), and only a change to the directory can move it.
_COUNTS: LRUCache[tuple[bool, int], dict[str, int]] = LRUCache(maxsize=8)
_COUNTS_LOCK = threading.Lock()


def cached_contact_counts_by_country(session: Session, *, reading: Reading) -> dict[str, int]:
    """`contact_counts_by_country`, reused until the directory changes."""
    key = (reading.viewer.sees_confidential, latest_revision_id(session))
    with _COUNTS_LOCK:
        hit = _COUNTS.get(key)
    if hit is not None:
        return hit
    counts = contact_counts_by_country(session, reading=reading)
    with _COUNTS_LOCK:
        _COUNTS[key] = counts
    return counts


def clear_contact_counts_cache() -> None:
    """Forget the cached counts (tests whose transactions are rolled back reuse ids)."""
    with _COUNTS_LOCK:
        _COUNTS.clear()


# ---- coverage counts ---------------------------------------------------------------------


def _count_rows(
    session: Session,
    *,
    group_col: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    conds: list[ColumnElement[bool]],
    reading: Reading,
) -> dict[str | None, tuple[dict[str, int], dict[str, int]]]:
    fresh = or_(
        *(
            freshness_of_office_clause(state, now=reading.now, settings=reading.settings)
            for state in sorted(COVERED_STATES)
        )
    )
    stmt = (
        select(
            group_col,
            Organization.category,
            func.count(Office.id),
            func.sum(case((fresh, 1), else_=0)),
        )
        .join(Office.organization)
        .where(*conds)
        .group_by(group_col, Organization.category)
    )
    result: dict[str | None, tuple[dict[str, int], dict[str, int]]] = defaultdict(lambda: ({}, {}))
    for key, category, count, verified in session.execute(stmt):
        counts, verified_counts = result[key]
        counts[category] = int(count)
        verified_counts[category] = int(verified or 0)
    return result


def _visible(reading: Reading) -> list[ColumnElement[bool]]:
    return [Office.status != OfficeStatus.CLOSED.value, *visible_to(reading.viewer)]


def _summary(counts: dict[str, int], verified: dict[str, int]) -> dict[str, object]:
    full = {c.value: counts.get(c.value, 0) for c in CORE_CATEGORIES} | counts
    full_verified = {c.value: verified.get(c.value, 0) for c in CORE_CATEGORIES} | verified
    return {"counts": full, "verified_counts": full_verified, "total": sum(counts.values())}


def country_summaries(
    session: Session, *, reading: Reading, with_contacts_only: bool = False
) -> list[dict[str, object]]:
    """Every ISO country with its contact counts per category."""
    rows = _count_rows(session, group_col=Office.country, conds=_visible(reading), reading=reading)
    out = []
    for code in all_country_codes():
        if with_contacts_only and code not in rows:
            continue
        counts, verified = rows.get(code, ({}, {}))
        out.append(
            {
                "code": code,
                "name": country_name(code, reading.lang),
                "region_count": len(regions_by_code(code)),
                **_summary(counts, verified),
            }
        )
    return out


def region_summaries(session: Session, *, country: str, reading: Reading) -> dict[str, object]:
    """The ISO 3166-2 subdivisions of a country with counts, and the gaps per core category."""
    country = checked_country(country)
    rows = _count_rows(
        session,
        group_col=Office.region,
        conds=[*_visible(reading), Office.country == country],
        reading=reading,
    )
    regions = []
    for code, region in regions_by_code(country).items():
        counts, verified = rows.get(code, ({}, {}))
        regions.append(
            {
                "code": code,
                "name": region_name(code, reading.lang) or region.name,
                "type": region.type,
                "parent_code": region.parent_code,
                "missing_categories": [
                    c.value for c in CORE_CATEGORIES if not verified.get(c.value)
                ],
                **_summary(counts, verified),
            }
        )
    national_counts, national_verified = rows.get(None, ({}, {}))
    return {
        "country": country,
        "country_name": country_name(country, reading.lang),
        "nationwide": _summary(national_counts, national_verified),
        "regions": regions,
    }
