"""ORAPI read endpoints at /hsds/, validated against Open Referral's openapi.json."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlmodel import Session

from app.directory import service
from app.directory.provenance import Provenance
from app.interop.hsds_vocabulary import TERMS_BY_CODE, hsds_id
from tests.conftest import FrozenClock
from tests.factories import make_key
from tests.interop import sample
from tests.interop.spec import SPEC, load, needs_spec

RAW = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
OPENAPI = "urn:homeward-test:orapi-openapi.json"


def _registry() -> Registry:
    resources = [(OPENAPI, Resource.from_contents(load("schema/openapi.json"), DRAFT202012))]
    for path in sorted((SPEC / "schema").glob("*.json")) + sorted(
        (SPEC / "schema" / "compiled").glob("*.json")
    ):
        relative = path.relative_to(SPEC / "schema").as_posix()
        if relative == "openapi.json":
            continue
        resources.append(
            (RAW + relative, Resource.from_contents(load(f"schema/{relative}"), DRAFT202012))
        )
    return Registry().with_resources(resources)


def check_response(path: str, body: Any) -> None:
    """Validate `body` against the 200 response schema of GET `path` in the ORAPI spec."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    schema = {
        "$ref": f"{OPENAPI}#/paths/{pointer}/get/responses/200/content/application~1json/schema"
    }
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


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
    headers = make_key(db_session, "officer")
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
    officer = make_key(db_session, "officer")
    seen = client.get(f"/hsds/services/{hsds_id('service', s.hidden.id)}", headers=officer)
    assert seen.status_code == 200


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
    db_session.commit()
    bad = client.get("/hsds/services", params={"taxonomy_term_id": "nope"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "taxonomy_term_id"


def test_modified_after(client: TestClient, db_session: Session, frozen_clock: FrozenClock) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "officer")
    frozen_clock.advance(days=3)
    service.update_office(
        db_session,
        office_id=s.tirana.id,
        changes={"city": "Tirana"},
        expected_version=s.tirana.version,
        provenance=Provenance(actor="t", source="test", approved_by="t"),
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
