"""The verification API through the real app: freshness everywhere, the worklist, claims,
outcomes, NGO network confirmations, partner scopes, digests and check history."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api.deps import current_settings
from app.config import Settings
from app.kit.clock import utcnow
from app.verification import checks, jobs
from tests.factories import NG_PHONE_2, make_key, make_office, make_org


def sessions(session: Session) -> Any:
    return lambda: nullcontext(session)


def ids(resp: Any) -> set[int]:
    assert resp.status_code == 200, resp.text
    return {item["id"] for item in resp.json()["items"]}


def assert_error(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"] and body["message"]
    if field is not None:
        # Nested fields come as paths: "changes.region", "freshness.0".
        paths = [str(d["field"] or "").split(".") for d in body["detail"]]
        assert any(field in path for path in paths), body
    return body


def test_freshness_is_shown_and_filterable_through_time(
    client: TestClient, db_session: Session, frozen_clock: Any
) -> None:
    officer = make_key(db_session, "officer")
    office = make_office(db_session)
    never = make_office(db_session, verified_at=None, region="NG-KN")
    db_session.commit()
    url = f"/api/v1/contacts/{office.id}"

    def state() -> str:
        resp = client.get(url, headers=officer)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["freshness"])

    def filtered(value: str) -> set[int]:
        return ids(client.get("/api/v1/contacts", params={"freshness": value}, headers=officer))

    assert state() == "verified" and office.id in filtered("verified")
    assert filtered("unverified") == {never.id}
    frozen_clock.advance(days=151)
    assert state() == "due" and filtered("due") == {office.id}
    frozen_clock.advance(days=30)
    assert state() == "overdue" and filtered("overdue") == {office.id}
    frozen_clock.advance(days=60)
    assert state() == "stale" and filtered("stale") == {office.id}
    assert filtered("verified") == set()
    assert_error(
        client.get("/api/v1/contacts", params={"freshness": "ancient"}, headers=officer),
        422,
        "freshness",
    )


def test_per_category_interval_settings_reach_the_api(
    client: TestClient, db_session: Session, frozen_clock: Any
) -> None:
    officer = make_key(db_session, "officer")
    police = make_office(db_session, org=make_org(db_session, category="law_enforcement"))
    ngo = make_office(db_session)
    db_session.commit()
    custom = Settings(verification_interval_by_category={"law_enforcement": 60})
    client.app.dependency_overrides[current_settings] = lambda: custom  # type: ignore[attr-defined]
    frozen_clock.advance(days=45)
    assert ids(client.get("/api/v1/contacts?freshness=due", headers=officer)) == {police.id}
    assert client.get(f"/api/v1/contacts/{ngo.id}", headers=officer).json()["freshness"] == (
        "verified"
    )


def test_freshness_report_counts_states_per_region_and_category(
    client: TestClient, db_session: Session
) -> None:
    reviewer = make_key(db_session, "reviewer")
    now = utcnow()
    make_office(db_session)
    make_office(db_session, verified_at=now - timedelta(days=200))
    make_office(db_session, verified_at=None, region=None)
    closed = make_office(db_session)
    from app.directory.service import close_office
    from tests.factories import TEST_PROVENANCE

    close_office(db_session, office_id=closed.id, provenance=TEST_PROVENANCE)  # type: ignore[arg-type]
    make_office(db_session, country="BR")
    db_session.commit()
    resp = client.get("/api/v1/freshness", params={"country": "NG"}, headers=reviewer)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    rows = {(r["region"], r["category"]): r for r in body["rows"]}
    lagos = rows[("NG-LA", "ngo")]
    assert lagos["region_name"] == "Lagos"
    assert lagos["counts"]["verified"] == 1 and lagos["counts"]["overdue"] == 1
    assert lagos["total"] == 2  # the closed office is not counted
    assert rows[(None, "ngo")]["counts"]["unverified"] == 1
    assert body["totals"]["verified"] == 1 and sum(body["totals"].values()) == 3
    by_country = client.get("/api/v1/freshness", headers=reviewer).json()
    assert {r["country"] for r in by_country["rows"]} == {"NG", "BR"}
    assert_error(client.get("/api/v1/freshness?country=XX", headers=reviewer), 422, "country")
    ngo_key = make_key(db_session, "ngo", organization_id=make_org(db_session).id)
    assert_error(client.get("/api/v1/freshness", headers=ngo_key), 403)
    assert_error(client.get("/api/v1/freshness"), 401)


def _due_office_with_task(db_session: Session, settings: Settings, **kw: Any) -> Any:
    office = make_office(db_session, verified_at=utcnow() - timedelta(days=170), **kw)
    jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))
    db_session.commit()
    return office


def test_worklist_claim_and_outcome_roundtrip(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    alice = make_key(db_session, "officer", name="Alice")
    bob = make_key(db_session, "reviewer", name="Bob")
    office = _due_office_with_task(db_session, settings)
    _due_office_with_task(db_session, settings, region="NG-KN")
    resp = client.get("/api/v1/tasks", params={"country": "NG", "region": "NG-LA"}, headers=alice)
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["total"] == 1
    task = page["items"][0]
    assert task["office_id"] == office.id and task["state"] == "open"
    assert task["freshness"] == "due" and task["phones"][0]["number"].startswith("+234")

    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=alice)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["state"] == "claimed"
    assert claimed.json()["claimed_by"].startswith("Alice")
    body = assert_error(client.post(f"/api/v1/tasks/{task['id']}/claim", headers=bob), 409)
    assert body["claimed_by"].startswith("Alice")
    mine = client.get("/api/v1/tasks", params={"mine": "true"}, headers=alice).json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]

    done = client.post(
        f"/api/v1/tasks/{task['id']}/outcome",
        json={"outcome": "confirmed", "method": "phone_call", "note": "spoke to the desk"},
        headers=alice,
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "done" and done.json()["outcome"] == "confirmed"
    contact = client.get(f"/api/v1/contacts/{office.id}", headers=alice).json()
    assert contact["freshness"] == "verified"
    assert contact["verification_method"] == "phone_call"
    assert contact["verified_by"].startswith("Alice")
    assert_error(
        client.post(
            f"/api/v1/tasks/{task['id']}/outcome",
            json={"outcome": "confirmed", "method": "phone_call"},
            headers=alice,
        ),
        409,
    )


def test_outcome_input_is_validated(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    officer = make_key(db_session, "officer")
    _due_office_with_task(db_session, settings)
    task_id = client.get("/api/v1/tasks", headers=officer).json()["items"][0]["id"]
    url = f"/api/v1/tasks/{task_id}/outcome"
    assert_error(
        client.post(url, json={"outcome": "maybe", "method": "phone_call"}, headers=officer),
        422,
        "outcome",
    )
    assert_error(
        client.post(url, json={"outcome": "confirmed", "method": "ngo_network"}, headers=officer),
        422,
        "method",
    )
    assert_error(
        client.post(url, json={"outcome": "changed", "method": "phone_call"}, headers=officer),
        422,
        "changes",
    )
    assert_error(
        client.post(
            url,
            json={"outcome": "changed", "method": "phone_call", "changes": {"region": "AL-01"}},
            headers=officer,
        ),
        422,
        "region",
    )
    assert_error(
        client.post(
            url, json={"outcome": "confirmed", "method": "phone_call", "x": 1}, headers=officer
        ),
        422,
    )
    assert_error(
        client.post(
            "/api/v1/tasks/999999/outcome",
            json={"outcome": "confirmed", "method": "phone_call"},
            headers=officer,
        ),
        404,
        "id",
    )
    # Nothing was recorded by the bad requests.
    assert client.get(f"/api/v1/tasks/{task_id}", headers=officer).json()["attempts"] == 0
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()
    changed = client.post(
        url,
        json={
            "outcome": "changed",
            "method": "email_reply",
            "changes": {"opening_hours": "Mon-Sat 8-18"},
        },
        headers=reviewer,
    )
    assert changed.status_code == 200, changed.text
    history = client.get(
        f"/api/v1/contacts/{changed.json()['office_id']}/history", headers=officer
    ).json()
    assert any(
        r["field"] == "opening_hours" and r["source"].startswith("verification task")
        for r in history
    )


def test_an_officers_call_outcome_edits_nothing_and_queues_a_submission(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    officer = make_key(db_session, "officer", name="Desk Officer Ada")
    reviewer = make_key(db_session, "reviewer")
    office = _due_office_with_task(db_session, settings)
    task_id = client.get("/api/v1/tasks", headers=officer).json()["items"][0]["id"]
    before = client.get(f"/api/v1/contacts/{office.id}", headers=officer).json()
    changed = client.post(
        f"/api/v1/tasks/{task_id}/outcome",
        json={
            "outcome": "changed",
            "method": "phone_call",
            "changes": {
                "name": "Renamed by an officer",
                "website": "https://attacker.example/",
                "country": "BR",
                "region": "BR-SP",
                "status": "closed",
            },
        },
        headers=officer,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["state"] == "done" and changed.json()["outcome"] == "changed"
    after = client.get(f"/api/v1/contacts/{office.id}", headers=officer).json()
    for field in ("name", "website", "country", "region", "status"):
        assert after[field] == before[field], field
    history = client.get(f"/api/v1/contacts/{office.id}/history", headers=officer).json()
    assert not any(r["source"].startswith("verification task") for r in history)
    (item,) = client.get("/api/v1/submissions", headers=reviewer).json()["items"]
    assert item["source"] == f"call outcome, task #{task_id}, by Desk Officer Ada"
    detail = client.get(f"/api/v1/submissions/{item['id']}", headers=reviewer).json()
    proposed = {d["path"]: d["proposed"] for d in detail["diff"]}
    assert proposed["office.name"] == "Renamed by an officer"
    assert proposed["office.status"] == "closed" and proposed["office.country"] == "BR"
    # Its values are validated like any submission: a bad one is a 422 and nothing is kept.
    _due_office_with_task(db_session, settings, region="NG-KN")
    other = client.get("/api/v1/tasks", headers=officer).json()["items"][0]["id"]
    assert_error(
        client.post(
            f"/api/v1/tasks/{other}/outcome",
            json={"outcome": "closed", "method": "phone_call", "note": "x" * 3000},
            headers=officer,
        ),
        422,
        "note",
    )


def test_worklist_is_for_staff_only(client: TestClient, db_session: Session) -> None:
    ngo = make_key(db_session, "ngo", organization_id=make_org(db_session).id)
    staff = {role: make_key(db_session, role) for role in ("officer", "reviewer", "admin")}
    db_session.commit()  # a failed request rolls back what is not committed
    assert_error(client.get("/api/v1/tasks", headers=ngo), 403, "role")
    assert_error(client.get("/api/v1/tasks"), 401)
    assert_error(client.post("/api/v1/tasks/1/claim", headers=ngo), 403)
    for headers in staff.values():
        assert client.get("/api/v1/tasks", headers=headers).status_code == 200


def test_ngo_partner_confirms_offices_in_its_own_countries(
    client: TestClient, db_session: Session, frozen_clock: Any
) -> None:
    partner_org = make_org(db_session, name="Example Returnee Network (demo)")
    make_office(db_session, org=partner_org)  # the partner works in Nigeria
    partner = make_key(db_session, "ngo", organization_id=partner_org.id, name="Network")
    reviewer = make_key(db_session, "reviewer")
    target = make_office(db_session)
    brazil = make_office(db_session, country="BR")
    secret = make_office(
        db_session, org=make_org(db_session, name="Example Safe House (demo)", confidential=True)
    )
    db_session.commit()
    frozen_clock.advance(days=200)

    resp = client.post(
        f"/api/v1/contacts/{target.id}/confirm", json={"note": "met them"}, headers=partner
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["method"] == "ngo_network" and body["freshness"] == "verified"
    assert body["verified_by"].startswith("Network")
    history = client.get(f"/api/v1/contacts/{target.id}/history", headers=reviewer).json()
    assert any(
        r["field"] == "verification_method" and r["new_value"] == "ngo_network" for r in history
    )

    assert_error(
        client.post(f"/api/v1/contacts/{brazil.id}/confirm", headers=partner), 403, "country"
    )
    assert_error(client.post(f"/api/v1/contacts/{secret.id}/confirm", headers=partner), 404)
    assert_error(client.post(f"/api/v1/contacts/{target.id}/confirm", headers=reviewer), 403)

    # A reviewer allows Brazil and denies Nigeria for this partner.
    scope_url = f"/api/v1/partner-scopes/{partner_org.id}"
    assert client.get(scope_url, headers=reviewer).json()["effective_countries"] == ["NG"]
    allowed = client.put(f"{scope_url}/BR", json={"allowed": True}, headers=reviewer)
    assert allowed.status_code == 200, allowed.text
    denied = client.put(f"{scope_url}/NG", json={"allowed": False}, headers=reviewer)
    assert denied.json()["effective_countries"] == ["BR"]
    assert denied.json()["default_countries"] == ["NG"]
    assert client.post(f"/api/v1/contacts/{brazil.id}/confirm", headers=partner).status_code == 200
    assert_error(client.post(f"/api/v1/contacts/{target.id}/confirm", headers=partner), 403)
    assert client.delete(f"{scope_url}/NG", headers=reviewer).status_code == 204
    assert client.post(f"/api/v1/contacts/{target.id}/confirm", headers=partner).status_code == 200

    assert_error(
        client.put(f"{scope_url}/XX", json={"allowed": True}, headers=reviewer), 422, "country"
    )
    assert_error(client.put(f"{scope_url}/BR", json={"allowed": "perhaps"}, headers=reviewer), 422)
    officer = make_key(db_session, "officer")
    db_session.commit()
    assert_error(client.put(f"{scope_url}/BR", json={"allowed": True}, headers=officer), 403)
    assert_error(client.delete(f"{scope_url}/AL", headers=reviewer), 404)


def test_digests_and_check_history_are_readable(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    reviewer = make_key(db_session, "reviewer")
    office = _due_office_with_task(db_session, settings)
    make_office(
        db_session,
        verified_at=utcnow() - timedelta(days=300),
        phones=[{"number": NG_PHONE_2}],
    )
    jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))
    jobs.escalate(settings=settings, sessions=sessions(db_session))
    jobs.escalate(settings=settings, sessions=sessions(db_session))  # rewrites, no duplicate
    jobs.automated_checks(
        settings=settings,
        sessions=sessions(db_session),
        kinds=[checks.CheckKind.PHONE, checks.CheckKind.EMAIL],
        office_ids=[office.id],
    )
    db_session.commit()
    digests = client.get("/api/v1/digests", params={"country": "NG"}, headers=reviewer)
    assert digests.status_code == 200, digests.text
    (digest,) = digests.json()
    assert digest["counts"]["due"] == 1 and digest["counts"]["stale"] == 1
    assert digest["open_tasks"] == 2 and digest["escalated_tasks"] == 1
    history = client.get(f"/api/v1/contacts/{office.id}/checks", headers=reviewer)
    assert history.status_code == 200, history.text
    (phone,) = history.json()
    assert phone["kind"] == "phone" and phone["ok"] is True
    assert phone["details"]["number_type"] == "mobile"
    assert_error(client.get("/api/v1/contacts/999999/checks", headers=reviewer), 404)
    assert_error(client.get("/api/v1/digests?day=yesterday", headers=reviewer), 422, "day")
