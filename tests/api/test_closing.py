"""Closing a contact, a phone or an organisation is as explicit as an update: the version it
was based on and a reason from a fixed list; junk, a missing or stale version change nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Revision
from tests.db_state import directory_state
from tests.factories import make_office


@dataclass(frozen=True)
class Target:
    url: str
    version: int
    reason: str
    entity: str
    entity_id: int


@pytest.fixture(params=["contact", "phone", "organization"])
def target(request: pytest.FixtureRequest, db_session: Session) -> Target:
    office = make_office(db_session)
    db_session.commit()
    assert office.id is not None
    if request.param == "contact":
        return Target(
            f"/api/v1/contacts/{office.id}/close", office.version, "moved", "office", office.id
        )
    if request.param == "phone":
        phone = office.phones[0]
        assert phone.id is not None
        return Target(
            f"/api/v1/phones/{phone.id}/close", phone.version, "wrong_number", "phone", phone.id
        )
    org = office.organization
    assert org.id is not None
    return Target(
        f"/api/v1/organizations/{org.id}/close", org.version, "merged", "organization", org.id
    )


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("{not json", "body"),
        ("[]", "body"),
        ("", "body"),
        ("null", "body"),
        ('{"version": 1}', "reason"),
        ('{"version": 1, "reason": "because"}', "reason"),
        ('{"version": 1, "reason": "duplicate", "force": true}', "force"),
        ('{"version": 0, "reason": "duplicate"}', "version"),
        ('{"version": 1, "reason": "duplicate", "note": 5}', "note"),
    ],
)
def test_a_close_with_a_junk_body_is_422_naming_the_field_and_changes_nothing(
    client: TestClient,
    db_session: Session,
    admin: dict[str, str],
    target: Target,
    content: str,
    field: str,
) -> None:
    before = directory_state(db_session)
    resp = client.post(
        target.url, content=content, headers={**admin, "Content-Type": "application/json"}
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["field"] == field
    assert directory_state(db_session) == before


def test_a_close_without_a_version_is_428_and_changes_nothing(
    client: TestClient, db_session: Session, admin: dict[str, str], target: Target
) -> None:
    before = directory_state(db_session)
    resp = client.post(target.url, json={"reason": target.reason}, headers=admin)
    assert resp.status_code == 428, resp.text
    assert resp.json()["detail"][0]["field"] == "version"
    assert directory_state(db_session) == before


def test_a_close_at_a_stale_version_is_409_and_changes_nothing(
    client: TestClient, db_session: Session, admin: dict[str, str], target: Target
) -> None:
    before = directory_state(db_session)
    by_body = client.post(
        target.url, json={"version": target.version + 1, "reason": target.reason}, headers=admin
    )
    assert by_body.status_code == 409, by_body.text
    assert by_body.json()["detail"][0]["field"] == "version"
    by_header = client.post(
        target.url,
        json={"reason": target.reason},
        headers={**admin, "If-Match": f'"{target.version + 1}"'},
    )
    assert by_header.status_code == 409
    assert directory_state(db_session) == before


def test_a_close_at_the_current_version_keeps_the_reason_and_note_in_the_revision(
    client: TestClient, db_session: Session, admin: dict[str, str], target: Target
) -> None:
    resp = client.post(
        target.url,
        json={"reason": target.reason, "note": "told by the regional desk"},
        headers={**admin, "If-Match": f'"{target.version}"'},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] in {"closed", "disconnected"}
    assert resp.json()["version"] == target.version + 1
    db_session.expire_all()
    revision = db_session.execute(
        select(Revision).where(
            Revision.entity == target.entity,
            Revision.entity_id == target.entity_id,
            Revision.field == "status",
        )
    ).scalar_one()
    assert (revision.reason, revision.note) == (target.reason, "told by the regional desk")
