"""ORAPI read endpoints at /hsds/, validated against Open Referral's openapi.json."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.directory.provenance import Provenance
from app.interop import hsds_export
from app.interop.hsds_vocabulary import TERMS, TERMS_BY_CODE, hsds_id
from tests.api.orapi_check import check_response, check_schema
from tests.conftest import FrozenClock
from tests.factories import BR_PHONE, NG_PHONE_2, edit_office, make_key, make_office
from tests.interop import sample
from tests.interop.spec import needs_spec

PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


@needs_spec
def test_root_says_version_profile_and_openapi(client: TestClient, db_session: Session) -> None:
    headers = make_key(db_session, "officer")
    body = client.get("/hsds/", headers=headers).json()
    check_response("/", body)
    assert body["version"].startswith("3.0")
    assert body["openapi_url"].endswith("/openapi.json")
    assert body["profile"].startswith("https://")


@needs_spec
def test_services_are_paged_in_orapi_shape(client: TestClient, db_session: Session) -> None:
    sample.build(db_session)
    headers = make_key(db_session, "admin")  # every record, the confidential one included
    seen: list[str] = []
    for page in (1, 2, 3):
        resp = client.get("/hsds/services", params={"page": page, "per_page": 2}, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        check_response("/services", body)
        assert set(body) == PAGE_KEYS
        assert body["total_items"] == 6 and body["total_pages"] == 3
        assert body["page_number"] == page
        assert body["first_page"] is (page == 1) and body["last_page"] is (page == 3)
        assert body["size"] == 2 and body["empty"] is False
        seen += [s["id"] for s in body["contents"]]
    assert len(set(seen)) == 6
    beyond = client.get("/hsds/services", params={"page": 9}, headers=headers).json()
    assert beyond["empty"] is True and beyond["contents"] == [] and beyond["last_page"] is True


@needs_spec
def test_ngo_keys_never_see_confidential_records(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    body = client.get("/hsds/services", params={"per_page": 50}, headers=headers).json()
    assert body["total_items"] == 5
    assert hsds_id("service", s.hidden.id) not in {x["id"] for x in body["contents"]}
    orgs = client.get("/hsds/organizations", headers=headers).json()
    check_response("/organizations", orgs)
    assert {o["name"] for o in orgs["contents"]} == {
        "Example Legal Aid Centre (demo)",
        "Example Police Unit (demo)",
    }
    hidden = client.get(f"/hsds/services/{hsds_id('service', s.hidden.id)}", headers=headers)
    assert hidden.status_code == 404
    org = client.get(f"/hsds/organizations/{hsds_id('organization', s.secret.id)}", headers=headers)
    assert org.status_code == 404


@needs_spec
@pytest.mark.parametrize("role", ["officer", "reviewer", "ngo"])
def test_only_admin_keys_take_confidential_records_out_through_hsds(
    client: TestClient, db_session: Session, role: str
) -> None:
    """/hsds is the surface for other directories: like `homeward export
    --include-confidential`, only an admin may take confidential records out through it."""
    s = sample.build(db_session)
    admin = make_key(db_session, "admin")
    other = make_key(db_session, role, organization_id=s.ngo.id if role == "ngo" else None)
    hidden_service = f"/hsds/services/{hsds_id('service', s.hidden.id)}"
    secret_org = f"/hsds/organizations/{hsds_id('organization', s.secret.id)}"
    confidential_term = {"taxonomy_term_id": TERMS_BY_CODE["flag:confidential"].id}

    def seen(headers: dict[str, str]) -> tuple[Any, ...]:
        services = client.get("/hsds/services", params={"per_page": 50}, headers=headers).json()
        orgs = client.get("/hsds/organizations", params={"per_page": 50}, headers=headers).json()
        flagged = client.get("/hsds/services", params=confidential_term, headers=headers).json()
        return (
            services["total_items"],
            hsds_id("service", s.hidden.id) in {x["id"] for x in services["contents"]},
            orgs["total_items"],
            "Example Safe House (demo)" in {o["name"] for o in orgs["contents"]},
            flagged["total_items"],
            client.get(hidden_service, headers=headers).status_code,
            client.get(secret_org, headers=headers).status_code,
        )

    assert seen(admin) == (6, True, 3, True, 1, 200, 200)
    assert seen(other) == (5, False, 2, False, 0, 404, 404)


@needs_spec
def test_one_service_is_fully_nested(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "officer")
    resp = client.get(f"/hsds/services/{hsds_id('service', s.lagos.id)}", headers=headers)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    check_response("/services/{id}", body)
    assert body["organization"]["name"] == "Example Legal Aid Centre (demo)"
    location = body["service_at_locations"][0]["location"]
    assert location["addresses"][0]["state_province"] == "NG-LA"
    assert [p["number"] for p in body["phones"]] == ["+2348031234567", "+2348001234567"]
    assert {m["last_action_type"] for m in body["metadata"]} >= {"verified: site_visit", "update"}


@needs_spec
def test_one_organization_has_all_its_services(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "reviewer")
    resp = client.get(
        f"/hsds/organizations/{hsds_id('organization', s.police.id)}", headers=headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    check_response("/organizations/{id}", body)
    assert {svc["id"] for svc in body["services"]} == {
        hsds_id("service", o.id) for o in (s.national, s.sao_paulo, s.closed)
    }


def test_search_and_taxonomy_filters(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "officer")
    found = client.get("/hsds/services", params={"search": "sao paulo"}, headers=headers).json()
    assert [x["id"] for x in found["contents"]] == [hsds_id("service", s.sao_paulo.id)]
    lawyer = TERMS_BY_CODE["category:lawyer"].id
    body = client.get("/hsds/services", params={"taxonomy_term_id": lawyer}, headers=headers).json()
    assert {x["id"] for x in body["contents"]} == {
        hsds_id("service", s.lagos.id),
        hsds_id("service", s.tirana.id),
    }
    arrival = TERMS_BY_CODE["flag:meets_on_arrival"].id
    body = client.get(
        "/hsds/services", params={"taxonomy_term_id": arrival}, headers=headers
    ).json()
    assert [x["id"] for x in body["contents"]] == [hsds_id("service", s.lagos.id)]
    orgs = client.get(
        "/hsds/organizations", params={"taxonomy_term_id": lawyer}, headers=headers
    ).json()
    assert [o["name"] for o in orgs["contents"]] == ["Example Legal Aid Centre (demo)"]
    unknown = client.get("/hsds/services", params={"taxonomy_term_id": "nope"}, headers=headers)
    assert unknown.status_code == 200
    assert unknown.json()["total_items"] == 0 and unknown.json()["empty"] is True


def test_modified_after(client: TestClient, db_session: Session, frozen_clock: FrozenClock) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "admin")  # every record, the confidential one included
    frozen_clock.advance(days=3)
    edit_office(
        db_session, s.tirana, Provenance(actor="t", source="test", approved_by="t"), city="Tirana"
    )
    db_session.commit()
    since = "2026-06-02T00:00:00+02:00"
    body = client.get("/hsds/services", params={"modified_after": since}, headers=headers).json()
    assert [x["id"] for x in body["contents"]] == [hsds_id("service", s.tirana.id)]
    everything = client.get(
        "/hsds/services", params={"modified_after": "2026-01-01T00:00:00Z"}, headers=headers
    ).json()
    assert everything["total_items"] == 6
    bad = client.get("/hsds/services", params={"modified_after": "yesterday"}, headers=headers)
    assert bad.status_code == 422


def test_hsds_needs_a_key_and_sane_paging(client: TestClient, db_session: Session) -> None:
    assert client.get("/hsds/services").status_code == 401
    headers = make_key(db_session, "officer")
    db_session.commit()  # an error response rolls back what the test has not committed
    assert client.get("/hsds/services", params={"per_page": 0}, headers=headers).status_code == 422
    assert client.get("/hsds/services", params={"page": 0}, headers=headers).status_code == 422
    assert client.get("/hsds/services/not-a-uuid", headers=headers).status_code == 404
    nul = client.get("/hsds/services", params={"search": "a\x00b"}, headers=headers)
    assert nul.status_code == 422 and nul.json()["detail"][0]["field"]
    assert client.get("/hsds/services/%00", headers=headers).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    resp = client.get(f"/hsds/organizations/{missing}", headers=headers)
    assert resp.status_code == 404
    assert resp.json()["detail"][0]["field"] == "id"


def test_every_role_reads_hsds_and_vcard(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    for role in ("admin", "reviewer", "officer", "ngo"):
        org_id = s.ngo.id if role == "ngo" else None
        headers = make_key(db_session, role, organization_id=org_id)
        for url in (
            "/hsds/",
            "/hsds/services",
            "/hsds/organizations",
            f"/hsds/services/{hsds_id('service', s.lagos.id)}",
            f"/hsds/organizations/{hsds_id('organization', s.ngo.id)}",
            "/api/v1/contacts.vcf?country=NG",
        ):
            assert client.get(url, headers=headers).status_code == 200, (role, url)
            assert client.get(url).status_code == 401, url


# ---- every operation and parameter of Open Referral's openapi.json ---------------------


def _ids(body: dict[str, Any]) -> list[str]:
    return [x["id"] for x in body["contents"]]


@needs_spec
def test_paging_is_true_at_and_past_the_last_page(client: TestClient, db_session: Session) -> None:
    sample.build(db_session)
    headers = make_key(db_session, "admin")  # every record, the confidential one included
    last = client.get("/hsds/services", params={"page": 3, "per_page": 2}, headers=headers).json()
    assert (last["size"], last["last_page"], last["first_page"], last["empty"]) == (
        2,
        True,
        False,
        False,
    )
    past = client.get("/hsds/services", params={"page": 1000, "per_page": 2}, headers=headers)
    assert past.status_code == 200
    body = past.json()
    check_response("/services", body)
    assert body == {
        "total_items": 6,
        "total_pages": 3,
        "page_number": 1000,
        "size": 0,
        "first_page": False,
        "last_page": True,
        "empty": True,
        "contents": [],
    }
    none = client.get("/hsds/services", params={"search": "no such place"}, headers=headers)
    assert none.json() == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


def test_paging_parameters_are_checked(client: TestClient, db_session: Session) -> None:
    headers = make_key(db_session, "officer")
    db_session.commit()
    for params, field in (
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 201}, "per_page"),
        ({"per_page": 10_001, "minimal": "true"}, "per_page"),
        ({"format": "xml"}, "format"),
        ({"minimal": "maybe"}, "minimal"),
    ):
        resp = client.get("/hsds/services", params=params, headers=headers)
        assert resp.status_code == 422, params
        assert resp.json()["detail"][0]["field"] == field, resp.json()
    ok = client.get("/hsds/services", params={"per_page": 5000, "minimal": "1"}, headers=headers)
    assert ok.status_code == 200


def test_services_of_one_organization(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    officer = make_key(db_session, "admin")  # may see the confidential organisation
    police = hsds_id("organization", s.police.id)
    body = client.get("/hsds/services", params={"organization_id": police}, headers=officer).json()
    assert set(_ids(body)) == {
        hsds_id("service", o.id) for o in (s.national, s.sao_paulo, s.closed)
    }
    assert {x["organization_id"] for x in body["contents"]} == {police}
    for unknown in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        none = client.get("/hsds/services", params={"organization_id": unknown}, headers=officer)
        assert none.status_code == 200 and none.json()["total_items"] == 0
    secret = hsds_id("organization", s.secret.id)
    seen = client.get("/hsds/services", params={"organization_id": secret}, headers=officer)
    assert _ids(seen.json()) == [hsds_id("service", s.hidden.id)]
    ngo = make_key(db_session, "ngo", organization_id=s.ngo.id)
    hidden = client.get("/hsds/services", params={"organization_id": secret}, headers=ngo)
    assert hidden.json()["total_items"] == 0


def test_taxonomy_and_phone_term_filters(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "admin")  # every record, the confidential one included
    taxonomy = client.get("/hsds/taxonomies", headers=headers).json()["contents"][0]["id"]
    every = client.get("/hsds/services", params={"taxonomy_id": taxonomy}, headers=headers)
    assert every.json()["total_items"] == 6
    other = client.get(
        "/hsds/services", params={"taxonomy_id": "another-taxonomy"}, headers=headers
    )
    assert other.json()["total_items"] == 0
    fax = TERMS_BY_CODE["phone_kind:fax"].id
    body = client.get("/hsds/services", params={"taxonomy_term_id": fax}, headers=headers).json()
    assert _ids(body) == [hsds_id("service", s.tirana.id)]
    always = TERMS_BY_CODE["flag:open_24_7"].id
    body = client.get(
        "/hsds/service_at_locations", params={"taxonomy_term_id": always}, headers=headers
    ).json()
    assert _ids(body) == [hsds_id("service_at_location", s.lagos.id)]


def test_every_term_of_the_taxonomy_filters(client: TestClient, db_session: Session) -> None:
    sample.build(db_session)
    headers = make_key(db_session, "officer")
    for term in TERMS:
        for path in ("/hsds/services", "/hsds/organizations", "/hsds/service_at_locations"):
            resp = client.get(path, params={"taxonomy_term_id": term.id}, headers=headers)
            assert resp.status_code == 200, (term.code, path, resp.text)
            for item in resp.json()["contents"]:
                assert "id" in item


@needs_spec
def test_minimal_and_full_services(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "admin")  # every record, the confidential one included
    minimal = client.get("/hsds/services", params={"minimal": "true"}, headers=headers).json()
    check_response("/services", minimal)
    assert minimal["total_items"] == 6 and minimal["size"] == 6
    assert all(set(x) == {"id", "name", "status", "last_modified"} for x in minimal["contents"])
    full = client.get(
        "/hsds/services",
        params={"full": "true", "organization_id": hsds_id("organization", s.ngo.id)},
        headers=headers,
    ).json()
    check_response("/services", full)
    for doc in full["contents"]:
        check_schema("compiled/service.json", doc)
    lagos = next(x for x in full["contents"] if x["id"] == hsds_id("service", s.lagos.id))
    assert [p["number"] for p in lagos["phones"]] == ["+2348031234567", "+2348001234567"]
    assert lagos["organization"]["name"] == "Example Legal Aid Centre (demo)"


def _ndjson(client: TestClient, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    resp = client.get(url, **kwargs)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in resp.text.splitlines()]


@needs_spec
def test_ndjson_streams_every_record_unpaged(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    lines = _ndjson(
        client, "/hsds/services", params={"format": "ndjson", "per_page": 2}, headers=headers
    )
    paged = client.get("/hsds/services", params={"per_page": 50}, headers=headers).json()
    assert [x["id"] for x in lines] == _ids(paged) and len(lines) == 5
    for doc in lines:
        check_schema("compiled/service_list.json", doc)
    assert hsds_id("service", s.hidden.id) not in {x["id"] for x in lines}
    sal = _ndjson(
        client,
        "/hsds/service_at_locations",
        params={"format": "ndjson", "full": "true"},
        headers=headers,
    )
    assert len(sal) == 5
    for doc in sal:
        check_schema("compiled/service_at_location.json", doc)
    orgs = _ndjson(client, "/hsds/organizations", params={"format": "ndjson"}, headers=headers)
    assert {o["name"] for o in orgs} == {
        "Example Legal Aid Centre (demo)",
        "Example Police Unit (demo)",
    }
    terms = _ndjson(client, "/hsds/taxonomy_terms", params={"format": "ndjson"}, headers=headers)
    assert {t["id"] for t in terms} == {t.id for t in TERMS_BY_CODE.values()}


@needs_spec
def test_service_at_locations(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    body = client.get("/hsds/service_at_locations", headers=headers).json()
    check_response("/service_at_locations", body)
    assert body["total_items"] == 5
    lagos_id = hsds_id("service_at_location", s.lagos.id)
    item = next(x for x in body["contents"] if x["id"] == lagos_id)
    assert item["service"]["id"] == hsds_id("service", s.lagos.id)
    assert item["location"]["latitude"] == 6.6018
    one = client.get(f"/hsds/service_at_locations/{lagos_id}", headers=headers)
    assert one.status_code == 200, one.text
    check_schema("compiled/service_at_location.json", one.json())
    assert [p["number"] for p in one.json()["phones"]] == ["+2348031234567", "+2348001234567"]
    assert one.json()["location"]["addresses"][0]["postal_code"] == "100001"
    hidden = hsds_id("service_at_location", s.hidden.id)
    db_session.commit()
    for missing in (hidden, "00000000-0000-4000-8000-000000000000", "nope"):
        resp = client.get(f"/hsds/service_at_locations/{missing}", headers=headers)
        assert resp.status_code == 404
        assert resp.json()["detail"][0]["field"] == "id"
    admin = make_key(db_session, "admin")
    assert client.get(f"/hsds/service_at_locations/{hidden}", headers=admin).status_code == 200


def test_postcode_and_proximity(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    island = make_office(
        session=db_session,
        org=s.police,
        city="Lagos",
        postal_code="101241",
        latitude=6.4281,
        longitude=3.4219,  # Victoria Island, ~21 km from Ikeja
        phones=[{"number": "+2348031234571", "kind": "voice"}],
    )
    abuja = make_office(
        session=db_session,
        org=s.police,
        region="NG-FC",
        city="Abuja",
        postal_code="900211",
        latitude=9.0765,
        longitude=7.3986,
        phones=[{"number": "+2348031234572", "kind": "voice"}],
    )
    edit_office(
        db_session,
        s.hidden,
        Provenance(actor="t", source="test", approved_by="t"),
        postal_code="100271",
        latitude=6.6000,
        longitude=3.3500,
    )
    officer = make_key(db_session, "admin")  # may see the confidential office
    ngo = make_key(db_session, "ngo", organization_id=s.ngo.id)
    db_session.commit()

    def sal(params: dict[str, str], headers: dict[str, str]) -> list[str]:
        resp = client.get("/hsds/service_at_locations", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        return _ids(resp.json())

    def ids(*offices: Any) -> list[str]:
        return [hsds_id("service_at_location", o.id) for o in offices]

    assert sal({"postcode": "100 001"}, officer) == ids(s.lagos)
    assert sal({"postcode": "100001", "proximity": "1000"}, officer) == ids(s.lagos, s.hidden)
    assert sal({"postcode": "100001", "proximity": "30000"}, ngo) == ids(s.lagos, island)
    assert sal({"postcode": "101241", "proximity": "2000000"}, ngo) == ids(island, s.lagos, abuja)
    # A confidential office's postcode places nothing for a key that may not see it.
    assert sal({"postcode": "100271", "proximity": "50000"}, ngo) == []
    assert sal({"postcode": "100271", "proximity": "50000"}, officer) == ids(
        s.hidden, s.lagos, island
    )
    assert sal({"postcode": "000000", "proximity": "50000"}, officer) == []
    for params in (
        {"proximity": "5000"},
        {"postcode": "100001", "proximity": "five km"},
        {"postcode": "100001", "proximity": "-5"},
        {"postcode": "100001", "proximity": "nan"},
    ):
        resp = client.get("/hsds/service_at_locations", params=params, headers=officer)
        assert resp.status_code == 422, params
        assert resp.json()["detail"][0]["field"] == "proximity"


@needs_spec
def test_taxonomies_and_terms_are_the_exports(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    s = sample.build(db_session)
    hsds_export.write_tabular(db_session, tmp_path)
    with (tmp_path / "taxonomy_terms.csv").open(encoding="utf-8") as f:
        exported_terms = {row["id"]: row["code"] for row in csv.DictReader(f)}
    with (tmp_path / "taxonomies.csv").open(encoding="utf-8") as f:
        (exported_taxonomy,) = [row["id"] for row in csv.DictReader(f)]
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    taxonomies = client.get("/hsds/taxonomies", headers=headers).json()
    check_response("/taxonomies", taxonomies)
    assert _ids(taxonomies) == [exported_taxonomy]
    one = client.get(f"/hsds/taxonomies/{exported_taxonomy}", headers=headers).json()
    check_response("/taxonomies/{id}", one)
    assert one["name"] == "Homeward"
    terms = client.get("/hsds/taxonomy_terms", params={"per_page": 200}, headers=headers).json()
    check_response("/taxonomy_terms", terms)
    assert {t["id"]: t["code"] for t in terms["contents"]} == exported_terms
    lawyer = TERMS_BY_CODE["category:lawyer"].id
    term = client.get(f"/hsds/taxonomy_terms/{lawyer}", headers=headers).json()
    check_response("/taxonomy_terms/{id}", term)
    assert term["taxonomy_id"] == exported_taxonomy
    found = client.get("/hsds/taxonomy_terms", params={"search": "lawyer"}, headers=headers)
    assert _ids(found.json()) == [lawyer]
    for params in ({"taxonomy_id": "other"}, {"parent_id": lawyer}):
        resp = client.get("/hsds/taxonomy_terms", params=params, headers=headers)
        assert resp.json()["total_items"] == 0
    top = client.get("/hsds/taxonomy_terms", params={"top_only": "true"}, headers=headers)
    assert top.json()["total_items"] == len(exported_terms)
    db_session.commit()
    for url in ("/hsds/taxonomies/other", f"/hsds/taxonomy_terms/{exported_taxonomy}"):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 404 and resp.json()["detail"][0]["field"] == "id"


@needs_spec
def test_organizations_full_and_full_service(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "officer")
    police = hsds_id("organization", s.police.id)
    simple = client.get(f"/hsds/organizations/{police}", headers=headers).json()
    check_response("/organizations/{id}", simple)
    assert all("phones" not in svc for svc in simple["services"])
    full = client.get(
        f"/hsds/organizations/{police}", params={"full_service": "true"}, headers=headers
    ).json()
    check_response("/organizations/{id}", full)
    assert {svc["phones"][0]["number"] for svc in full["services"]} == {
        NG_PHONE_2,
        BR_PHONE,
        "+2348031234569",
    }
    page = client.get(
        "/hsds/organizations", params={"full": "true", "full_service": "true"}, headers=headers
    ).json()
    check_response("/organizations", page)
    for doc in page["contents"]:
        check_schema("compiled/organization.json", doc)
    by_name = {o["name"]: o for o in page["contents"]}
    assert len(by_name["Example Police Unit (demo)"]["services"]) == 3
    plain = client.get("/hsds/organizations", headers=headers).json()
    assert all("services" not in o for o in plain["contents"])


def test_root_points_at_the_address_asked(client: TestClient, db_session: Session) -> None:
    headers = make_key(db_session, "officer")
    body = client.get("/hsds/", headers=headers).json()
    assert body["openapi_url"] == "http://testserver/hsds/openapi.json"
    proxied = client.get("/hsds/", headers={**headers, "Host": "directory.example.org"}).json()
    assert proxied["openapi_url"] == "http://directory.example.org/hsds/openapi.json"
