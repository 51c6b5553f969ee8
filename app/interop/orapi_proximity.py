"""`postcode` and `proximity` on ORAPI's `/service_at_locations`.

Open Referral's openapi.json: `proximity` returns "services that exist within meters from
the centroid of the provided postcode". So `proximity` is a distance in metres and needs a
`postcode`. Homeward holds no postcode gazetteer: a postcode's centroid is the centroid of
the offices at that postcode that have coordinates (and that the viewer may see). Without
`proximity`, `postcode` keeps the offices whose address has that postcode (Homeward records
no service areas).

Distances are great-circle distances (`sheets.nearest.haversine_km`). A bounding box in SQL
keeps the candidates to those that can be in range; only their id and coordinates are read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, or_

from app.directory.models import Office
from app.kit.errors import InvalidValue
from app.sheets.nearest import EARTH_RADIUS_KM, haversine_km

EARTH_RADIUS_M = EARTH_RADIUS_KM * 1000
MAX_PROXIMITY_TEXT = 32


def parse_proximity(value: str) -> float:
    """Metres, as a positive decimal number ("5000", "2500.5")."""
    text = value.strip()
    try:
        if len(text) > MAX_PROXIMITY_TEXT:
            raise ValueError(text)
        metres = float(text)
    except ValueError as exc:
        raise InvalidValue(
            f"'{value[:MAX_PROXIMITY_TEXT]}' is not a distance in metres", field="proximity"
        ) from exc
    if not math.isfinite(metres) or metres <= 0:
        raise InvalidValue("must be a positive number of metres", field="proximity")
    return metres


def postcode_key(postcode: str) -> str:
    """A postcode as compared: upper case, without spaces ("sw1a 1aa" = "SW1A1AA")."""
    return "".join(postcode.split()).upper()


def postcode_condition(postcode: str) -> ColumnElement[bool]:
    """WHERE clause (over Office) for the offices whose address has this postcode."""
    return func.upper(func.replace(Office.postal_code, " ", "")) == postcode_key(postcode)


def has_coordinates() -> ColumnElement[bool]:
    return and_(Office.latitude.is_not(None), Office.longitude.is_not(None))


def bounding_box(origin: tuple[float, float], metres: float) -> list[ColumnElement[bool]]:
    """WHERE clauses (over Office) for a box holding every point within `metres` of `origin`:
    a prefilter only, the exact distance is checked afterwards."""
    lat, lon = origin
    angle = metres / EARTH_RADIUS_M  # radians of arc
    conds = [has_coordinates()]
    if angle >= math.pi:
        return conds
    dlat = math.degrees(angle)
    conds += [Office.latitude >= lat - dlat, Office.latitude <= lat + dlat]
    if abs(lat) + dlat >= 90:
        return conds  # the circle holds a pole: every longitude
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    west, east = lon - dlon, lon + dlon
    if west < -180:
        conds.append(or_(Office.longitude >= west + 360, Office.longitude <= east))
    elif east > 180:
        conds.append(or_(Office.longitude >= west, Office.longitude <= east - 360))
    else:
        conds += [Office.longitude >= west, Office.longitude <= east]
    return conds


def nearest_within(
    origin: tuple[float, float],
    metres: float,
    candidates: Iterable[tuple[int, float, float]],
) -> list[int]:
    """Ids of the (id, latitude, longitude) candidates within `metres` of `origin`,
    nearest first (ties by id)."""
    limit_km = metres / 1000
    ranked = []
    for office_id, lat, lon in candidates:
        distance = haversine_km(origin[0], origin[1], lat, lon)
        if distance <= limit_km:
            ranked.append((distance, office_id))
    ranked.sort()
    return [office_id for _, office_id in ranked]
