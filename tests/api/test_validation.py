"""Bad input: on the write path a 4xx JSON body naming the field and the reason, and nothing
written; on reads a 422 naming the parameter. Covers the rules of the directory core
(countries, regions, phones, emails, URLs, text, unknown fields, malformed JSON, body size)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import get_settings
from app.directory.models import Office
from tests.api.support import assert_rejected, saved_office
from tests.db_state import directory_state
from tests.factories import AL_PHONE, NG_PHONE

OFFICE_CASES = [
    # country: ISO 3166-1 alpha-2 only
    ({"country": "XX"}, "country", "not an ISO 3166-1"),
    ({"country": "ZZ"}, "country", "not an ISO 3166-1"),
    ({"country": "N1"}, "country", "not an ISO 3166-1"),
    ({"country": "NGA"}, "country", "at most 2"),
    # region: an ISO 3166-2 subdivision of THAT country
    ({"region": "AL-01"}, "region", "not an ISO 3166-2 subdivision of NG"),
    ({"region": "NG-XX"}, "region", "not an ISO 3166-2 subdivision of NG"),
    ({"region": "LA"}, "region", "at least 4"),
    # phones: parsed in the office's country, valid there
    ({"phones": [{"number": "12345"}]}, "phones[0].number", "not a valid phone number in NG"),
    ({"phones": [{"number": NG_PHONE}, {"number": AL_PHONE}]}, "phones[1].number", "of AL"),
    ({"phones": [{"number": "call us"}]}, "phones[0].number", "not a phone number"),
    ({"phones": [{"number": NG_PHONE, "kind": "pigeon"}]}, "phones.0.kind", "Input should be"),
    ({"phones": [{"number": NG_PHONE, "languages": ["xx"]}]}, "phones.0.languages.0", "ISO 639-1"),
    # email via email-validator, no DNS
    ({"email": "desk@"}, "email", "not a valid email address"),
    ({"email": "desk example.org"}, "email", "not a valid email address"),
    # websites: http(s) only
    ({"website": "ftp://example.org/"}, "website", "http"),
    ({"website": "javascript:alert(1)"}, "website", "http"),
    ({"website": "file:///etc/passwd"}, "website", "http"),
    # text: trimmed, NFC, limits, no control characters
    ({"name": "n" * 201}, "name", "at most 200"),
    ({"city": "Lagos\x00"}, "city", "control character"),
    ({"address": "a" * 501}, "address", "at most 500"),
    ({"opening_hours": "9\x07-5"}, "opening_hours", "control character"),
    ({"postal_code": "1" * 21}, "postal_code", "at most 20"),
    # numbers and enums
    ({"latitude": 91}, "latitude", "less than or equal to 90"),
    ({"longitude": -181}, "longitude", "greater than or equal to -180"),
    ({"status": "open"}, "status", "Input should be"),
    ({"languages": ["english"]}, "languages.0", ""),
    ({"meets_on_arrival": "sometimes"}, "meets_on_arrival", ""),
    # unknown fields are refused, not ignored
    ({"last_verified_at": "2026-01-01T00:00:00Z"}, "last_verified_at", "Extra inputs"),
    ({"version": 3}, "version", "Extra inputs"),
]


PATCH_CASES = [
    ({"region": "AL-01"}, "region", "of NG"),
    ({"country": "AL"}, "region", "not an ISO 3166-2 subdivision of AL"),  # NG-LA kept
    ({"country": None}, "country", "cannot be null"),
    ({"status": None}, "status", "cannot be null"),
    ({"meets_on_arrival": None}, "meets_on_arrival", "cannot be null"),
    ({"email": "nope"}, "email", "email"),
    ({"website": "ftp://example.org"}, "website", "http"),
    ({"verified_by": "me"}, "verified_by", "Extra inputs"),
    ({"organization_id": 2}, "organization_id", "Extra inputs"),
]


ORGANISATION_CASES = [
    ({"category": "ngo"}, "name"),
    ({"name": "   ", "category": "ngo"}, "name"),
    ({"name": "x" * 201, "category": "ngo"}, "name"),
    ({"name": "A\x00B", "category": "ngo"}, "name"),
    ({"name": "A", "category": "bakery"}, "category"),
    ({"name": "A", "category": "ngo", "website": "ftp://example.org"}, "website"),
    ({"name": "A", "category": "ngo", "website": "javascript:alert(1)"}, "website"),
    ({"name": "A", "category": "ngo", "website": "example.org"}, "website"),
    ({"name": "A", "category": "ngo", "website": "https://e.org/" + "a" * 500}, "website"),
    ({"name": "A", "category": "ngo", "email": "not-an-email"}, "email"),
    ({"name": "A", "category": "ngo", "email": "a@b"}, "email"),
    ({"name": "A", "category": "ngo", "services": ["spa"]}, "services.0"),
    ({"name": "A", "category": "ngo", "description": "d" * 4001}, "description"),
    ({"name": "A", "category": "ngo", "confidential": "maybe"}, "confidential"),
    ({"name": "A", "category": "ngo", "status": "closed"}, "status"),
    ({"name": "A", "category": "ngo", "id": 7}, "id"),
]

# A bad request for a saved office: method, URL, and the body (and headers) sent.
BadRequest = tuple[str, str, dict[str, Any]]


def _new_contact(change: dict[str, Any]) -> Callable[[Office], BadRequest]:
    def request(office: Office) -> BadRequest:
        body = {"organization_id": office.organization_id, "country": "NG", "region": "NG-LA"}
        return "POST", "/api/v1/contacts", {"json": body | change}

    return request


def _contact_change(change: dict[str, Any]) -> Callable[[Office], BadRequest]:
    # A new country keeps the office's region (NG-LA) unless the change names one.
    moving = "country" in change and change["country"] is not None
    body = {**change, "region": change.get("region", "NG-LA")} if moving else change

    def request(office: Office) -> BadRequest:
        headers = {"If-Match": str(office.version)}
        return "PATCH", f"/api/v1/contacts/{office.id}", {"json": body, "headers": headers}

    return request


def _new_organisation(payload: dict[str, Any]) -> Callable[[Office], BadRequest]:
    return lambda office: ("POST", "/api/v1/organizations", {"json": payload})


BAD_WRITES = [
    *[(_new_contact(change), field, reason) for change, field, reason in OFFICE_CASES],
    *[(_contact_change(change), field, reason) for change, field, reason in PATCH_CASES],
    *[(_new_organisation(payload), field, "") for payload, field in ORGANISATION_CASES],
]


@pytest.mark.parametrize(("request_for", "field", "reason_part"), BAD_WRITES)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    db_session: Session,
    admin: dict[str, str],
    request_for: Callable[[Office], BadRequest],
    field: str,
    reason_part: str,
) -> None:
    """New contacts, contact changes and new organisations."""
    method, url, sent = request_for(saved_office(db_session))
    before = directory_state(db_session)
    headers = {**admin, **sent.pop("headers", {})}
    resp = client.request(method, url, headers=headers, **sent)
    assert_rejected(resp, 422, field, reason_part, error="validation_error")
    assert directory_state(db_session) == before


def test_moving_a_contact_to_another_country_needs_a_region_of_that_country(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    office = saved_office(db_session, phones=[])
    resp = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"country": "AL", "region": "AL-11"},
        headers={**admin, "If-Match": str(office.version)},
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["country"], resp.json()["region"]) == ("AL", "AL-11")
    moved_nationwide = client.patch(
        f"/api/v1/contacts/{office.id}",
        json={"country": "NG"},
        headers={**admin, "If-Match": str(resp.json()["version"])},
    )
    assert moved_nationwide.json()["region"] is None


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": "A", "category": ', "application/json"),
        (b"{'name': 'A'}", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"name=A&category=ngo", "application/x-www-form-urlencoded"),
        (b"<xml/>", "text/xml"),
    ],
)
def test_malformed_bodies_are_a_json_4xx_and_write_nothing(
    client: TestClient,
    db_session: Session,
    admin: dict[str, str],
    content: bytes,
    content_type: str,
) -> None:
    before = directory_state(db_session)
    resp = client.post(
        "/api/v1/organizations",
        content=content,
        headers={**admin, "Content-Type": content_type},
    )
    assert 400 <= resp.status_code < 500, resp.text
    body = resp.json()
    assert body["detail"][0]["field"] == "body"
    assert body["detail"][0]["reason"]
    assert directory_state(db_session) == before


def test_malformed_json_says_where(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/organizations",
        content=b'{"name": "A",, "category": "ngo"}',
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_rejected(resp, 422, "body", "malformed JSON at character")


def test_body_over_the_size_limit_is_413_json(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    limit = get_settings().max_body_bytes
    before = directory_state(db_session)
    big = b'{"name": "' + b"a" * limit + b'", "category": "ngo"}'
    resp = client.post(
        "/api/v1/organizations", content=big, headers={**admin, "Content-Type": "application/json"}
    )
    assert_rejected(resp, 413, "body", f"over {limit} bytes")
    assert directory_state(db_session) == before


def test_chunked_body_over_the_size_limit_is_413_json(
    client: TestClient, db_session: Session, admin: dict[str, str]
) -> None:
    """No Content-Length to trust: the limit is enforced while the body streams in."""
    limit = get_settings().max_body_bytes
    before = directory_state(db_session)

    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(limit // 10_000 + 2):
            yield b"a" * 10_000
        yield b'", "category": "ngo"}'

    resp = client.post(
        "/api/v1/organizations",
        content=chunks(),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert_rejected(resp, 413, "body", "over")
    assert directory_state(db_session) == before


def test_a_body_just_under_the_limit_is_read_normally(
    client: TestClient, admin: dict[str, str]
) -> None:
    padding = " " * (get_settings().max_body_bytes - 200)
    content = f'{{"name": "Example Aid (demo)",{padding}"category": "ngo"}}'.encode()
    resp = client.post(
        "/api/v1/organizations",
        content=content,
        headers={**admin, "Content-Type": "application/json"},
    )
    assert resp.status_code == 201, resp.text


def test_every_error_of_a_request_is_listed(client: TestClient, admin: dict[str, str]) -> None:
    resp = client.post(
        "/api/v1/organizations",
        json={"name": "", "category": "nope", "website": "ftp://x.org", "colour": "blue"},
        headers=admin,
    )
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json()["detail"]}
    assert fields == {"name", "category", "website", "colour"}


def test_unknown_routes_and_methods_answer_json(client: TestClient, admin: dict[str, str]) -> None:
    missing = client.get("/api/v1/nothing-here", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"] == "http_error"
    wrong_method = client.delete("/api/v1/contacts", headers=admin)
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"][0]["reason"]


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/keys", {"name": "desk", "role": "superuser"}, "role"),
        ("/api/v1/keys", {"name": "  ", "role": "officer"}, "name"),
        ("/api/v1/keys", {"name": "desk\x00", "role": "officer"}, "name"),
        ("/api/v1/keys", {"name": "desk", "role": "ngo"}, "organization_id"),
        (
            "/api/v1/keys",
            {"name": "desk", "role": "ngo", "organization_id": 2147483647},
            "organization_id",
        ),
        (
            "/api/v1/keys",
            {"name": "desk", "role": "officer", "organization_id": 0},
            "organization_id",
        ),
        ("/api/v1/keys", {"name": "desk", "role": "officer", "scopes": ["all"]}, "scopes"),
    ],
)
def test_bad_key_requests_are_422_and_create_nothing(
    client: TestClient,
    db_session: Session,
    admin: dict[str, str],
    url: str,
    payload: dict[str, Any],
    field: str,
) -> None:
    before = directory_state(db_session)
    assert_rejected(client.post(url, json=payload, headers=admin), 422, field)
    assert directory_state(db_session) == before


# (path, query, the parameter named): contact search, one contact, countries and regions.
BAD_READS = [
    ("/api/v1/contacts", {"country": "XX"}, "country"),
    ("/api/v1/contacts", {"country": "NGA"}, "country"),
    ("/api/v1/contacts", {"country": "NG", "region": "AL-01"}, "region"),
    ("/api/v1/contacts", {"region": "XX-01"}, "country"),
    ("/api/v1/contacts", {"category": "baker"}, "category.0"),
    ("/api/v1/contacts", {"service": "spa"}, "service.0"),
    ("/api/v1/contacts", {"status": "open"}, "status.0"),
    ("/api/v1/contacts", {"freshness": "mouldy"}, "freshness.0"),
    ("/api/v1/contacts", {"language": "english"}, "language.0"),
    ("/api/v1/contacts", {"language": "\x00"}, "language.0"),
    ("/api/v1/contacts", {"q": "a\x00b"}, "q"),
    ("/api/v1/contacts", {"q": "x" * 201}, "q"),
    ("/api/v1/contacts", {"page": 0}, "page"),
    ("/api/v1/contacts", {"page": 100_001}, "page"),
    ("/api/v1/contacts", {"page": "two"}, "page"),
    ("/api/v1/contacts", {"per_page": 0}, "per_page"),
    ("/api/v1/contacts", {"per_page": 201}, "per_page"),
    ("/api/v1/contacts", {"verified_within_days": -1}, "verified_within_days"),
    ("/api/v1/contacts", {"include_national": "perhaps"}, "include_national"),
    *[
        (f"/api/v1/contacts/{office_id}", {}, "office_id")
        for office_id in ["0", "-1", "99999999999999999999", "abc", "1.5"]
    ],
    *[
        (f"/api/v1/countries/{country}/regions", {}, "country")
        for country in ["XX", "NGA", "N", "%00", "12"]
    ],
    *[
        ("/api/v1/countries", {"lang": lang}, "lang")
        for lang in ["", "a", "e/n", "en;drop", "x" * 9]
    ],
]


@pytest.mark.parametrize(("path", "params", "field"), BAD_READS)
def test_bad_read_parameters_are_422_naming_the_parameter(
    client: TestClient, officer: dict[str, str], path: str, params: dict[str, Any], field: str
) -> None:
    resp = client.get(path, params=params, headers=officer)
    assert_rejected(resp, 422, field, error="validation_error")
