"""Officer search and the admin write path of contacts (offices) through the real app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.kit.clock import utcnow
from tests.api.support import assert_rejected, saved_office
from tests.conftest import FrozenClock
from tests.db_state import directory_state
from tests.factories import (
    AL_PHONE,
    NG_PHONE,
    NG_PHONE_2,
    make_key,
    make_office,
    make_org,
)


def _search(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    resp = client.get("/api/v1/contacts", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


# ---- search ------------------------------------------------------------------------------


def test_region_query_returns_the_region_and_the_nationwide_offices(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    make_office(db_session, name="Lagos office")
    make_office(db_session, name="Nationwide office", region=None)
    make_office(db_session, name="Kano office", region="NG-KN")
    make_office(
        db_session,
        name="Tirana office",
        country="AL",
    )
    db_session.commit()

    page = _search(client, officer, country="NG", region="NG-LA")
    assert sorted(_names(page)) == ["Lagos office", "Nationwide office"]
    assert page["total"] == 2

    regional_only = _search(client, officer, country="NG", region="NG-LA", include_national="false")
    assert _names(regional_only) == ["Lagos office"]


def test_results_follow_the_stable_order(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    orgs = {
        cat: make_org(db_session, name=f"{name} (demo)", category=cat)
        for cat, name in [
            ("social_welfare", "A Welfare"),
            ("lawyer", "A Lawyers"),
            ("ngo", "B Shelter"),
            ("law_enforcement", "Z Police"),
        ]
    }
    second_ngo = make_org(db_session, name="A Shelter (demo)", category="ngo")
    make_office(db_session, org=orgs["social_welfare"], name="welfare")
    make_office(db_session, org=orgs["lawyer"], name="lawyer")
    make_office(db_session, org=orgs["ngo"], name="ngo B national", region=None)
    make_office(db_session, org=orgs["ngo"], name="ngo B regional")
    make_office(db_session, org=second_ngo, name="ngo A national", region=None)
    make_office(db_session, org=orgs["law_enforcement"], name="police national", region=None)
    make_office(db_session, org=orgs["law_enforcement"], name="police regional")
    db_session.commit()

    page = _search(client, officer, country="NG", region="NG-LA")
    assert _names(page) == [
        "police regional",
        "police national",
        "ngo B regional",  # regional before nationwide, even against an earlier name
        "ngo A national",
        "ngo B national",
        "lawyer",
        "welfare",
    ]


def test_category_filter_is_repeatable(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    for category in ("ngo", "lawyer", "social_welfare", "law_enforcement"):
        make_office(db_session, org=make_org(db_session, category=category), name=category)
    db_session.commit()
    page = _search(client, officer, country="NG", category=["lawyer", "law_enforcement"])
    assert _names(page) == ["law_enforcement", "lawyer"]
    assert _search(client, officer, country="NG", category="ngo")["total"] == 1


def test_service_and_language_filters(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    legal = make_org(db_session, name="Example Legal Aid (demo)", services=["legal_aid", "shelter"])
    medical = make_org(db_session, name="Example Clinic (demo)", services=["medical"])
    make_office(db_session, org=legal, name="legal", languages=["en", "yo"])
    make_office(db_session, org=medical, name="medical", languages=["ha"])
    db_session.commit()
    assert _names(_search(client, officer, service="legal_aid")) == ["legal"]
    assert _names(_search(client, officer, service=["legal_aid", "medical"])) == []
    assert _names(_search(client, officer, language="ha")) == ["medical"]
    assert _names(_search(client, officer, language="YO")) == ["legal"]
    assert sorted(_names(_search(client, officer, language=["yo", "ha"]))) == ["legal", "medical"]


def test_name_search_ignores_accents_and_case(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    org = make_org(db_session, name="Centro de Apoio São Paulo (demo)")
    make_office(
        db_session,
        org=org,
        name="Atendimento Sé",
        country="BR",
    )
    make_office(db_session, name="Lagos desk")
    db_session.commit()
    for q in ("sao paulo", "SÃO PAULO", "São", "atendimento se", "%", "_"):
        expected = [] if q in ("%", "_") else ["Atendimento Sé"]
        assert _names(_search(client, officer, q=q)) == expected, q


def test_status_filter_and_closed_offices_hidden_by_default(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    make_office(db_session, name="open")
    make_office(db_session, name="paused", status="temporarily_closed")
    make_office(db_session, name="gone", status="closed")
    db_session.commit()
    assert sorted(_names(_search(client, officer, country="NG"))) == ["open", "paused"]
    assert _names(_search(client, officer, country="NG", status="closed")) == ["gone"]
    assert sorted(_names(_search(client, officer, status=["active", "closed"]))) == [
        "gone",
        "open",
    ]


def test_freshness_and_verified_within_days(
    client: TestClient, db_session: Session, officer: dict[str, str], frozen_clock: FrozenClock
) -> None:
    now = frozen_clock.now
    make_office(db_session, name="fresh", verified_at=now - timedelta(days=10))
    make_office(db_session, name="due", verified_at=now - timedelta(days=160))
    make_office(db_session, name="overdue", verified_at=now - timedelta(days=200))
    make_office(db_session, name="stale", verified_at=now - timedelta(days=300))
    make_office(db_session, name="never", verified_at=None)
    db_session.commit()

    page = _search(client, officer, country="NG")
    assert {i["name"]: i["freshness"] for i in page["items"]} == {
        "fresh": "verified",
        "due": "due",
        "overdue": "overdue",
        "stale": "stale",
        "never": "unverified",
    }
    for state in ("verified", "due", "overdue", "stale", "unverified"):
        expected = {"verified": "fresh", "unverified": "never"}.get(state, state)
        assert _names(_search(client, officer, freshness=state)) == [expected]
    assert sorted(_names(_search(client, officer, verified_within_days=170))) == ["due", "fresh"]
    assert _names(_search(client, officer, verified_within_days=0)) == []


def test_meets_on_arrival_filter(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    make_office(db_session, name="airport desk", meets_on_arrival=True)
    make_office(db_session, name="city office")
    db_session.commit()
    assert _names(_search(client, officer, meets_on_arrival="true")) == ["airport desk"]
    assert _names(_search(client, officer, meets_on_arrival="false")) == ["city office"]


def test_paging_reports_totals_and_pages(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    org = make_org(db_session)
    for n in range(5):
        make_office(db_session, org=org, name=f"office {n}", verified_at=None)
    db_session.commit()
    first = _search(client, officer, country="NG", per_page=2)
    second = _search(client, officer, country="NG", per_page=2, page=2)
    last = _search(client, officer, country="NG", per_page=2, page=3)
    beyond = _search(client, officer, country="NG", per_page=2, page=99_999)
    assert (first["total"], first["pages"], first["per_page"]) == (5, 3, 2)
    assert _names(first) + _names(second) + _names(last) == [f"office {n}" for n in range(5)]
    assert beyond["items"] == [] and beyond["total"] == 5 and beyond["page"] == 99_999


def test_each_item_carries_everything_an_officer_needs(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    org = make_org(
        db_session,
        name="Example Legal Aid Centre (demo)",
        category="lawyer",
        services=["legal_aid", "arrival_reception"],
        website="https://legal.example.org",
    )
    office = make_office(
        db_session,
        org=org,
        name="Ikeja",
        languages=["yo", "en"],
        meets_on_arrival=True,
        phones=[{"number": "0803 123 4567", "kind": "mobile"}, {"number": "+234 2033 123 456"}],
    )
    db_session.commit()
    [item] = _search(client, officer, country="NG", region="NG-LA")["items"]
    assert item["id"] == office.id
    assert item["organization"]["name"] == "Example Legal Aid Centre (demo)"
    assert item["organization"]["category"] == item["category"] == "lawyer"
    assert (item["country"], item["region"], item["region_name"]) == ("NG", "NG-LA", "Lagos")
    assert item["country_name"] == "Nigeria" and item["nationwide"] is False
    assert [p["number"] for p in item["phones"]] == [NG_PHONE, "+2342033123456"]
    assert item["phones"][0]["national"] == "0803 123 4567"
    assert item["phones"][0]["international"] == "+234 803 123 4567"
    assert item["phones"][0]["kind"] == "mobile"
    assert item["languages"] == ["en", "yo"]
    assert item["services"] == ["arrival_reception", "legal_aid"]
    assert item["website"] == "https://legal.example.org/"
    assert item["meets_on_arrival"] is True and item["status"] == "active"
    assert item["last_verified_at"] is not None
    assert item["verification_method"] == "phone_call"
    assert item["freshness"] == "verified"
    assert item["version"] == office.version


def test_list_items_equal_the_single_contact_view(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    """The list is read as rows and the single view through the ORM: both must agree."""
    org = make_org(db_session, services=["shelter", "medical"], confidential=True)
    make_office(
        db_session,
        org=org,
        languages=["fr", "en", "ha"],
        region=None,
        postal_code="100001",
        # Several phones: their order, 24/7 flag, hours and languages travel as JSON rows.
        phones=[
            {"number": "+234 2033 123 456", "hours": "Mo-Fr 09:00-17:00"},
            {"number": "0803 123 4567", "kind": "mobile", "is_24_7": True},
            {"number": "0803 123 4568", "kind": "mobile", "languages": ["ha", "en"]},
        ],
    )
    plain = make_office(db_session, verified_at=None, email="desk@example.org")
    assert plain.id is not None
    phone = plain.phones[0]
    client.post(
        f"/api/v1/phones/{phone.id}/close",
        json={"version": phone.version, "reason": "disconnected"},
        headers=make_key(db_session, "admin"),
    )
    db_session.commit()
    page = _search(client, officer, country="NG")
    assert page["total"] == 2
    for item in page["items"]:
        single = client.get(f"/api/v1/contacts/{item['id']}", headers=officer).json()
        assert item == single
    closed_phone_item = next(i for i in page["items"] if i["id"] == plain.id)
    assert closed_phone_item["phones"] == []
    phones = next(i for i in page["items"] if i["id"] != plain.id)["phones"]
    assert [p["is_24_7"] for p in phones] == [False, True, False]
    assert [p["languages"] for p in phones] == [[], [], ["en", "ha"]]
    assert phones[0]["hours"] == "Mo-Fr 09:00-17:00"


@pytest.mark.parametrize(
    "params",
    [
        {"country": "ng", "region": "ng-la"},
        {"region": "NG-LA"},
        {"q": "ÅÄÖ 💡 ß ǅ \u200d"},
        {"q": "   "},
        {"per_page": 200, "page": 100_000},
        {"language": "EN"},
        {"verified_within_days": 36500},
    ],
)
def test_odd_but_valid_search_parameters_answer_200(
    client: TestClient, db_session: Session, officer: dict[str, str], params: dict[str, Any]
) -> None:
    make_office(db_session)
    db_session.commit()
    resp = client.get("/api/v1/contacts", params=params, headers=officer)
    assert resp.status_code == 200, resp.text


def test_query_string_follows_fastapis_rules(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    """The search reads its query string as one model (kit.query) with FastAPI's rules."""
    make_office(db_session, name="Lagos office", meets_on_arrival=True)
    make_office(db_session, name="Tirana office", country="AL", phones=[])
    db_session.commit()
    url = "/api/v1/contacts"
    # A repeated single-valued parameter: the last value counts.
    resp = client.get(f"{url}?country=NG&country=AL", headers=officer)
    assert _names(resp.json()) == ["Tirana office"]
    # A repeated list parameter: every value counts; unknown parameters are ignored.
    both = client.get(f"{url}?status=active&status=closed&colour=blue", headers=officer)
    assert sorted(_names(both.json())) == ["Lagos office", "Tirana office"]
    # Booleans and numbers are parsed from their usual spellings.
    for spelling in ("true", "1", "yes", "on"):
        page = client.get(f"{url}?meets_on_arrival={spelling}&per_page=01", headers=officer)
        assert _names(page.json()) == ["Lagos office"] and page.json()["per_page"] == 1
    # Several bad parameters: each is named, list items by position.
    bad = client.get(f"{url}?page=x&category=ngo&category=baker", headers=officer)
    assert bad.status_code == 422
    assert [d["field"] for d in bad.json()["detail"]] == ["category.1", "page"]


def test_search_parameters_are_documented_in_openapi(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/contacts"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert list(parameters) == [
        "country",
        "region",
        "include_national",
        "category",
        "service",
        "language",
        "q",
        "status",
        "freshness",
        "verified_within_days",
        "meets_on_arrival",
        "page",
        "per_page",
    ]
    assert all(p["in"] == "query" and p["required"] is False for p in parameters.values())
    assert "ngo" in parameters["category"]["schema"]["items"]["enum"]  # enums inline, no $ref
    assert parameters["per_page"]["schema"]["maximum"] == 200
    assert "422" in operation["responses"]


# ---- one contact and its history -------------------------------------------------------------


def test_unknown_contact_is_404(client: TestClient, officer: dict[str, str]) -> None:
    resp = client.get("/api/v1/contacts/2147483647", headers=officer)
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_get_contact_sends_its_version_as_etag(
    client: TestClient, db_session: Session, officer: dict[str, str]
) -> None:
    office = saved_office(db_session)
    resp = client.get(f"/api/v1/contacts/{office.id}", headers=officer)
    assert resp.headers["ETag"] == f'"{office.version}"'
    assert resp.json()["version"] == office.version


def test_history_lists_every_change_oldest_first_with_organisation_changes(
    client: TestClient, db_session: Session, admin: dict[str, str], frozen_clock: FrozenClock
) -> None:
    office = saved_office(db_session, verified_at=None)
    frozen_clock.advance(minutes=1)
    version = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()["version"]
    assert (
        client.patch(
            f"/api/v1/contacts/{office.id}",
            json={"city": "Ikeja", "version": version},
            headers=admin,
        ).status_code
        == 200
    )
    frozen_clock.advance(minutes=1)
    org_version = client.get(
        f"/api/v1/organizations/{office.organization_id}", headers=admin
    ).json()["version"]
    client.patch(
        f"/api/v1/organizations/{office.organization_id}",
        json={"name": "Renamed Centre (demo)", "version": org_version},
        headers=admin,
    )
    frozen_clock.advance(minutes=1)
    phone_id = office.phones[0].id
    client.patch(
        f"/api/v1/phones/{phone_id}", json={"number": NG_PHONE_2, "version": 1}, headers=admin
    )
    frozen_clock.advance(minutes=1)
    client.post(
        f"/api/v1/contacts/{office.id}/verifications", json={"method": "site_visit"}, headers=admin
    )
    frozen_clock.advance(minutes=1)
    version = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()["version"]
    client.post(
        f"/api/v1/contacts/{office.id}/close",
        json={"version": version, "reason": "moved", "note": "now in Ikeja"},
        headers=admin,
    )

    history = client.get(f"/api/v1/contacts/{office.id}/history", headers=admin).json()
    steps = [(h["entity"], h["field"]) for h in history]
    assert steps == [
        ("organization", "created"),
        ("office", "created"),
        ("office", "city"),
        ("organization", "name"),
        ("phone", "number"),
        ("office", "last_verified_at"),
        ("office", "verification_method"),
        ("office", "verified_by"),
        ("office", "status"),
    ]
    times = [h["changed_at"] for h in history]
    assert times == sorted(times)
    city = history[2]
    assert (city["old_value"], city["new_value"]) == ("Lagos", "Ikeja")
    assert city["source"] == "admin_edit" and city["actor"].startswith("test admin")
    assert history[4]["old_value"] == NG_PHONE and history[4]["new_value"] == NG_PHONE_2
    assert history[5]["source"] == "verification"
    assert (history[-1]["old_value"], history[-1]["new_value"]) == ("active", "closed")
    assert (history[-1]["reason"], history[-1]["note"]) == ("moved", "now in Ikeja")
    assert history[2]["reason"] is None


# ---- writes ---------------------------------------------------------------------------------


def test_admin_creates_a_contact_with_normalised_values(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    org = make_org(db_session)
    db_session.commit()
    resp = client.post(
        "/api/v1/contacts",
        json={
            "organization_id": org.id,
            "name": "  Cafe\u0301   Desk ",
            "country": "ng",
            "region": "ng-la",
            "email": "Desk@Example.ORG",
            "website": "https://example.org/help",
            "languages": ["EN", "yo", "en"],
            "phones": [{"number": "0803 123 4567", "kind": "hotline", "languages": ["EN"]}],
        },
        headers=admin,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["name"] == "Café Desk"  # NFC, trimmed, inner spaces collapsed
    assert (body["country"], body["region"]) == ("NG", "NG-LA")
    assert body["email"] == "Desk@example.org"
    assert body["languages"] == ["en", "yo"]
    assert body["phones"][0]["number"] == NG_PHONE
    assert body["phones"][0]["languages"] == ["en"]
    assert body["last_verified_at"] is None and body["freshness"] == "unverified"
    assert body["version"] == 1


def test_patch_without_a_version_is_428_and_changes_nothing(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session)
    before = directory_state(db_session)
    resp = client.patch(f"/api/v1/contacts/{office.id}", json={"city": "Ikeja"}, headers=admin)
    assert_rejected(resp, 428, "version")
    assert directory_state(db_session) == before


@pytest.mark.parametrize("how", ["if_match", "body"])
def test_stale_version_is_409_and_changes_nothing(
    client: TestClient, db_session: Session, admin: dict[str, str], how: str
) -> None:
    office = saved_office(db_session)
    current = office.version
    before = directory_state(db_session)
    stale = current - 1
    kwargs: dict[str, Any] = (
        {"json": {"city": "Ikeja"}, "headers": {**admin, "If-Match": f'"{stale}"'}}
        if how == "if_match"
        else {"json": {"city": "Ikeja", "version": stale}, "headers": admin}
    )
    resp = client.patch(f"/api/v1/contacts/{office.id}", **kwargs)
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"] == "version_conflict"
    assert body["current_version"] == current
    assert directory_state(db_session) == before
    assert client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()["city"] == "Lagos"


@pytest.mark.parametrize("if_match", ['"{v}"', "{v}", 'W/"{v}"'])
def test_matching_version_saves_and_returns_the_new_version_and_etag(
    client: TestClient, db_session: Session, admin: dict[str, str], if_match: str
) -> None:
    office = saved_office(db_session)
    v = office.version
    resp = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"city": "Ikeja"},
        headers={**admin, "If-Match": if_match.format(v=v)},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == v + 1
    assert resp.headers["ETag"] == f'"{v + 1}"'
    assert resp.json()["city"] == "Ikeja"


def test_a_patch_that_changes_nothing_keeps_the_version(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session)
    before = directory_state(db_session)
    resp = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"city": " Lagos ", "version": office.version},
        headers=admin,
    )
    assert resp.status_code == 200
    assert resp.json()["version"] == office.version
    assert directory_state(db_session) == before


def test_saving_does_not_verify_only_a_verification_does(
    client: TestClient, db_session: Session, admin: dict[str, str], frozen_clock: FrozenClock
) -> None:
    office = saved_office(db_session, verified_at=frozen_clock.now - timedelta(days=170))
    verified_before = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()
    frozen_clock.advance(days=1)
    saved = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"opening_hours": "Mo-Fr 08:00-16:00", "version": verified_before["version"]},
        headers=admin,
    ).json()
    assert saved["last_verified_at"] == verified_before["last_verified_at"]
    assert saved["freshness"] == "due"
    assert saved["updated_at"] != verified_before["updated_at"]

    frozen_clock.advance(days=1)
    verified = client.post(
        f"/api/v1/contacts/{office.id}/verifications",
        json={"method": "email_reply", "note": "Confirmed by the coordinator"},
        headers=admin,
    )
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["last_verified_at"].startswith(frozen_clock.now.date().isoformat())
    assert body["verification_method"] == "email_reply"
    assert body["freshness"] == "verified"


def _verification(payload: dict[str, Any]) -> Callable[[Office], dict[str, Any]]:
    return lambda office: {"json": payload}


# (method, path after the contact's, the request's body and headers for the office, field named)
REFUSED_WRITES: dict[str, tuple[str, str, Callable[[Office], dict[str, Any]], str]] = {
    "If-Match and body version disagree": (
        "PATCH",
        "",
        lambda office: {
            "json": {"city": "Ikeja", "version": office.version},
            "headers": {"If-Match": f'"{office.version + 1}"'},
        },
        "version",
    ),
    "If-Match not a version": (
        "PATCH",
        "",
        lambda office: {"json": {"city": "x"}, "headers": {"If-Match": "*"}},
        "If-Match",
    ),
    "a lone surrogate in text": (
        "PATCH",
        "",
        lambda office: {
            "content": b'{"name": "Desk \\ud800"}',
            "headers": {"If-Match": str(office.version), "Content-Type": "application/json"},
        },
        "name",
    ),
    "verification by telepathy": (
        "POST",
        "/verifications",
        _verification({"method": "telepathy"}),
        "method",
    ),
    "verification as an NGO correction": (
        "POST",
        "/verifications",
        _verification({"method": "ngo_correction"}),
        "method",
    ),
    "verification in 1999": (
        "POST",
        "/verifications",
        _verification({"method": "phone_call", "verified_at": "1999-12-31T00:00:00Z"}),
        "verified_at",
    ),
    "verification in the future": (
        "POST",
        "/verifications",
        lambda office: {
            "json": {
                "method": "phone_call",
                "verified_at": (utcnow() + timedelta(days=1)).isoformat(),
            }
        },
        "verified_at",
    ),
    "verification note with a NUL": (
        "POST",
        "/verifications",
        _verification({"method": "phone_call", "note": "x\x00"}),
        "note",
    ),
    "verification with an unknown field": (
        "POST",
        "/verifications",
        _verification({"method": "phone_call", "extra": 1}),
        "extra",
    ),
}


@pytest.mark.parametrize(
    ("method", "path", "request_for", "field"), REFUSED_WRITES.values(), ids=REFUSED_WRITES
)
def test_refused_contact_writes_are_422_naming_the_field_and_write_nothing(
    client: TestClient,
    db_session: Session,
    admin: dict[str, str],
    method: str,
    path: str,
    request_for: Callable[[Office], dict[str, Any]],
    field: str,
) -> None:
    office = saved_office(db_session)
    sent = request_for(office)
    before = directory_state(db_session)
    headers = {**admin, **sent.pop("headers", {})}
    resp = client.request(method, f"/api/v1/contacts/{office.id}{path}", headers=headers, **sent)
    assert_rejected(resp, 422, field)
    assert directory_state(db_session) == before


def test_closing_a_contact_is_a_status_and_it_leaves_the_search(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session)
    resp = client.post(
        f"/api/v1/contacts/{office.id}/close",
        json={"reason": "closed"},
        headers={**admin, "If-Match": f'"{office.version}"'},
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "closed"
    db_session.expire_all()
    assert db_session.get(Office, office.id) is not None
    assert _search(client, admin, country="NG")["total"] == 0
    assert client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()["status"] == "closed"


def test_phones_are_added_changed_and_disconnected(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session)
    added = client.post(
        f"/api/v1/contacts/{office.id}/phones",
        json={"number": "0803 123 4568", "kind": "whatsapp", "is_24_7": True},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    phone = added.json()
    assert phone["number"] == NG_PHONE_2 and phone["international"] == "+234 803 123 4568"

    stale = client.patch(
        f"/api/v1/phones/{phone['id']}", json={"hours": "24/7", "version": 99}, headers=admin
    )
    assert stale.status_code == 409
    changed = client.patch(
        f"/api/v1/phones/{phone['id']}",
        json={"hours": "24/7"},
        headers={**admin, "If-Match": str(phone["version"])},
    )
    assert changed.status_code == 200
    assert changed.json()["hours"] == "24/7"
    assert changed.json()["version"] == phone["version"] + 1
    missing_version = client.patch(
        f"/api/v1/phones/{phone['id']}", json={"hours": "9-5"}, headers=admin
    )
    assert missing_version.status_code == 428

    closed = client.post(
        f"/api/v1/phones/{phone['id']}/close",
        json={"version": changed.json()["version"], "reason": "wrong_number"},
        headers=admin,
    )
    assert closed.json()["status"] == "disconnected"
    contact = client.get(f"/api/v1/contacts/{office.id}", headers=admin).json()
    assert [p["number"] for p in contact["phones"]] == [NG_PHONE]


@pytest.mark.parametrize(
    ("number", "reason_part"),
    [
        ("123", "not a valid phone number in NG"),
        ("not a number", "not a phone number"),
        (AL_PHONE, "number of AL, not of NG"),
        ("+1 202 555 0", "not a valid phone number"),
    ],
)
def test_invalid_phone_is_422_naming_the_field_and_why(
    client: TestClient, db_session: Session, admin: dict[str, str], number: str, reason_part: str
) -> None:
    office = make_office(db_session)
    phone_id, phone_version = office.phones[0].id, office.phones[0].version
    db_session.commit()
    before = directory_state(db_session)
    resp = client.post(
        f"/api/v1/contacts/{office.id}/phones", json={"number": number}, headers=admin
    )
    assert resp.status_code == 422
    detail = resp.json()["detail"][0]
    assert detail["field"] == "number"
    assert reason_part in detail["reason"]
    patched = client.patch(
        f"/api/v1/phones/{phone_id}",
        json={"number": number, "version": phone_version},
        headers=admin,
    )
    assert patched.status_code == 422
    assert patched.json()["detail"][0]["field"] == "number"
    assert directory_state(db_session) == before


def test_unknown_phone_is_404(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.patch(
        "/api/v1/phones/2147483647", json={"hours": "x", "version": 1}, headers=admin
    )
    assert resp.status_code == 404


def test_hsds_details_are_edited_through_the_api_and_bad_ones_named(
    client: TestClient, db_session: Session
) -> None:
    admin = make_key(db_session, "admin")
    office = make_office(db_session)
    db_session.commit()
    url = f"/api/v1/contacts/{office.id}"
    bad = client.patch(
        url, json={"contacts": [{"name": "Ada", "phone": "1"}], "version": 1}, headers=admin
    )
    assert bad.status_code == 422
    (problem,) = bad.json()["detail"]
    assert problem["field"].startswith("contacts.0.phone") and problem["reason"]
    done = client.patch(
        url,
        json={
            "service_name": "Legal aid clinic",
            "contacts": [{"name": "Ada Example", "title": "Duty lawyer"}],
            "version": office.version,
        },
        headers=admin,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["service_name"] == "Legal aid clinic"
    assert body["contacts"][0]["name"] == "Ada Example" and body["contacts"][0]["source_id"]
