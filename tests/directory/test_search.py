"""Search at the service level (`listing.contact_page`, which the pages and the API share)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import listing, search
from app.directory.reading import Reading
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.paging import Page
from app.kit.principal import Principal
from tests.factories import make_office, make_org

OFFICER = Principal(name="desk", role="officer", key_id=1)
NGO = Principal(name="partner", role="ngo", key_id=2, organization_id=999)


def _found(
    session: Session, settings: Settings, viewer: Principal = OFFICER, **kwargs: object
) -> list[int]:
    """The ids a search finds, in its order (the page holds all of them)."""
    filters = search.ContactFilters(**kwargs)  # type: ignore[arg-type]
    now = utcnow()
    page = listing.contact_page(
        session, filters=filters, reading=Reading(viewer=viewer, now=now, settings=settings)
    )
    ids = [i["id"] for i in page["items"]]
    assert page["total"] == len(ids)
    return ids


def test_country_without_region_and_without_nationwide(
    db_session: Session, settings: Settings
) -> None:
    regional = make_office(db_session, region="NG-KN")
    national = make_office(db_session, region=None)
    assert _found(db_session, settings, country="NG") == [regional.id, national.id]
    assert _found(db_session, settings, country="NG", include_national=False) == [regional.id]


def test_region_alone_implies_its_country(db_session: Session, settings: Settings) -> None:
    lagos = make_office(db_session)
    make_office(db_session, region="NG-KN")
    assert _found(db_session, settings, region="ng-la", include_national=False) == [lagos.id]


def test_confidential_filtered_for_ngo_viewers(db_session: Session, settings: Settings) -> None:
    hidden = make_office(db_session, org=make_org(db_session, confidential=True))
    shown = make_office(db_session)
    assert _found(db_session, settings, country="NG", viewer=NGO) == [shown.id]
    assert sorted(_found(db_session, settings, country="NG")) == sorted([hidden.id, shown.id])


def test_verified_within_days_counts_from_now(db_session: Session, settings: Settings) -> None:
    recent = make_office(db_session, verified_at=utcnow() - timedelta(days=3))
    make_office(db_session, verified_at=utcnow() - timedelta(days=30))
    make_office(db_session, verified_at=None)
    assert _found(db_session, settings, verified_within_days=7) == [recent.id]


def test_search_text_follows_renames(db_session: Session, settings: Settings) -> None:
    office = make_office(db_session, name="Ọ̀yọ́ desk")
    assert _found(db_session, settings, q="OYO") == [office.id]
    assert _found(db_session, settings, q="lagos") == [office.id]  # the region's name is searchable


def test_unknown_region_for_the_country_is_invalid(db_session: Session, settings: Settings) -> None:
    with pytest.raises(InvalidValue) as raised:
        search.filter_conditions(
            search.ContactFilters(country="NG", region="BR-SP"),
            viewer=OFFICER,
            now=utcnow(),
            settings=settings,
        )
    assert raised.value.field == "region"


def test_one_statement_per_filter_shape_executes_with_each_requests_values(
    db_session: Session, settings: Settings
) -> None:
    lagos = make_office(db_session, region="NG-LA", languages=["yo"])
    kano = make_office(db_session, region="NG-KN", languages=["ha"])
    tirana = make_office(
        db_session,
        country="AL",
    )
    # The same shape (country + region, one language) three times with other values: each
    # answer must be its own, not the first one's.
    for office, country, region, language in (
        (lagos, "NG", "NG-LA", "yo"),
        (kano, "NG", "NG-KN", "ha"),
        (tirana, "AL", "AL-11", "sq"),
    ):
        found = _found(
            db_session,
            settings,
            country=country,
            region=region,
            include_national=False,
            languages=[language],
        )
        assert found == [office.id]
    first = search.prepare_filters(
        search.ContactFilters(country="NG", region="NG-LA"),
        viewer=OFFICER,
        now=utcnow(),
        settings=settings,
    )
    second = search.prepare_filters(
        search.ContactFilters(country="AL", region="AL-11"),
        viewer=OFFICER,
        now=utcnow(),
        settings=settings,
    )
    assert first.shape == second.shape and first.values != second.values
    assert listing._page_query(first)[0] is listing._page_query(second)[0]
    # Freshness clauses depend on the moment: never a shared statement.
    fresh = search.prepare_filters(
        search.ContactFilters(country="NG", freshness=["verified"]),
        viewer=OFFICER,
        now=utcnow(),
        settings=settings,
    )
    assert fresh.shape is None


@pytest.mark.parametrize("per_page", [3, 10, 11, 201])
def test_each_page_carries_its_own_offices_phones(
    db_session: Session, settings: Settings, per_page: int
) -> None:
    # Phones ride on the page's statement, one JSON array per office: small pages, a page
    # boundary inside the directory, and a page larger than the directory.
    offices = [
        make_office(db_session, phones=[{"number": f"+234802000{n:04d}", "kind": "voice"}])
        for n in range(12)
    ]
    numbers = {o.id: o.phones[0].number for o in offices}
    seen: dict[int, list[str]] = {}
    page = 1
    while True:
        listed = listing.contact_page(
            db_session,
            filters=search.ContactFilters(country="NG"),
            reading=Reading(viewer=OFFICER, now=utcnow(), settings=settings),
            page=Page(page, per_page),
        )
        for item in listed["items"]:
            seen[item["id"]] = [p["number"] for p in item["phones"]]
        if page >= listed["pages"]:
            break
        page += 1
    assert seen == {office_id: [number] for office_id, number in numbers.items()}


def test_contacts_per_country_count_what_a_search_of_the_country_finds(
    db_session: Session, settings: Settings
) -> None:
    make_office(db_session)
    make_office(db_session, region=None)
    make_office(db_session, org=make_org(db_session, confidential=True))
    make_office(db_session, country="AL")
    closed = make_office(db_session, status="closed")
    assert closed.id is not None
    now = utcnow()
    for viewer, nigeria in ((OFFICER, 3), (NGO, 2)):
        counts = search.contact_counts_by_country(
            db_session, reading=Reading(viewer=viewer, now=now, settings=settings)
        )
        assert counts == {"NG": nigeria, "AL": 1}
        every = search.ContactFilters(country="NG")
        found = _found(db_session, settings, viewer=viewer, **every.__dict__)
        assert len(found) == nigeria


def test_cached_counts_are_reused_until_the_directory_changes(
    db_session: Session, settings: Settings
) -> None:
    search.clear_contact_counts_cache()
    make_office(db_session)
    reading = Reading(viewer=OFFICER, now=utcnow(), settings=settings)
    first = search.cached_contact_counts_by_country(db_session, reading=reading)
    assert first == {"NG": 1}
    again = search.cached_contact_counts_by_country(db_session, reading=reading)
    assert again is first
    make_office(db_session, region="NG-KN")
    after = search.cached_contact_counts_by_country(db_session, reading=reading)
    assert after == {"NG": 2}
    search.clear_contact_counts_cache()
