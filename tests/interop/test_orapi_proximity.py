"""`proximity` on service_at_locations: metres from a postcode's centroid, great-circle."""

from __future__ import annotations

import math

import pytest
from sqlalchemy.orm import Session

from app.interop import orapi
from app.interop.hsds_vocabulary import hsds_id
from app.interop.orapi_paging import Listing
from app.interop.orapi_proximity import bounding_box, nearest_within, parse_proximity
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.sheets.nearest import haversine_km
from tests.factories import make_office, make_org

OFFICER = Principal(name="officer", role="officer")  # the offices here are not confidential


@pytest.mark.parametrize(("text", "metres"), [("5000", 5000.0), (" 2500.5 ", 2500.5)])
def test_proximity_is_metres(text: str, metres: float) -> None:
    assert parse_proximity(text) == metres


@pytest.mark.parametrize("text", ["", "5 km", "0", "-1", "nan", "inf", "1" * 40])
def test_proximity_that_is_not_a_distance_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_proximity(text)
    assert caught.value.field == "proximity"


def test_nearest_within_ranks_by_great_circle_distance() -> None:
    origin = (6.6018, 3.3515)
    candidates = [(1, 9.0765, 7.3986), (2, 6.4281, 3.4219), (3, 6.6018, 3.3515)]
    assert nearest_within(origin, 30_000, candidates) == [3, 2]
    assert nearest_within(origin, 1_000_000, candidates) == [3, 2, 1]
    exact = haversine_km(*origin, 6.4281, 3.4219) * 1000
    assert nearest_within(origin, math.floor(exact), candidates) == [3]


def test_the_box_holds_the_whole_circle_across_the_antimeridian_and_poles() -> None:
    assert len(bounding_box((-17.0, 179.95), 20_000)) == 4  # coordinates, 2 latitudes, or_
    assert len(bounding_box((89.9, 0.0), 50_000)) == 3  # a pole inside: every longitude
    assert len(bounding_box((0.0, 0.0), 30_000_000)) == 1  # the whole Earth


def _sal_ids(session: Session, postcode: str, proximity: str) -> list[str]:
    page = orapi.list_service_at_locations(
        session,
        viewer=OFFICER,
        filters=orapi.Filters(postcode=postcode, proximity=proximity),
        listing=Listing(),
    )
    assert isinstance(page, dict)
    return [x["id"] for x in page["contents"]]


def test_proximity_reaches_across_the_antimeridian(db_session: Session) -> None:
    org = make_org(db_session, name="Example Pacific Network (demo)")
    east = make_office(
        db_session,
        org=org,
        country="FJ",
        region=None,
        city="Example East",
        postal_code="FJ-E",
        latitude=-17.0,
        longitude=179.95,
        phones=[{"number": "+6793301234", "kind": "voice"}],
    )
    west = make_office(
        db_session,
        org=org,
        country="FJ",
        region=None,
        city="Example West",
        latitude=-17.0,
        longitude=-179.95,  # ~10.6 km east of `east`, across the 180th meridian
        phones=[{"number": "+6793301235", "kind": "voice"}],
    )
    ids = [hsds_id("service_at_location", o.id) for o in (east, west)]
    assert _sal_ids(db_session, "FJ-E", "20000") == ids
    assert _sal_ids(db_session, "FJ-E", "5000") == ids[:1]
