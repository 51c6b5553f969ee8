"""The role matrix: every core endpoint against every kind of caller.

401 without a key (or with a revoked one), 403 with the wrong role, success for the right
ones, and refusals write nothing. Confidential organisations are invisible to NGO keys.
Which roles may call every route of the app (API, pages, docs) is test_route_access.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import contacts, countries, keys, organizations
from app.auth.service import create_key, revoke_key
from tests.db_state import directory_state
from tests.factories import NG_PHONE_2, make_key, make_office, make_org

ADMIN, REVIEWER, OFFICER, NGO = "admin", "reviewer", "officer", "ngo"
ANY = frozenset({ADMIN, REVIEWER, OFFICER, NGO})
EDITORS = frozenset({ADMIN, REVIEWER})
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class World:
    office_id: int
    office_version: int
    organization_id: int
    organization_version: int
    phone_id: int
    phone_version: int
    key_id: int


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the route's template, as FastAPI lists it
    allowed: frozenset[str]
    success: int
    request: Callable[[World], dict[str, Any]]  # url, json, headers for a valid call

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _plain(url: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"url": url.format(w=w)}


ENDPOINTS = [
    Endpoint("GET", "/api/v1/contacts", ANY, 200, _plain("/api/v1/contacts?country=NG")),
    Endpoint(
        "GET", "/api/v1/contacts/{office_id}", ANY, 200, _plain("/api/v1/contacts/{w.office_id}")
    ),
    Endpoint(
        "GET",
        "/api/v1/contacts/{office_id}/history",
        ANY,
        200,
        _plain("/api/v1/contacts/{w.office_id}/history"),
    ),
    Endpoint(
        "POST",
        "/api/v1/contacts",
        EDITORS,
        201,
        lambda w: {
            "url": "/api/v1/contacts",
            "json": {"organization_id": w.organization_id, "country": "NG", "region": "NG-KN"},
        },
    ),
    Endpoint(
        "PATCH",
        "/api/v1/contacts/{office_id}",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/contacts/{w.office_id}",
            "json": {"city": "Ikeja"},
            "headers": {"If-Match": f'"{w.office_version}"'},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/contacts/{office_id}/close",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/contacts/{w.office_id}/close",
            "json": {"version": w.office_version, "reason": "closed"},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/contacts/{office_id}/phones",
        EDITORS,
        201,
        lambda w: {"url": f"/api/v1/contacts/{w.office_id}/phones", "json": {"number": NG_PHONE_2}},
    ),
    Endpoint(
        "PATCH",
        "/api/v1/phones/{phone_id}",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/phones/{w.phone_id}",
            "json": {"is_24_7": True, "version": w.phone_version},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/phones/{phone_id}/close",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/phones/{w.phone_id}/close",
            "json": {"version": w.phone_version, "reason": "disconnected"},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/contacts/{office_id}/verifications",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/contacts/{w.office_id}/verifications",
            "json": {"method": "phone_call", "note": "answered"},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/organizations",
        EDITORS,
        201,
        lambda w: {
            "url": "/api/v1/organizations",
            "json": {"name": "Example Aid (demo)", "category": "ngo"},
        },
    ),
    Endpoint(
        "GET",
        "/api/v1/organizations/{organization_id}",
        ANY,
        200,
        _plain("/api/v1/organizations/{w.organization_id}"),
    ),
    Endpoint(
        "PATCH",
        "/api/v1/organizations/{organization_id}",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/organizations/{w.organization_id}",
            "json": {"description": "Now with a description", "version": w.organization_version},
        },
    ),
    Endpoint(
        "POST",
        "/api/v1/organizations/{organization_id}/close",
        EDITORS,
        200,
        lambda w: {
            "url": f"/api/v1/organizations/{w.organization_id}/close",
            "json": {"version": w.organization_version, "reason": "closed"},
        },
    ),
    Endpoint("GET", "/api/v1/countries", ANY, 200, _plain("/api/v1/countries")),
    Endpoint(
        "GET",
        "/api/v1/countries/{country}/regions",
        ANY,
        200,
        _plain("/api/v1/countries/NG/regions"),
    ),
    Endpoint("GET", "/api/v1/keys", ADMINS, 200, _plain("/api/v1/keys")),
    Endpoint(
        "POST",
        "/api/v1/keys",
        ADMINS,
        201,
        lambda w: {"url": "/api/v1/keys", "json": {"name": "Border desk Dover", "role": "officer"}},
    ),
    Endpoint(
        "POST",
        "/api/v1/keys/{key_id}/revoke",
        ADMINS,
        200,
        _plain("/api/v1/keys/{w.key_id}/revoke"),
    ),
]
CALLERS = [ADMIN, REVIEWER, OFFICER, NGO, "none", "revoked"]


def _world(session: Session) -> tuple[World, int]:
    office = make_office(session)
    spare_key = create_key(session, name="spare officer", role=OFFICER)
    assert office.id is not None and spare_key.key.id is not None
    world = World(
        office_id=office.id,
        office_version=office.version,
        organization_id=office.organization_id,
        organization_version=office.organization.version,
        phone_id=office.phones[0].id or 0,
        phone_version=office.phones[0].version,
        key_id=spare_key.key.id,
    )
    partner = make_org(session, name="Example Partner NGO (demo)")
    assert partner.id is not None
    return world, partner.id


def _headers_for(session: Session, caller: str, partner_org_id: int) -> dict[str, str]:
    if caller == "none":
        return {}
    if caller == "revoked":
        issued = create_key(session, name="old desk", role=ADMIN)
        assert issued.key.id is not None
        revoke_key(session, key_id=issued.key.id)
        return {"Authorization": f"Bearer {issued.secret}"}
    org = partner_org_id if caller == NGO else None
    return make_key(session, caller, organization_id=org)


def _expected(endpoint: Endpoint, caller: str) -> int:
    if caller in ("none", "revoked"):
        return 401
    return endpoint.success if caller in endpoint.allowed else 403


def _call(client: TestClient, endpoint: Endpoint, world: World, headers: dict[str, str]) -> Any:
    call = endpoint.request(world)
    return client.request(
        endpoint.method,
        call["url"],
        json=call.get("json"),
        headers={**headers, **call.get("headers", {})},
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_gets_exactly_the_access_its_role_allows(
    client: TestClient, db_session: Session, endpoint: Endpoint
) -> None:
    """One row of the matrix: this endpoint against admin, reviewer, officer, ngo, no key and
    a revoked key. Refused callers share one world (a refusal changes nothing, which is
    checked); each allowed caller gets a fresh one, since its call may change it."""
    shared, partner_org_id = _world(db_session)
    headers = {caller: _headers_for(db_session, caller, partner_org_id) for caller in CALLERS}
    db_session.commit()
    wrong: list[str] = []
    for caller in CALLERS:
        expected = _expected(endpoint, caller)
        world = shared if expected in (401, 403) else _world(db_session)[0]
        db_session.commit()
        before = directory_state(db_session)
        resp = _call(client, endpoint, world, headers[caller])
        if resp.status_code != expected:
            wrong.append(f"{caller}: {resp.status_code} (expected {expected}) {resp.text[:200]}")
            continue
        if expected in (401, 403):
            body = resp.json()
            assert body["error"] == ("unauthorized" if expected == 401 else "forbidden")
            assert body["detail"][0]["field"] == ("Authorization" if expected == 401 else "role")
            assert body["detail"][0]["reason"]
            assert directory_state(db_session) == before, f"{caller} was refused yet wrote"
    assert not wrong, "\n".join(wrong)


def test_the_matrix_lists_every_core_endpoint() -> None:
    routes = {
        (method, route.path)
        for router in (contacts.router, organizations.router, countries.router, keys.router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert routes == {(e.method, e.path) for e in ENDPOINTS}


def test_health_answers_without_a_key(client: TestClient) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "hw_notakey", "Bearer hw_unknown"]
)
def test_malformed_or_unknown_credentials_are_401(client: TestClient, header: str) -> None:
    resp = client.get("/api/v1/contacts", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"


# ---- confidential organisations and NGO partners --------------------------------------------


def _confidential_office(session: Session) -> tuple[int, int]:
    secret_org = make_org(
        session, name="Example Safe House (demo)", category="ngo", confidential=True
    )
    office = make_office(session, org=secret_org, name="Hidden office")
    assert office.id is not None and secret_org.id is not None
    return office.id, secret_org.id


def test_ngo_keys_never_see_confidential_organisations(
    client: TestClient, db_session: Session
) -> None:
    office_id, org_id = _confidential_office(db_session)
    visible = make_office(db_session, name="Visible office")
    partner = make_org(db_session, name="Example Partner (demo)")
    ngo = make_key(db_session, NGO, organization_id=partner.id)
    officer = make_key(db_session, OFFICER)
    db_session.commit()

    listed = client.get("/api/v1/contacts", params={"country": "NG"}, headers=ngo).json()
    assert [i["id"] for i in listed["items"]] == [visible.id]
    assert listed["total"] == 1
    searched = client.get("/api/v1/contacts", params={"q": "hidden"}, headers=ngo).json()
    assert searched["total"] == 0
    for url in (
        f"/api/v1/contacts/{office_id}",
        f"/api/v1/contacts/{office_id}/history",
        f"/api/v1/organizations/{org_id}",
    ):
        resp = client.get(url, headers=ngo)
        assert resp.status_code == 404, url
        assert "Hidden" not in resp.text and "Safe House" not in resp.text

    ng_for_ngo = next(
        c for c in client.get("/api/v1/countries", headers=ngo).json() if c["code"] == "NG"
    )
    assert ng_for_ngo["counts"]["ngo"] == 1
    regions_for_ngo = client.get("/api/v1/countries/NG/regions", headers=ngo).json()
    lagos = next(r for r in regions_for_ngo["regions"] if r["code"] == "NG-LA")
    assert lagos["counts"]["ngo"] == 1

    # Staff see both, so the difference above is the confidentiality rule at work.
    assert (
        client.get("/api/v1/contacts", params={"country": "NG"}, headers=officer).json()["total"]
        == 2
    )
    ng_for_officer = next(
        c for c in client.get("/api/v1/countries", headers=officer).json() if c["code"] == "NG"
    )
    assert ng_for_officer["counts"]["ngo"] == 2
    assert client.get(f"/api/v1/contacts/{office_id}", headers=officer).status_code == 200
