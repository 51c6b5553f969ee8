"""The /api/v1/submissions endpoints through the real ASGI app."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.api.deps import current_settings
from app.config import Settings
from app.directory import lookup
from app.directory import service as directory
from app.directory.models import Office
from app.review import intake
from app.review.models import Submission
from tests.api.support import assert_rejected
from tests.factories import (
    AL_PHONE,
    NG_PHONE_2,
    TEST_PROVENANCE,
    allow_partner_countries,
    make_key,
    make_office,
    make_org,
)
from tests.review.support import new_contact

URL = "/api/v1/submissions"


def _partner(session: Session, name: str = "Partner Network (demo)") -> dict[str, str]:
    org = make_org(session, name=name)
    allow_partner_countries(session, org.id)
    return make_key(session, "ngo", organization_id=org.id, name=f"{name} key")


def _setup(session: Session, *roles: str) -> tuple[Office, dict[str, str], list[dict[str, str]]]:
    """An office, a partner's key and a key for each of `roles`, committed (a refused
    request rolls back what the test has not committed)."""
    office = make_office(session)
    ngo = _partner(session)
    keys = [make_key(session, role) for role in roles]
    session.commit()
    return office, ngo, keys


def _queued(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Submission)).scalar_one())


def _correction(office_id: int, **office: object) -> dict[str, object]:
    return {"kind": "correction", "office_id": office_id, "office": office or {"city": "Ikeja"}}


def test_roles(client: TestClient, db_session: Session) -> None:
    office, ngo, (officer, reviewer) = _setup(db_session, "officer", "reviewer")
    assert client.post(URL, json=_correction(office.id)).status_code == 401
    assert client.post(URL, json=_correction(office.id), headers=officer).status_code == 403
    assert client.post(URL, json=_correction(office.id), headers=reviewer).status_code == 403
    assert client.get(URL, headers=officer).status_code == 403
    created = client.post(URL, json=_correction(office.id), headers=ngo)
    assert created.status_code == 201
    sid = created.json()["id"]
    for path in ("approve", "reject", "duplicate"):
        body = {"reason": "x", "of_office_id": office.id} if path != "approve" else {}
        if path == "reject":
            body = {"reason": "x"}
        assert client.post(f"{URL}/{sid}/{path}", json=body, headers=ngo).status_code == 403
        assert client.post(f"{URL}/{sid}/{path}", json=body, headers=officer).status_code == 403
    assert client.get(f"{URL}/counts", headers=ngo).status_code == 403


def test_invalid_submission_is_422_naming_the_field_and_nothing_is_queued(
    client: TestClient, db_session: Session
) -> None:
    office = make_office(db_session)
    ngo = _partner(db_session)
    cases = [
        (_correction(office.id, region="AL-01"), "office.region"),
        (_correction(office.id, email="nope"), "office.email"),
        (
            {
                "kind": "correction",
                "office_id": office.id,
                "new_phones": [{"number": AL_PHONE}],
            },
            "new_phones.0.number",
        ),
        (
            {"kind": "correction", "office_id": office.id, "office": {"city": "X"}, "extra": 1},
            "correction.extra",
        ),
        ({"kind": "gossip", "office_id": office.id}, "body"),
        ({"kind": "closure", "office_id": office.id, "reason": "haunted"}, "closure.reason"),
    ]
    db_session.commit()  # keep the setup when a request rolls back
    for body, field in cases:
        resp = client.post(URL, json=body, headers=ngo)
        assert resp.status_code == 422, (body, resp.json())
        fields = [d["field"] for d in resp.json()["detail"]]
        assert field in fields or any(field in f for f in fields), (field, resp.json())
    assert _queued(db_session) == 0


def test_walk_through_submit_approve_and_the_officer_sees_the_change(
    client: TestClient, db_session: Session
) -> None:
    office, ngo, (reviewer, officer) = _setup(db_session, "reviewer", "officer")
    created = client.post(
        URL,
        json={
            "kind": "correction",
            "office_id": office.id,
            "office": {"version": office.version},
            "phones": [{"id": office.phones[0].id, "number": "0803 123 4568"}],
            "note": "called them on 3 May",
        },
        headers=ngo,
    )
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]

    opened = client.get(f"{URL}/{sid}", headers=reviewer).json()
    [row] = opened["diff"]
    assert (row["current"], row["proposed"]) == ("+2348031234567", NG_PHONE_2)
    assert opened["conflicts"] == [] and opened["duplicates"] == []

    approved = client.post(f"{URL}/{sid}/approve", json={"reason": "confirmed"}, headers=reviewer)
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"

    found = client.get(
        "/api/v1/contacts", params={"country": "NG", "region": "NG-LA"}, headers=officer
    ).json()
    [item] = [i for i in found["items"] if i["id"] == office.id]
    assert [p["number"] for p in item["phones"]] == [NG_PHONE_2]
    assert item["verification_method"] == "ngo_correction"
    history = client.get(f"/api/v1/contacts/{office.id}/history", headers=officer).json()
    assert any(h["submission_id"] == sid and h["field"] == "number" for h in history)

    # Deciding again: 409.
    again = client.post(f"{URL}/{sid}/reject", json={"reason": "late"}, headers=reviewer)
    assert again.status_code == 409
    assert again.json()["error"] == "already_decided"


def test_partners_see_only_their_own_submissions_and_never_confidential_ones(
    client: TestClient, db_session: Session
) -> None:
    office = make_office(db_session)
    alpha = _partner(db_session, "Alpha Network (demo)")
    beta = _partner(db_session, "Beta Network (demo)")
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()  # keep the setup when a request rolls back
    a_id = client.post(URL, json=_correction(office.id), headers=alpha).json()["id"]
    b_id = client.post(URL, json=_correction(office.id, city="Epe"), headers=beta).json()["id"]

    assert client.get(f"{URL}/{a_id}", headers=beta).status_code == 404
    assert client.get(f"{URL}/{b_id}", headers=alpha).status_code == 404
    mine = client.get(URL, headers=alpha).json()
    assert [i["id"] for i in mine["items"]] == [a_id]
    assert "diff" not in client.get(f"{URL}/{a_id}", headers=alpha).json()

    client.post(f"{URL}/{a_id}/reject", json={"reason": "city unchanged"}, headers=reviewer)
    seen = client.get(f"{URL}/{a_id}", headers=alpha).json()
    assert (seen["status"], seen["decision_reason"]) == ("rejected", "city unchanged")

    # The organisation becomes confidential: it disappears from the partners' view.
    org = lookup.get_organization(db_session, office.organization_id)
    directory.update_organization(
        db_session,
        organization_id=org.id,
        changes={"confidential": True},
        expected_version=org.version,
        provenance=TEST_PROVENANCE,
    )
    db_session.commit()
    assert client.get(f"{URL}/{b_id}", headers=beta).status_code == 404
    assert client.get(URL, headers=beta).json()["items"] == []
    assert client.post(URL, json=_correction(office.id), headers=beta).status_code == 404
    assert client.get(f"{URL}/{b_id}", headers=reviewer).status_code == 200


def test_rate_limit_answers_429_with_retry_after(client: TestClient, db_session: Session) -> None:
    office = make_office(db_session)
    ngo = _partner(db_session)
    other = _partner(db_session, "Other Network (demo)")
    db_session.commit()  # keep the setup when a request rolls back
    client.app.dependency_overrides[current_settings] = lambda: Settings(  # type: ignore[attr-defined]
        submission_rate_limit=2, submission_rate_window_seconds=3600
    )
    for city in ("Ikeja", "Epe"):
        assert (
            client.post(URL, json=_correction(office.id, city=city), headers=ngo).status_code == 201
        )
    refused = client.post(URL, json=_correction(office.id, city="Badagry"), headers=ngo)
    assert refused.status_code == 429
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["error"] == "rate_limited"
    assert client.post(URL, json=_correction(office.id), headers=other).status_code == 201
    assert _queued(db_session) == 3


def test_size_cap_answers_413(client: TestClient, db_session: Session) -> None:
    office, ngo, _ = _setup(db_session)
    client.app.dependency_overrides[current_settings] = lambda: Settings(  # type: ignore[attr-defined]
        max_submission_bytes=300
    )
    body = _correction(office.id, city="Ikeja")
    body["note"] = "n" * 400
    resp = client.post(URL, json=body, headers=ngo)
    assert_rejected(resp, 413, "body")
    assert _queued(db_session) == 0


def test_queue_filters_order_paging_and_counts(
    client: TestClient, db_session: Session, frozen_clock
) -> None:
    lagos = make_office(db_session)
    kano = make_office(db_session, region="NG-KN", city="Kano")
    tirana = make_office(db_session, country="AL")
    ngo = _partner(db_session)
    reviewer = make_key(db_session, "reviewer")
    ids = []
    db_session.commit()  # keep the setup when a request rolls back
    for office, city in ((lagos, "Ikeja"), (kano, "Kano North"), (tirana, "Durrës")):
        ids.append(
            client.post(URL, json=_correction(office.id, city=city), headers=ngo).json()["id"]
        )
        frozen_clock.advance(days=3)
    closure = client.post(
        URL, json={"kind": "closure", "office_id": kano.id, "reason": "closed"}, headers=ngo
    ).json()["id"]

    page = client.get(URL, headers=reviewer).json()
    assert [i["id"] for i in page["items"]] == [*ids, closure]
    assert page["items"][0]["age_days"] == 9
    newest = client.get(URL, params={"order": "newest"}, headers=reviewer).json()
    assert newest["items"][0]["id"] == closure
    ng = client.get(URL, params={"country": "NG"}, headers=reviewer).json()
    assert [i["id"] for i in ng["items"]] == [ids[0], ids[1], closure]
    kn = client.get(URL, params={"region": "NG-KN"}, headers=reviewer).json()
    assert [i["id"] for i in kn["items"]] == [ids[1], closure]
    closures = client.get(URL, params={"kind": "closure"}, headers=reviewer).json()
    assert [i["id"] for i in closures["items"]] == [closure]
    old = client.get(URL, params={"older_than_days": 6}, headers=reviewer).json()
    assert [i["id"] for i in old["items"]] == [ids[0], ids[1]]
    paged = client.get(URL, params={"per_page": 2, "page": 2}, headers=reviewer).json()
    assert (paged["total"], paged["pages"], [i["id"] for i in paged["items"]]) == (
        4,
        2,
        [ids[2], closure],
    )
    bad = client.get(URL, params={"region": "NG-XX"}, headers=reviewer)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "region"

    counts = client.get(f"{URL}/counts", headers=reviewer).json()
    assert [(c["country"], c["count"]) for c in counts] == [("NG", 3), ("AL", 1)]
    assert counts[1]["country_name"] == "Albania"

    client.post(f"{URL}/{closure}/reject", json={"reason": "still open"}, headers=reviewer)
    rejected = client.get(URL, params={"status": "rejected"}, headers=reviewer).json()
    assert [i["id"] for i in rejected["items"]] == [closure]


def test_partial_approval_and_conflict_through_the_api(
    client: TestClient, db_session: Session
) -> None:
    office, ngo, (reviewer, admin) = _setup(db_session, "reviewer", "admin")
    sid = client.post(
        URL, json=_correction(office.id, city="Ikeja", address="1 Example Way"), headers=ngo
    ).json()["id"]
    current = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()
    edited = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"city": "Epe", "version": current["version"]},
        headers=admin,
    )
    assert edited.status_code == 200

    conflict = client.post(f"{URL}/{sid}/approve", json={}, headers=reviewer)
    assert conflict.status_code == 409
    assert conflict.json()["fields"] == ["office.city"]
    assert conflict.json()["detail"][0]["field"] == "office.city"

    partial = client.post(
        f"{URL}/{sid}/approve", json={"fields": ["office.address"]}, headers=reviewer
    )
    assert partial.status_code == 200, partial.json()
    assert partial.json()["status"] == "partially_approved"
    now = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()
    assert (now["city"], now["address"]) == ("Epe", "1 Example Way")


def test_mark_duplicate_through_the_api(client: TestClient, db_session: Session) -> None:
    office, ngo, (reviewer,) = _setup(db_session, "reviewer")
    sid = client.post(
        URL,
        json=new_contact("Example Support Centre (demo)", "08031234567"),
        headers=ngo,
    ).json()["id"]
    listed = client.get(URL, headers=reviewer).json()["items"][0]
    assert listed["possible_duplicate"] is True
    assert {m["reason"] for m in listed["duplicate_matches"]} == {"phone", "name"}
    bad = client.post(f"{URL}/{sid}/duplicate", json={}, headers=reviewer)
    assert bad.status_code == 422
    done = client.post(f"{URL}/{sid}/duplicate", json={"of_office_id": office.id}, headers=reviewer)
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["duplicate_of_office_id"]) == (
        "duplicate",
        office.id,
    )
    assert client.get(f"{URL}/999999", headers=reviewer).status_code == 404


def test_odd_input_is_a_4xx_never_a_500(client: TestClient, db_session: Session) -> None:
    office, ngo, (reviewer,) = _setup(db_session, "reviewer")
    odd_bodies = [
        [],
        None,
        "correction",
        {"kind": "correction", "office_id": 2**40},
        {"kind": "correction", "office_id": office.id, "office": {"city": "a\x00b"}},
        {"kind": "correction", "office_id": office.id, "phones": [{"id": 0, "number": "1"}]},
        {"kind": "correction", "office_id": office.id, "new_phones": [{"number": None}]},
        {"kind": "new_contact", "office": {"country": "NG"}},
        {"kind": "new_contact", "organization_id": 999999, "office": {"country": "NG"}},
        {"kind": "closure", "office_id": office.id, "reason": "closed", "phone_id": 1},
    ]
    for body in odd_bodies:
        resp = client.post(URL, json=body, headers=ngo)
        assert 400 <= resp.status_code < 500, (body, resp.status_code, resp.text)
        assert resp.json()["detail"][0]["field"]
    sid = client.post(URL, json=_correction(office.id), headers=ngo).json()["id"]
    odd_decisions = [
        {"fields": []},
        {"fields": ["office.nope"]},
        {"fields": ["../etc"]},
        {"edits": {"office.city": {"nested": True}}},
        {"edits": {"office.city": "x" * 300}},
        {"edits": {"new_phones.0": "x"}},
        {"resolve_conflicts": "office.city"},
        {"version": 0},
    ]
    for body in odd_decisions:
        resp = client.post(f"{URL}/{sid}/approve", json=body, headers=reviewer)
        assert 400 <= resp.status_code < 500, (body, resp.status_code, resp.text)
    for path in (f"{URL}/0", f"{URL}/{2**40}", f"{URL}/abc"):
        assert client.get(path, headers=reviewer).status_code == 422
    assert client.get(URL, params={"country": "QQ"}, headers=reviewer).status_code == 422
    assert client.get(URL, params={"order": "random"}, headers=reviewer).status_code == 422
    assert client.get(f"{URL}/{sid}", headers=reviewer).json()["submission"]["status"] == "pending"


def _new_contact(country: str = "NG", region: str = "NG-LA", **organization: object) -> dict:
    number = {"NG": "08031234599", "BR": "+551123456780"}[country]
    return {
        "kind": "new_contact",
        "organization": {"name": "Example Help Desk (demo)", "category": "ngo", **organization},
        "office": {"country": country, "region": region, "phones": [{"number": number}]},
    }


def test_a_duplicate_of_a_confidential_office_never_points_at_it_for_the_partner(
    client: TestClient, db_session: Session
) -> None:
    hidden = make_org(db_session, name="Zephyrine Safe House (demo)", confidential=True)
    secret_office = make_office(db_session, org=hidden, city="Ikeja")
    public_office = make_office(db_session)
    ngo = _partner(db_session)
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()  # keep the setup when a request rolls back
    ids = [
        client.post(URL, json=_new_contact(), headers=ngo).json()["id"],
        client.post(URL, json=_new_contact(name="Second (demo)"), headers=ngo).json()["id"],
        client.post(URL, json=_new_contact(name="Third (demo)"), headers=ngo).json()["id"],
    ]
    # The first: a duplicate of the confidential office; the second: a duplicate of a
    # submission about it; the third: of a public office.
    reason = f"Same as Zephyrine Safe House, contact {secret_office.id}"
    secret_sub = intake.create_submission(
        db_session,
        proposal={"kind": "correction", "office_id": secret_office.id, "office": {"city": "Epe"}},
        submitter=None,
        source="import: test",
    )
    db_session.commit()
    for sid, body in [
        (ids[0], {"of_office_id": secret_office.id, "reason": reason}),
        (ids[1], {"of_submission_id": secret_sub.id, "reason": reason}),
        (ids[2], {"of_office_id": public_office.id, "reason": "Already listed."}),
    ]:
        done = client.post(f"{URL}/{sid}/duplicate", json=body, headers=reviewer)
        assert done.status_code == 200, done.text
        # The reviewer sees where it points.
        assert reason in done.text or "Already listed." in done.text

    for sid in ids[:2]:
        seen = client.get(f"{URL}/{sid}", headers=ngo)
        assert seen.status_code == 200, seen.text
        assert seen.json()["status"] == "duplicate"
        assert seen.json()["duplicate_of_office_id"] is None
        assert seen.json()["duplicate_of_submission_id"] is None
        assert seen.json()["decision_reason"] == "Duplicate of an existing record."
        assert "Zephyrine" not in seen.text
    listed = client.get(URL, headers=ngo)
    assert "Zephyrine" not in listed.text
    by_id = {i["id"]: i for i in listed.json()["items"]}
    assert by_id[ids[0]]["duplicate_of_office_id"] is None
    assert by_id[ids[1]]["duplicate_of_submission_id"] is None
    # A duplicate of a public contact still says which one, with the reviewer's words.
    public = client.get(f"{URL}/{ids[2]}", headers=ngo).json()
    assert public["duplicate_of_office_id"] == public_office.id
    assert public["decision_reason"] == "Already listed."
    assert by_id[ids[2]]["duplicate_of_office_id"] == public_office.id


def test_every_kind_of_partner_submission_is_held_to_the_partners_countries(
    client: TestClient, db_session: Session
) -> None:
    org = make_org(db_session, name="Lagos Network (demo)")
    make_office(db_session, org=org)  # it works in Nigeria
    ngo = make_key(db_session, "ngo", organization_id=org.id)
    reviewer = make_key(db_session, "reviewer")
    nigeria = make_office(db_session)
    brazil = make_office(db_session, country="BR")
    db_session.commit()  # keep the setup when a request rolls back
    outside = [
        _correction(brazil.id),
        {"kind": "closure", "office_id": brazil.id, "reason": "closed"},
        {
            "kind": "closure",
            "office_id": brazil.id,
            "reason": "number_disconnected",
            "phone_id": brazil.phones[0].id,
        },
        _new_contact("BR", "BR-SP"),
        _correction(nigeria.id, country="BR", region="BR-SP"),  # moving it out of scope
    ]
    for body in outside:
        refused = client.post(URL, json=body, headers=ngo)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json()["error"] == "outside_partner_scope"
        assert refused.json()["detail"] == [
            {"field": "country", "reason": refused.json()["message"]}
        ]
        assert "BR is outside your organisation's countries" in refused.json()["message"]
    assert _queued(db_session) == 0
    assert client.post(URL, json=_correction(nigeria.id), headers=ngo).status_code == 201
    # A reviewer's rule widens the scope for every kind at once, or narrows it.
    scope = f"/api/v1/partner-scopes/{org.id}"
    client.put(f"{scope}/BR", json={"allowed": True}, headers=reviewer)
    for body in outside[:2] + outside[3:4]:
        assert client.post(URL, json=body, headers=ngo).status_code == 201, body
    client.put(f"{scope}/NG", json={"allowed": False}, headers=reviewer)
    denied = client.post(URL, json=_correction(nigeria.id, city="Epe"), headers=ngo)
    assert denied.status_code == 403 and "NG is outside" in denied.json()["message"]
    confirm = client.post(f"/api/v1/contacts/{nigeria.id}/confirm", headers=ngo)
    assert confirm.status_code == 403 and confirm.json()["error"] == "outside_partner_scope"


def test_no_partner_submission_may_set_confidentiality(
    client: TestClient, db_session: Session
) -> None:
    office, ngo, _ = _setup(db_session)
    cases = [
        (_new_contact(confidential=True), "organization.confidential"),
        (_new_contact(confidential=False), "organization.confidential"),
        (
            {"kind": "correction", "office_id": office.id, "organization": {"confidential": True}},
            "organization.confidential",
        ),
        (
            {"kind": "closure", "office_id": office.id, "reason": "closed", "confidential": True},
            "closure.confidential",
        ),
    ]
    for body, field in cases:
        resp = client.post(URL, json=body, headers=ngo)
        assert resp.status_code == 422, (body, resp.text)
        assert field in [d["field"] for d in resp.json()["detail"]], resp.json()
    assert _queued(db_session) == 0


def test_the_owning_partner_withdraws_a_pending_submission_once(
    client: TestClient, db_session: Session
) -> None:
    office = make_office(db_session)
    ngo = _partner(db_session)
    other = _partner(db_session, name="Other Network")
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()
    sid = client.post(URL, json=_correction(office.id), headers=ngo).json()["id"]

    assert client.post(f"{URL}/{sid}/withdraw", headers=other).status_code == 404
    assert client.post(f"{URL}/{sid}/withdraw", headers=reviewer).status_code == 403
    withdrawn = client.post(f"{URL}/{sid}/withdraw", headers=ngo)
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    queue_ids = [i["id"] for i in client.get(URL, headers=reviewer).json()["items"]]
    assert sid not in queue_ids

    again = client.post(f"{URL}/{sid}/withdraw", headers=ngo)
    assert again.status_code == 409
    assert again.json()["detail"] == [
        {"field": "status", "reason": f"submission {sid} was already decided (withdrawn)"}
    ]
    late = client.post(f"{URL}/{sid}/reject", json={"reason": "x"}, headers=reviewer)
    assert late.status_code == 409


def test_a_decided_submission_cannot_be_withdrawn(client: TestClient, db_session: Session) -> None:
    office = make_office(db_session)
    ngo = _partner(db_session)
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()
    sid = client.post(URL, json=_correction(office.id), headers=ngo).json()["id"]
    assert client.post(f"{URL}/{sid}/approve", json={}, headers=reviewer).status_code == 200
    refused = client.post(f"{URL}/{sid}/withdraw", headers=ngo)
    assert refused.status_code == 409
    assert refused.json()["status"] == "approved"
