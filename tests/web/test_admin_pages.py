"""The admin pages rendered in-process (no browser): revoking asks first, and the audit
names each record and shows key creation and revocation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.service import create_key
from app.web import labels
from tests.factories import edit_phone, make_office, make_org
from tests.web.signed_in import sign_in


def test_revoking_a_key_asks_first_and_only_the_confirmation_revokes(
    client: TestClient, db_session: Session
) -> None:
    csrf = sign_in(client, db_session, "admin", name="Head office admin")
    key = create_key(db_session, name="Field team", role="officer").key
    keys = client.get("/admin/keys")
    assert f'href="/admin/keys/{key.id}/revoke"' in keys.text
    assert f'action="/admin/keys/{key.id}/revoke"' not in keys.text  # no one-click revoke

    asked = client.get(f"/admin/keys/{key.id}/revoke")
    assert asked.status_code == 200
    assert "Revoke key" in asked.text and "Field team" in asked.text
    assert f'action="/admin/keys/{key.id}/revoke"' in asked.text
    assert 'href="/admin/keys">Cancel</a>' in asked.text
    db_session.refresh(key)
    assert key.revoked_at is None

    done = client.post(
        f"/admin/keys/{key.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    audit_page = client.get("/admin/audit?entity=api_key").text
    assert f"Key {key.id} — Field team" in audit_page
    assert "revoked" in audit_page and "Head office admin" in audit_page
    assert client.get("/admin/keys/999999/revoke").status_code == 404


def test_audit_rows_name_the_record(client: TestClient, db_session: Session) -> None:
    org = make_org(db_session, name="Example NGO")
    office = make_office(db_session, org=org, name="Lagos office")
    phone = office.phones[0]
    edit_phone(db_session, phone, kind="fax")
    sign_in(client, db_session, "admin")
    page = client.get(f"/admin/audit?office_id={office.id}")
    assert page.status_code == 200
    assert f"Contact {office.id} — Lagos office, Example NGO" in page.text
    assert f"contact {office.id}<" not in page.text
    phone_page = client.get("/admin/audit?entity=phone").text
    assert f"Phone {phone.id} — {labels.phone_number(phone.number)}, Lagos office" in phone_page
