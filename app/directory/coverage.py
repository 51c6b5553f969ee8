"""The coverage map: for one country, region x category cells coloured by what a sheet prints.

Only open offices count (active offices of active organisations, app/directory/printable.py).
A cell's state says what a sheet for that region would print in that category now:

- `verified` / `due` / `overdue`: the best freshness among the region's own printable offices;
- `nationwide`: none of the region's own offices is printable, but a nationwide office of the
  category is, so the region is covered (by the country's nationwide offices, not a gap);
- `gap`: no printable office, regional or nationwide: a returnee's sheet would have nothing.

`cached_coverage_matrix` keeps recent matrices keyed by the newest revision id (every change
to an office, its organisation or its verification writes one) and the hour: an edit shows at
once, a matrix is never older than the last change, and time alone moves a cell's colour at
most an hour late.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.directory.enums import CORE_CATEGORIES
from app.directory.freshness import (
    COVERED_STATES,
    Freshness,
    freshness_of_office_clause,
)
from app.directory.geography import country_name, region_name, regions_by_code
from app.directory.models import Office, Organization
from app.directory.printable import office_is_open_clause, printable_offices_clause
from app.directory.reading import Reading
from app.directory.revisions import latest_revision_id
from app.directory.validation import checked_country
from app.directory.visibility import visible_to

# Best first: a cell takes the best state among its offices.
_RANK = (
    Freshness.VERIFIED,
    Freshness.DUE,
    Freshness.OVERDUE,
    Freshness.STALE,
    Freshness.UNVERIFIED,
)


class CoverageState(StrEnum):
    """What a sheet for the region prints in the category now (the module's docstring)."""

    VERIFIED = "verified"
    DUE = "due"
    OVERDUE = "overdue"
    NATIONWIDE = "nationwide"
    GAP = "gap"


def _best(counts: dict[str, int]) -> Freshness | None:
    for state in _RANK:
        if counts.get(state.value):
            return state
    return None


@dataclass
class CoverageCell:
    """One region x category cell. Its figures are computed once: a country with hundreds of
    regions renders thousands of cells."""

    category: str
    counts: dict[str, int] = field(default_factory=dict)  # open offices per freshness
    # Offices a sheet would print now, per freshness (never a confidential one).
    printable_counts: dict[str, int] = field(default_factory=dict)
    # Printable nationwide offices of the category; None in the nationwide row itself.
    nationwide_printable: int | None = None
    total: int = field(init=False)
    covered: int = field(init=False)  # offices in freshness.COVERED_STATES
    printable: int = field(init=False)
    state: CoverageState = field(init=False)
    is_gap: bool = field(init=False)
    colour: str = field(init=False)  # the state's value: how a page colours it

    def __post_init__(self) -> None:
        self.total = sum(self.counts.values())
        self.covered = sum(self.counts.get(s.value, 0) for s in COVERED_STATES)
        self.printable = sum(self.printable_counts.values())
        best = _best(self.printable_counts)
        if best is not None:  # printable offices have a printable freshness
            self.state = CoverageState(best.value)
        elif self.nationwide_printable:
            self.state = CoverageState.NATIONWIDE
        else:
            self.state = CoverageState.GAP
        self.is_gap = self.state is CoverageState.GAP
        self.colour = self.state.value


@dataclass
class CoverageRow:
    code: str | None  # None: the nationwide offices
    name: str
    cells: list[CoverageCell]
    gaps: int = field(init=False)
    nationwide_only: int = field(init=False)  # cells covered by nationwide offices alone

    def __post_init__(self) -> None:
        self.gaps = sum(1 for c in self.cells if c.is_gap)
        self.nationwide_only = sum(1 for c in self.cells if c.state is CoverageState.NATIONWIDE)


@dataclass
class CoverageMatrix:
    country: str
    country_name: str
    categories: list[str]
    nationwide: CoverageRow
    regions: list[CoverageRow]

    @property
    def gap_count(self) -> int:
        """Region x category cells with no printable office, regional or nationwide."""
        return sum(r.gaps for r in self.regions)

    @property
    def nationwide_only_count(self) -> int:
        """Region x category cells covered only by the country's nationwide offices."""
        return sum(r.nationwide_only for r in self.regions)


def coverage_matrix(
    session: Session,
    *,
    country: str,
    reading: Reading,
) -> CoverageMatrix:
    """Counts per (region, category, freshness) for one country, with every ISO region."""
    viewer, now, settings, lang = reading.viewer, reading.now, reading.settings, reading.lang
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
    printable: dict[tuple[str | None, str], dict[str, int]] = {}
    for region, category, freshness, n, n_printable in session.execute(stmt):
        counts.setdefault((region, category), {})[freshness] = int(n)
        if n_printable:
            printable.setdefault((region, category), {})[freshness] = int(n_printable)
    # The four categories every region needs (Recs. 43-45); helplines and international
    # organisations are found through search.
    categories = [c.value for c in CORE_CATEGORIES]

    nationwide_printable = {c: sum(printable.get((None, c), {}).values()) for c in categories}

    def row(code: str | None, name: str) -> CoverageRow:
        return CoverageRow(
            code=code,
            name=name,
            cells=[
                CoverageCell(
                    category=c,
                    counts=dict(counts.get((code, c), {})),
                    printable_counts=dict(printable.get((code, c), {})),
                    nationwide_printable=None if code is None else nationwide_printable[c],
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
    reading: Reading,
) -> CoverageMatrix:
    """`coverage_matrix` as of the start of the hour, reused until the directory changes."""
    country = checked_country(country)
    viewer, settings = reading.viewer, reading.settings
    marker = latest_revision_id(session)
    hour = reading.now.replace(minute=0, second=0, microsecond=0)
    key = (
        country,
        viewer.sees_confidential,
        reading.lang,
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
    matrix = coverage_matrix(session, country=country, reading=replace(reading, now=hour))
    with _cache_lock:
        _cache[key] = matrix
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return matrix
