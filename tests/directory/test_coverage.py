"""The coverage map: region x category cells coloured by freshness, gaps, and its cache."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import coverage
from app.directory.provenance import Provenance
from app.directory.reading import Reading
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


def test_cells_take_the_best_printable_freshness_and_gaps_have_nothing_printable(
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
        db_session, country="NG", reading=Reading(viewer=OFFICER, now=now, settings=settings)
    )
    assert matrix.categories == ["law_enforcement", "ngo", "lawyer", "social_welfare"]
    assert len(matrix.regions) == 37

    police_cell = _cell(matrix, "NG-LA", "law_enforcement")
    assert police_cell.counts == {"verified": 1, "stale": 1}
    assert police_cell.colour == "verified" and not police_cell.is_gap
    lawyer_cell = _cell(matrix, "NG-LA", "lawyer")
    # Overdue is still printed: a check is late, but the sheet is not empty.
    assert lawyer_cell.colour == "overdue" and not lawyer_cell.is_gap
    assert lawyer_cell.printable == 1 and lawyer_cell.covered == 0
    welfare_cell = _cell(matrix, "NG-LA", "social_welfare")
    assert welfare_cell.total == 0 and welfare_cell.colour == "gap"  # the closed office is gone
    national = _cell(matrix, None, "ngo")
    assert national.counts == {"unverified": 1} and national.is_gap
    assert _cell(matrix, "NG-KN", "ngo").total == 0
    lagos = next(r for r in matrix.regions if r.code == "NG-LA")
    assert lagos.gaps == 2  # ngo (no office) and social welfare (closed); never-verified
    assert matrix.nationwide_only_count == 0  # the nationwide NGO is not printable


def test_a_category_covered_only_nationwide_is_its_own_state_not_a_gap(
    db_session: Session, settings: Settings
) -> None:
    now = utcnow()
    for category in ("law_enforcement", "ngo", "lawyer", "social_welfare"):
        org = make_org(db_session, name=f"National {category} (demo)", category=category)
        make_office(db_session, org=org, region=None, city="Abuja")
    lagos_police = make_org(db_session, name="Lagos police (demo)", category="law_enforcement")
    make_office(db_session, org=lagos_police)  # Lagos has its own police too
    kano_ngo = make_org(db_session, name="Kano NGO (demo)", category="ngo")
    make_office(db_session, org=kano_ngo, region="NG-KN", verified_at=now - timedelta(days=400))

    matrix = coverage.coverage_matrix(
        db_session, country="NG", reading=Reading(viewer=OFFICER, now=now, settings=settings)
    )
    assert _cell(matrix, "NG-LA", "law_enforcement").state is coverage.CoverageState.VERIFIED
    for region, category in (("NG-LA", "ngo"), ("NG-KN", "lawyer"), ("NG-KN", "ngo")):
        cell = _cell(matrix, region, category)
        assert cell.state is coverage.CoverageState.NATIONWIDE, (region, category)
        assert cell.colour == "nationwide" and not cell.is_gap
    assert _cell(matrix, "NG-KN", "ngo").total == 1  # its own office is stale: not printed
    # Every region is covered in all four categories: no gap, 37 x 4 - 1 nationwide-only.
    assert matrix.gap_count == 0
    assert matrix.nationwide_only_count == 37 * 4 - 1
    lagos = next(r for r in matrix.regions if r.code == "NG-LA")
    assert (lagos.gaps, lagos.nationwide_only) == (0, 3)
    assert _cell(matrix, None, "ngo").state is coverage.CoverageState.VERIFIED


def test_nationwide_offices_that_would_not_print_leave_the_gap(
    db_session: Session, settings: Settings
) -> None:
    now = utcnow()
    stale = make_org(db_session, name="Stale national NGO (demo)", category="ngo")
    make_office(db_session, org=stale, region=None, verified_at=now - timedelta(days=400))
    secret = make_org(db_session, name="Safe house (demo)", category="lawyer", confidential=True)
    make_office(db_session, org=secret, region=None)
    matrix = coverage.coverage_matrix(
        db_session, country="NG", reading=Reading(viewer=OFFICER, now=now, settings=settings)
    )
    # Neither prints on a sheet, so neither covers Kano, though the officer sees both.
    assert _cell(matrix, "NG-KN", "ngo").is_gap
    assert _cell(matrix, "NG-KN", "lawyer").is_gap
    assert _cell(matrix, None, "lawyer").total == 1
    assert matrix.nationwide_only_count == 0 and matrix.gap_count == 37 * 4


def test_confidential_offices_count_for_staff_only(db_session: Session, settings: Settings) -> None:
    shelter = make_org(db_session, name="Safe house (demo)", category="ngo", confidential=True)
    make_office(db_session, org=shelter)
    now = utcnow()
    staff = coverage.coverage_matrix(
        db_session, country="NG", reading=Reading(viewer=OFFICER, now=now, settings=settings)
    )
    partner = coverage.coverage_matrix(
        db_session, country="NG", reading=Reading(viewer=PARTNER, now=now, settings=settings)
    )
    assert _cell(staff, "NG-LA", "ngo").covered == 1
    assert _cell(partner, "NG-LA", "ngo").total == 0


def test_cached_matrix_is_reused_until_the_directory_changes(
    db_session: Session, settings: Settings
) -> None:
    coverage.clear_coverage_cache()
    office = make_office(db_session)
    reading = Reading(viewer=OFFICER, now=utcnow(), settings=settings)
    first = coverage.cached_coverage_matrix(db_session, country="NG", reading=reading)
    again = coverage.cached_coverage_matrix(db_session, country="NG", reading=reading)
    assert again is first
    assert office.id is not None
    close_office(db_session, office_id=office.id, provenance=Provenance(actor="t", source="t"))
    after = coverage.cached_coverage_matrix(db_session, country="NG", reading=reading)
    assert after is not first
    assert _cell(after, "NG-LA", "ngo").total == 0
    coverage.clear_coverage_cache()
