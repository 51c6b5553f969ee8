"""The coverage map: for one country, region × category cells coloured by freshness.

A cell takes the best freshness among its offices (only active offices of active organisations
count: those that may be printed, app/directory/printable.py) and says how many of them a sheet
would print now. A cell without a verified (or merely due) office is a gap: that region has no
office in that category one can vouch for today (Recommendation 43's "regional centres").

`cached_coverage_matrix` keeps recent matrices keyed by the newest revision id (every change
to an office, its organisation or its verification writes one) and the hour: an edit shows at
once, a matrix is never older than the last change, and time alone moves a cell's colour at
most an hour late.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.enums import CORE_CATEGORIES
from app.directory.freshness import (
    COVERED_STATES,
    PRINTABLE_STATES,
    Freshness,
    freshness_of_office_clause,
)
from app.directory.geography import country_name, region_name, regions_by_code
from app.directory.models import Office, Organization, Revision
from app.directory.printable import office_is_open_clause, printable_offices_clause
from app.directory.validation import checked_country
from app.directory.visibility import visible_to
from app.kit.principal import Principal

# Best first: the colour of a cell is the best state among its offices.
_RANK = (
    Freshness.VERIFIED,
    Freshness.DUE,
    Freshness.OVERDUE,
    Freshness.STALE,
    Freshness.UNVERIFIED,
)


@dataclass
class CoverageCell:
    """One region x category cell. Its figures are computed once: a country with hundreds of
    regions renders thousands of cells."""

    category: str
    counts: dict[str, int] = field(default_factory=dict)
    printable: int = 0  # offices a sheet would print now (never a confidential one)
    total: int = field(init=False)
    covered: int = field(init=False)
    is_gap: bool = field(init=False)
    colour: str = field(init=False)  # verified, due, overdue or gap: how a page colours it

    def __post_init__(self) -> None:
        self.total = sum(self.counts.values())
        self.covered = sum(self.counts.get(s.value, 0) for s in COVERED_STATES)
        self.is_gap = self.covered == 0
        best = self.best
        self.colour = best.value if best in PRINTABLE_STATES and best else "gap"

    @property
    def best(self) -> Freshness | None:
        for state in _RANK:
            if self.counts.get(state.value):
                return state
        return None


@dataclass
class CoverageRow:
    code: str | None  # None: the nationwide offices
    name: str
    cells: list[CoverageCell]
    gaps: int = field(init=False)

    def __post_init__(self) -> None:
        self.gaps = sum(1 for c in self.cells if c.is_gap)


@dataclass
class CoverageMatrix:
    country: str
    country_name: str
    categories: list[str]
    nationwide: CoverageRow
    regions: list[CoverageRow]

    @property
    def gap_count(self) -> int:
        return sum(r.gaps for r in self.regions)


def coverage_matrix(
    session: Session,
    *,
    country: str,
    viewer: Principal,
    now: datetime,
    settings: Settings,
    lang: str = "en",
) -> CoverageMatrix:
    """Counts per (region, category, freshness) for one country, with every ISO region."""
    country = checked_country(country)
    state = case(
        *(
            (freshness_of_office_clause(s, now=now, settings=settings), s.value)
            for s in (Freshness.STALE, Freshness.UNVERIFIED, Freshness.OVERDUE, Freshness.DUE)
        ),
        else_=Freshness.VERIFIED.value,
    )
    conds = [
        Organization.category.in_([c.value for c in CORE_CATEGORIES]),
        Office.country == country,
        office_is_open_clause(),
    ]
    conds.extend(visible_to(viewer))
    stmt = (
        select(
            Office.region,
            Organization.category,
            state,
            func.count(Office.id),
            func.sum(case((printable_offices_clause(now=now, settings=settings), 1), else_=0)),
        )
        .join(Office.organization)
        .where(*conds)
        .group_by(Office.region, Organization.category, state)
    )
    counts: dict[tuple[str | None, str], dict[str, int]] = {}
    printable: dict[tuple[str | None, str], int] = {}
    for region, category, freshness, n, n_printable in session.execute(stmt):
        counts.setdefault((region, category), {})[freshness] = int(n)
        printable[(region, category)] = printable.get((region, category), 0) + int(n_printable or 0)
    # The four categories every region needs (Recs. 43-45); helplines and international
    # organisations are found through search.
    categories = [c.value for c in CORE_CATEGORIES]

    def row(code: str | None, name: str) -> CoverageRow:
        return CoverageRow(
            code=code,
            name=name,
            cells=[
                CoverageCell(
                    category=c,
                    counts=dict(counts.get((code, c), {})),
                    printable=printable.get((code, c), 0),
                )
                for c in categories
            ],
        )

    return CoverageMatrix(
        country=country,
        country_name=country_name(country, lang),
        categories=categories,
        nationwide=row(None, "Nationwide"),
        regions=[
            row(code, region_name(code, lang) or region.name)
            for code, region in regions_by_code(country).items()
        ],
    )


_CACHE_SIZE = 64
_cache: OrderedDict[tuple[object, ...], CoverageMatrix] = OrderedDict()
_cache_lock = threading.Lock()


def clear_coverage_cache() -> None:
    """Forget every cached matrix (tests whose transactions are rolled back reuse ids)."""
    with _cache_lock:
        _cache.clear()


def cached_coverage_matrix(
    session: Session,
    *,
    country: str,
    viewer: Principal,
    now: datetime,
    settings: Settings,
    lang: str = "en",
) -> CoverageMatrix:
    """`coverage_matrix` as of the start of the hour, reused until the directory changes."""
    country = checked_country(country)
    marker = session.execute(select(func.max(Revision.id))).scalar_one() or 0
    hour = now.replace(minute=0, second=0, microsecond=0)
    key = (
        country,
        viewer.sees_confidential,
        lang,
        marker,
        hour,
        settings.verification_interval_days,
        tuple(sorted(settings.verification_interval_by_category.items())),
        settings.due_window_days,
        settings.stale_grace_days,
    )
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    matrix = coverage_matrix(
        session, country=country, viewer=viewer, now=hour, settings=settings, lang=lang
    )
    with _cache_lock:
        _cache[key] = matrix
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return matrix
