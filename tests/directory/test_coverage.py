"""The coverage map: region x category cells coloured by freshness, gaps, and its cache."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import coverage
from app.directory.provenance import Provenance
from app.directory.service import close_office
from app.kit.clock import utcnow
from app.kit.principal import Principal
from tests.factories import make_office, make_org

OFFICER = Principal(name="officer", role="officer", key_id=1)
PARTNER = Principal(name="partner", role="ngo", key_id=2, organization_id=99)


def _cell(
    matrix: coverage.CoverageMatrix, region: str | None, category: str
) -> coverage.CoverageCell:
    row = (
        matrix.nationwide if region is None else next(r for r in matrix.regions if r.code == region)
    )
    return next(c for c in row.cells if c.category == category)


def test_cells_take_the_best_freshness_and_gaps_need_a_verified_office(
    db_session: Session, settings: Settings
) -> None:
    now = utcnow()
    police = make_org(db_session, name="Police (demo)", category="law_enforcement")
    make_office(db_session, org=police)  # verified now, Lagos
    make_office(db_session, org=police, verified_at=now - timedelta(days=400))  # stale, Lagos
    lawyers = make_org(db_session, name="Lawyers (demo)", category="lawyer")
    make_office(db_session, org=lawyers, verified_at=now - timedelta(days=200))  # overdue
    welfare = make_org(db_session, name="Welfare (demo)", category="social_welfare")
    closed = make_office(db_session, org=welfare)
    assert closed.id is not None
    close_office(db_session, office_id=closed.id, provenance=Provenance(actor="t", source="t"))
    make_office(db_session, region=None, verified_at=None)  # nationwide NGO, never verified

    matrix = coverage.coverage_matrix(
        db_session, country="NG", viewer=OFFICER, now=now, settings=settings
    )
    assert matrix.categories == ["law_enforcement", "ngo", "lawyer", "social_welfare"]
    assert len(matrix.regions) == 37

    police_cell = _cell(matrix, "NG-LA", "law_enforcement")
    assert police_cell.counts == {"verified": 1, "stale": 1}
    assert police_cell.colour == "verified" and not police_cell.is_gap
    lawyer_cell = _cell(matrix, "NG-LA", "lawyer")
    assert lawyer_cell.colour == "overdue" and lawyer_cell.is_gap  # printable, but not verified
    welfare_cell = _cell(matrix, "NG-LA", "social_welfare")
    assert welfare_cell.total == 0 and welfare_cell.colour == "gap"  # the closed office is gone
    national = _cell(matrix, None, "ngo")
    assert national.counts == {"unverified": 1} and national.is_gap
    assert _cell(matrix, "NG-KN", "ngo").total == 0
    lagos = next(r for r in matrix.regions if r.code == "NG-LA")
    assert lagos.gaps == 3


def test_confidential_offices_count_for_staff_only(db_session: Session, settings: Settings) -> None:
    shelter = make_org(db_session, name="Safe house (demo)", category="ngo", confidential=True)
    make_office(db_session, org=shelter)
    now = utcnow()
    staff = coverage.coverage_matrix(
        db_session, country="NG", viewer=OFFICER, now=now, settings=settings
    )
    partner = coverage.coverage_matrix(
        db_session, country="NG", viewer=PARTNER, now=now, settings=settings
    )
    assert _cell(staff, "NG-LA", "ngo").covered == 1
    assert _cell(partner, "NG-LA", "ngo").total == 0


def test_cached_matrix_is_reused_until_the_directory_changes(
    db_session: Session, settings: Settings
) -> None:
    coverage.clear_coverage_cache()
    office = make_office(db_session)
    now = utcnow()
    first = coverage.cached_coverage_matrix(
        db_session, country="NG", viewer=OFFICER, now=now, settings=settings
    )
    again = coverage.cached_coverage_matrix(
        db_session, country="NG", viewer=OFFICER, now=now, settings=settings
    )
    assert again is first
    assert office.id is not None
    close_office(db_session, office_id=office.id, provenance=Provenance(actor="t", source="t"))
    after = coverage.cached_coverage_matrix(
        db_session, country="NG", viewer=OFFICER, now=now, settings=settings
    )
    assert after is not first
    assert _cell(after, "NG-LA", "ngo").total == 0
    coverage.clear_coverage_cache()
