"""Reference data: countries and ISO 3166-2 regions with their coverage per category."""

from __future__ import annotations

from datetime import timedelta

import pycountry
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import FrozenClock
from tests.factories import make_office, make_org


def test_countries_list_every_iso_country_with_counts_per_category(
    client: TestClient, db_session: Session, officer: dict[str, str], frozen_clock: FrozenClock
) -> None:
    police = make_org(db_session, category="law_enforcement")
    make_office(db_session, org=police)
    make_office(db_session)
    make_office(db_session, verified_at=frozen_clock.now - timedelta(days=400))  # stale
    make_office(db_session, status="closed")
    make_office(db_session, country="AL")
    db_session.commit()

    resp = client.get("/api/v1/countries", headers=officer)
    assert resp.status_code == 200
    countries = {c["code"]: c for c in resp.json()}
    assert set(countries) == {c.alpha_2 for c in pycountry.countries}
    ng = countries["NG"]
    assert ng["name"] == "Nigeria"
    assert ng["region_count"] == len(pycountry.subdivisions.get(country_code="NG"))
    assert ng["counts"] == {"law_enforcement": 1, "ngo": 2, "lawyer": 0, "social_welfare": 0}
    assert ng["verified_counts"]["ngo"] == 1  # the stale one does not count as verified
    assert ng["total"] == 3  # the closed office is not counted
    assert countries["AL"]["total"] == 1
    assert countries["FR"]["total"] == 0

    only = client.get("/api/v1/countries", params={"with_contacts": "true"}, headers=officer)
    assert [c["code"] for c in only.json()] == ["AL", "NG"]


def test_country_names_follow_the_language(client: TestClient, officer: dict[str, str]) -> None:
    countries = client.get("/api/v1/countries", params={"lang": "fr"}, headers=officer).json()
    names = {c["code"]: c["name"] for c in countries}
    assert names["DE"] == "Allemagne"
    unknown = client.get("/api/v1/countries", params={"lang": "zz"}, headers=officer)
    assert unknown.status_code == 200  # an unknown language falls back to English names
    assert {c["code"]: c["name"] for c in unknown.json()}["DE"] == "Germany"


def test_regions_list_iso_subdivisions_with_counts_and_missing_categories(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    police = make_org(db_session, category="law_enforcement")
    lawyers = make_org(db_session, category="lawyer")
    make_office(db_session, org=police)
    make_office(db_session)
    make_office(db_session, org=lawyers, region="NG-KN", verified_at=None)
    make_office(db_session, org=police, region=None)
    db_session.commit()

    resp = client.get("/api/v1/countries/ng/regions", headers=officer)
    assert resp.status_code == 200
    body = resp.json()
    assert body["country"] == "NG" and body["country_name"] == "Nigeria"
    regions = {r["code"]: r for r in body["regions"]}
    assert set(regions) == {s.code for s in pycountry.subdivisions.get(country_code="NG")}
    lagos = regions["NG-LA"]
    assert lagos["name"] == "Lagos" and lagos["type"] == "State"
    assert lagos["counts"] == {"law_enforcement": 1, "ngo": 1, "lawyer": 0, "social_welfare": 0}
    assert lagos["missing_categories"] == ["lawyer", "social_welfare"]
    kano = regions["NG-KN"]
    assert kano["counts"]["lawyer"] == 1
    # Never verified: it exists but an officer cannot rely on it yet.
    assert "lawyer" in kano["missing_categories"]
    assert regions["NG-FC"]["missing_categories"] == [
        "law_enforcement",
        "ngo",
        "lawyer",
        "social_welfare",
    ]
    assert body["nationwide"]["counts"]["law_enforcement"] == 1


def test_region_names_follow_the_language(client: TestClient, officer: dict[str, str]) -> None:
    body = client.get("/api/v1/countries/AL/regions", params={"lang": "fr"}, headers=officer).json()
    assert body["country_name"] == "Albanie"
    assert all(r["name"] for r in body["regions"])


def test_a_country_without_subdivisions_has_an_empty_region_list(
    client: TestClient, officer: dict[str, str]
) -> None:
    body = client.get("/api/v1/countries/AQ/regions", headers=officer).json()
    assert body["regions"] == []
    assert body["nationwide"]["total"] == 0
