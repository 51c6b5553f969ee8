"""Organisations through the API: create, update with versions, close with their offices."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.support import assert_rejected, saved_office
from tests.db_state import directory_state
from tests.factories import make_office, make_org


def test_create_organisation_normalises_and_returns_it(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    resp = client.post(
        "/api/v1/organizations",
        json={
            "name": "  Associac\u0327a\u0303o   Exemplo (demo) ",
            "category": "social_welfare",
            "website": "http://example.org",
            "email": "info@EXAMPLE.org",
            "services": ["shelter", "legal_aid", "shelter"],
            "description": "  Line one\r\nLine two  ",
        },
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["name"] == "Associação Exemplo (demo)"
    assert body["website"] == "http://example.org/"
    assert body["email"] == "info@example.org"
    assert body["services"] == ["legal_aid", "shelter"]
    assert body["description"] == "Line one\nLine two"
    assert body["version"] == 1 and body["status"] == "active"
    fetched = client.get(f"/api/v1/organizations/{body['id']}", headers=admin)
    assert fetched.json() == body
    assert fetched.headers["ETag"] == '"1"'


def test_update_organisation_needs_the_current_version(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    org = make_org(db_session)
    db_session.commit()
    version = org.version
    url = f"/api/v1/organizations/{org.id}"
    before = directory_state(db_session)
    assert client.patch(url, json={"name": "New"}, headers=admin).status_code == 428
    stale = client.patch(url, json={"name": "New", "version": version + 1}, headers=admin)
    assert stale.status_code == 409
    assert directory_state(db_session) == before

    resp = client.patch(
        url,
        json={"name": "New name (demo)", "services": ["medical"]},
        headers={**admin, "If-Match": f'"{version}"'},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == version + 1
    assert resp.headers["ETag"] == f'"{version + 1}"'
    assert resp.json()["services"] == ["medical"]


def test_renaming_an_organisation_is_found_by_the_new_name(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session)
    client.patch(
        f"/api/v1/organizations/{office.organization_id}",
        json={"name": "Centro Acolhida Niterói (demo)", "version": office.organization.version},
        headers=admin,
    )
    found = client.get("/api/v1/contacts", params={"q": "niteroi"}, headers=admin).json()
    assert [i["id"] for i in found["items"]] == [office.id]


def test_closing_an_organisation_closes_every_office_and_deletes_nothing(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    org = make_org(db_session)
    first = make_office(db_session, org=org, name="one")
    second = make_office(db_session, org=org, name="two", region=None)
    other = make_office(db_session, name="other organisation")
    db_session.commit()
    before = directory_state(db_session)

    resp = client.post(
        f"/api/v1/organizations/{org.id}/close",
        json={"version": org.version, "reason": "closed", "note": "funding ended"},
        headers=admin,
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "closed"
    after = directory_state(db_session)
    for table in ("organization", "office", "phone", "office_language"):
        assert after[table] == before[table], table  # closing is a status, not a delete
    for office in (first, second):
        assert client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()["status"] == (
            "closed"
        )
        history = client.get(f"/api/v1/contacts/{office.id}/history", headers=admin).json()
        assert ("organization", "status", "active", "closed") in [
            (h["entity"], h["field"], h["old_value"], h["new_value"]) for h in history
        ]
        assert ("office", "status", "active", "closed") in [
            (h["entity"], h["field"], h["old_value"], h["new_value"]) for h in history
        ]
    listed = client.get("/api/v1/contacts", params={"country": "NG"}, headers=admin).json()
    assert [i["id"] for i in listed["items"]] == [other.id]
    # Closing again is harmless and writes nothing more.
    again_before = directory_state(db_session)
    again = client.post(
        f"/api/v1/organizations/{org.id}/close",
        json={"version": resp.json()["version"], "reason": "closed"},
        headers=admin,
    )
    assert again.status_code == 200
    assert directory_state(db_session) == again_before


@pytest.mark.parametrize("field", ["name", "category", "confidential"])
def test_required_organisation_fields_cannot_be_patched_to_null(
    client: TestClient, db_session: Session, admin: dict[str, str], field: str
) -> None:
    org = make_org(db_session)
    db_session.commit()
    before = directory_state(db_session)
    resp = client.patch(
        f"/api/v1/organizations/{org.id}", json={field: None, "version": org.version}, headers=admin
    )
    assert_rejected(resp, 422, field)
    assert directory_state(db_session) == before


def test_unknown_organisation_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/api/v1/organizations/2147483647", headers=admin).status_code == 404
    resp = client.post(
        "/api/v1/organizations/2147483647/close",
        json={"version": 1, "reason": "closed"},
        headers=admin,
    )
    assert_rejected(resp, 404, "id")


def test_contact_for_an_unknown_organisation_is_422(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    before = directory_state(db_session)
    resp = client.post(
        "/api/v1/contacts", json={"organization_id": 2147483647, "country": "NG"}, headers=admin
    )
    assert_rejected(resp, 422, "organization_id")
    assert directory_state(db_session) == before
