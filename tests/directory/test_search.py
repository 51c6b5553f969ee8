"""Search at the service level: the ORM path (web pages) and the row path (API) agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.auth.principal import Principal
from app.config import Settings
from app.directory import listing, search
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from tests.factories import make_office, make_org

OFFICER = Principal(name="desk", role="officer", key_id=1)
NGO = Principal(name="partner", role="ngo", key_id=2, organization_id=999)


def _both(
    session: Session, settings: Settings, viewer: Principal = OFFICER, **kwargs: object
) -> list[int]:
    filters = search.ContactFilters(**kwargs)  # type: ignore[arg-type]
    now = utcnow()
    offices, total = search.search_contacts(
        session, filters=filters, viewer=viewer, now=now, settings=settings
    )
    page = listing.contact_page(session, filters=filters, viewer=viewer, now=now, settings=settings)
    ids = [o.id for o in offices]
    assert [i["id"] for i in page["items"]] == ids
    assert page["total"] == total == len(ids)
    return [i for i in ids if i is not None]


def test_country_without_region_and_without_nationwide(
    db_session: Session, settings: Settings
) -> None:
    regional = make_office(db_session, region="NG-KN")
    national = make_office(db_session, region=None)
    assert _both(db_session, settings, country="NG") == [regional.id, national.id]
    assert _both(db_session, settings, country="NG", include_national=False) == [regional.id]


def test_region_alone_implies_its_country(db_session: Session, settings: Settings) -> None:
    lagos = make_office(db_session)
    make_office(db_session, region="NG-KN")
    assert _both(db_session, settings, region="ng-la", include_national=False) == [lagos.id]


def test_confidential_filtered_for_ngo_viewers(db_session: Session, settings: Settings) -> None:
    hidden = make_office(db_session, org=make_org(db_session, confidential=True))
    shown = make_office(db_session)
    assert _both(db_session, settings, country="NG", viewer=NGO) == [shown.id]
    assert sorted(_both(db_session, settings, country="NG")) == sorted([hidden.id, shown.id])


def test_verified_within_days_counts_from_now(db_session: Session, settings: Settings) -> None:
    recent = make_office(db_session, verified_at=utcnow() - timedelta(days=3))
    make_office(db_session, verified_at=utcnow() - timedelta(days=30))
    make_office(db_session, verified_at=None)
    assert _both(db_session, settings, verified_within_days=7) == [recent.id]


def test_search_text_follows_renames(db_session: Session, settings: Settings) -> None:
    office = make_office(db_session, name="Ọ̀yọ́ desk")
    assert _both(db_session, settings, q="OYO") == [office.id]
    assert _both(db_session, settings, q="lagos") == [office.id]  # the region's name is searchable


def test_unknown_region_for_the_country_is_invalid(db_session: Session, settings: Settings) -> None:
    with pytest.raises(InvalidValue) as raised:
        search.filter_conditions(
            search.ContactFilters(country="NG", region="BR-SP"),
            viewer=OFFICER,
            now=utcnow(),
            settings=settings,
        )
    assert raised.value.field == "region"
