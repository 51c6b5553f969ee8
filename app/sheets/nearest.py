"""Where a region lacks a category: the nearest printable offices, by coordinates.

The reference point is the centroid of the region's offices that have coordinates; without
one, offices in the capital's region (or capital city) come first, then the rest by name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from app.directory.models import Office
from app.kit.text import fold

EARTH_RADIUS_KM = 6371.0088

# The subdivision holding the capital (ISO 3166-2) and the capital city, for the countries
# people most often return to. A country missing here falls back to the capital city name
# from this table, then to name order.
CAPITALS: dict[str, tuple[str | None, str]] = {
    "AF": ("AF-KAB", "Kabul"),
    "AL": ("AL-11", "Tirana"),
    "AM": ("AM-ER", "Yerevan"),
    "AO": ("AO-LUA", "Luanda"),
    "BD": ("BD-13", "Dhaka"),
    "BG": ("BG-22", "Sofia"),
    "BO": ("BO-L", "La Paz"),
    "BR": ("BR-DF", "Brasília"),
    "BY": ("BY-HM", "Minsk"),
    "CD": ("CD-KN", "Kinshasa"),
    "CM": ("CM-CE", "Yaoundé"),
    "CN": ("CN-BJ", "Beijing"),
    "CO": ("CO-DC", "Bogotá"),
    "DZ": ("DZ-16", "Algiers"),
    "EC": ("EC-P", "Quito"),
    "EG": ("EG-C", "Cairo"),
    "ER": ("ER-MA", "Asmara"),
    "ET": ("ET-AA", "Addis Ababa"),
    "GE": ("GE-TB", "Tbilisi"),
    "GH": ("GH-AA", "Accra"),
    "GN": ("GN-C", "Conakry"),
    "ID": ("ID-JK", "Jakarta"),
    "IN": ("IN-DL", "New Delhi"),
    "IQ": ("IQ-BG", "Baghdad"),
    "KE": ("KE-30", "Nairobi"),
    "KH": ("KH-12", "Phnom Penh"),
    "LA": ("LA-VT", "Vientiane"),
    "MA": ("MA-04", "Rabat"),
    "MD": ("MD-CU", "Chișinău"),
    "ML": ("ML-BKO", "Bamako"),
    "MX": ("MX-CMX", "Mexico City"),
    "NG": ("NG-FC", "Abuja"),
    "NP": ("NP-P3", "Kathmandu"),
    "PE": ("PE-LMA", "Lima"),
    "PH": ("PH-00", "Manila"),
    "PK": ("PK-IS", "Islamabad"),
    "RO": ("RO-B", "București"),
    "RS": ("RS-00", "Belgrade"),
    "RU": ("RU-MOW", "Moscow"),
    "SN": ("SN-DK", "Dakar"),
    "SY": ("SY-DI", "Damascus"),
    "TH": ("TH-10", "Bangkok"),
    "TN": ("TN-11", "Tunis"),
    "TR": ("TR-06", "Ankara"),
    "UA": ("UA-30", "Kyiv"),
    "VE": ("VE-A", "Caracas"),
    "VN": ("VN-HN", "Hanoi"),
    "ZW": ("ZW-HA", "Harare"),
}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def located(rows: Iterable[tuple[float | None, float | None]]) -> list[tuple[float, float]]:
    """The (latitude, longitude) rows that have both (queries filter out the others)."""
    return [(lat, lon) for lat, lon in rows if lat is not None and lon is not None]


def centroid(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """The mean point on the sphere (fine for the spread of one region)."""
    if not points:
        return None
    x = y = z = 0.0
    for lat, lon in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += math.cos(la) * math.cos(lo)
        y += math.cos(la) * math.sin(lo)
        z += math.sin(la)
    n = len(points)
    x, y, z = x / n, y / n, z / n
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def in_capital(office: Office) -> bool:
    region, city = CAPITALS.get(office.country, (None, ""))
    if region is not None and office.region == region:
        return True
    return bool(office.city) and fold(office.city or "") == fold(city)


def rank_nearest(
    candidates: Sequence[Office], *, origin: tuple[float, float] | None
) -> list[Office]:
    """Candidates nearest first: by distance from `origin` when known (offices without
    coordinates after those with), else the capital's offices first; ties by name, id."""

    def key(office: Office) -> tuple[float, int, str, int]:
        has_point = office.latitude is not None and office.longitude is not None
        if origin is not None and has_point:
            assert office.latitude is not None and office.longitude is not None
            distance = haversine_km(origin[0], origin[1], office.latitude, office.longitude)
        else:
            distance = math.inf
        capital_rank = 0 if in_capital(office) else 1
        return (distance, capital_rank, fold(office.organization.name), office.id or 0)

    return sorted(candidates, key=key)
