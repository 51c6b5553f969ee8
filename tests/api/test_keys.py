"""Key management through the API (admins only; the matrix is in test_roles.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.api.support import assert_rejected
from tests.factories import make_key, make_org


def test_admin_creates_lists_and_revokes_keys(client: TestClient, db_session: Session) -> None:
    admin = make_key(db_session, "admin")
    partner = make_org(db_session)
    db_session.commit()

    created = client.post(
        "/api/v1/keys",
        json={"name": "Partner desk", "role": "ngo", "organization_id": partner.id},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    issued = created.json()
    secret = issued["key"]
    assert issued["prefix"] == secret[:10] and issued["organization_id"] == partner.id

    listed = client.get("/api/v1/keys", headers=admin).json()
    assert [k["name"] for k in listed] == ["test admin", "Partner desk"]
    assert secret not in client.get("/api/v1/keys", headers=admin).text  # shown once only
    assert all("key" not in k and "key_hash" not in k for k in listed)

    new_key = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/contacts", headers=new_key).status_code == 200
    revoked = client.post(f"/api/v1/keys/{issued['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = client.get("/api/v1/contacts", headers=new_key)
    assert refused.status_code == 401
    assert refused.json()["detail"][0]["field"] == "Authorization"


def test_revoking_an_unknown_key_is_404(client: TestClient, db_session: Session) -> None:
    admin = make_key(db_session, "admin")
    db_session.commit()
    resp = client.post("/api/v1/keys/2147483647/revoke", headers=admin)
    assert_rejected(resp, 404, "id")
