"""Homeward's ORAPI against Open Referral's own openapi.json, operation by operation.

Status codes: Open Referral documents only 200. Homeward's ORAPI also answers 401 (no key,
or a bad one), 404 (an id no record has, or one the key may not see) and 422 (a parameter
it cannot use, the body naming it), and documents each in `GET /hsds/openapi.json` for the
operations that can answer it. It never answers 403: every role reads ORAPI. So a client
generated from Open Referral's spec meets 200 for every valid call, and every other status it
meets is documented for that operation in Homeward's spec.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import unit_of_work
from app.interop.hsds_vocabulary import TERMS_BY_CODE, hsds_id, taxonomy_id
from app.interop.orapi_spec import OPEN_REFERRAL_SCHEMAS, with_published_refs
from bench.local_server import local_server
from tests.api.orapi_check import check_response, check_schema
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_key
from tests.interop import sample
from tests.interop.spec import load, needs_spec

pytestmark = needs_spec

# Open Referral's 3.0.1 fix (specification PR #574): this operation returns a fully nested
# service_at_location, not a service as 3.0's openapi.json says.
BODY_SCHEMA = {"/service_at_locations/{id}": "compiled/service_at_location.json"}


def _open_referral() -> dict[str, Any]:
    return load("schema/openapi.json")


def _parameters(path: str) -> list[dict[str, Any]]:
    spec = _open_referral()
    item = spec["paths"][path]
    found = []
    for param in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        found.append(param)
    return found


def _operations() -> list[str]:
    return list(_open_referral()["paths"])


def test_every_operation_and_parameter_is_served_and_described(
    client: TestClient, db_session: Session
) -> None:
    assert client.get("/hsds/openapi.json").status_code == 401
    ours = client.get("/hsds/openapi.json", headers=make_key(db_session, "officer"))
    assert ours.status_code == 200
    spec = ours.json()
    assert spec["servers"] == [{"url": "http://testserver/hsds"}]
    for path in _operations():
        operation = _open_referral()["paths"][path]["get"]
        served = spec["paths"][path]["get"]
        assert served["operationId"] == operation["operationId"]
        names = {(p["in"], p["name"]) for p in served.get("parameters", [])}
        for param in _parameters(path):
            assert (param["in"], param["name"]) in names, (path, param["name"])
        assert "200" in served["responses"]
        assert "401" in served["responses"]


def test_the_description_is_cut_from_the_apps_own(client: TestClient, db_session: Session) -> None:
    app_spec = client.get("/openapi.json").json()
    ours = client.get("/hsds/openapi.json", headers=make_key(db_session, "officer")).json()
    hsds_paths = {
        p.removeprefix("/hsds") or "/" for p in app_spec["paths"] if p.startswith("/hsds/")
    }
    assert set(ours["paths"]) == hsds_paths
    for path, item in ours["paths"].items():
        own = app_spec["paths"]["/hsds/" if path == "/" else f"/hsds{path}"]
        assert item == with_published_refs(own)
    # The app's own description (/docs, /redoc) points at nothing on another host: the docs
    # pages work with no network. The ORAPI's clients get Open Referral's published schemas.
    assert OPEN_REFERRAL_SCHEMAS not in json.dumps(app_spec).replace(
        f"schema {OPEN_REFERRAL_SCHEMAS}", ""
    )
    assert f'"$ref": "{OPEN_REFERRAL_SCHEMAS}compiled/service_list.json"' in json.dumps(ours)
    refs = json.dumps(ours["paths"])
    for section, names in ours["components"].items():
        for name in names:
            assert section == "securitySchemes" or f"#/components/{section}/{name}" in refs


def _valid_values(s: sample.Sample) -> dict[str, str]:
    return {
        "search": "lagos",
        "page": "1",
        "per_page": "10",
        "format": "json",
        "taxonomy_term_id": TERMS_BY_CODE["category:lawyer"].id,
        "taxonomy_id": taxonomy_id(),
        "organization_id": hsds_id("organization", s.ngo.id),
        "modified_after": "2026-01-01T00:00:00Z",
        "minimal": "false",
        "full": "true",
        "full_service": "true",
        "postcode": "100001",
        "proximity": "5000",
        "top_only": "true",
        "parent_id": TERMS_BY_CODE["category:lawyer"].id,
    }


INVALID = {
    "integer": ["0", "ten", "99999999999"],
    "boolean": ["maybe"],
    "string": ["a\x00b", "x" * 300],
}
INVALID_BY_NAME = {
    "format": ["xml"],
    "modified_after": ["yesterday"],
    "proximity": ["far", "-1"],
}


def _ids_for(s: sample.Sample) -> dict[str, str]:
    return {
        "/services/{id}": hsds_id("service", s.lagos.id),
        "/service_at_locations/{id}": hsds_id("service_at_location", s.lagos.id),
        "/organizations/{id}": hsds_id("organization", s.ngo.id),
        "/taxonomies/{id}": taxonomy_id(),
        "/taxonomy_terms/{id}": TERMS_BY_CODE["category:lawyer"].id,
    }


# A parameter that only works with another: proximity is metres from a postcode's centroid.
WITH = {"proximity": {"postcode": "100001"}}


def test_a_client_of_open_referrals_spec_meets_only_documented_statuses(
    client: TestClient, db_session: Session
) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    db_session.commit()
    ours = client.get("/hsds/openapi.json", headers=headers).json()
    valid = _valid_values(s)
    ids = _ids_for(s)
    for path in _operations():
        documented = set(_open_referral()["paths"][path]["get"]["responses"])
        documented |= set(ours["paths"][path]["get"]["responses"])
        url = "/hsds" + path.replace("{id}", ids.get(path, ""))
        query = [p for p in _parameters(path) if p["in"] == "query"]

        def call(
            params: dict[str, str], target: str, documented: set[str], *, key: bool = True
        ) -> Any:
            resp = client.get(target, params=params, headers=headers if key else {})
            assert str(resp.status_code) in documented, (target, params, resp.status_code)
            return resp

        every = call({p["name"]: valid[p["name"]] for p in query}, url, documented)
        assert every.status_code == 200, (path, every.text)
        for param in [None, *query]:
            params = {} if param is None else {param["name"]: valid[param["name"]]}
            if param is not None:
                params |= WITH.get(param["name"], {})
            resp = call(params, url, documented)
            assert resp.status_code == 200, (path, params, resp.text)
            if path in BODY_SCHEMA:
                check_schema(BODY_SCHEMA[path], resp.json())
            else:
                check_response(path, resp.json())
        for param in query:
            kind = param["schema"]["type"]
            for bad in INVALID_BY_NAME.get(param["name"], INVALID[kind]):
                params = {**WITH.get(param["name"], {}), param["name"]: bad}
                resp = call(params, url, documented)
                assert resp.status_code == 422, (path, param["name"], bad, resp.text)
                assert resp.json()["detail"][0]["field"] == param["name"]
        if "{id}" in path:
            missing = "/hsds" + path.replace("{id}", "00000000-0000-4000-8000-000000000000")
            resp = call({}, missing, documented)
            assert resp.status_code == 404 and resp.json()["detail"][0]["field"] == "id"
        assert call({}, url, documented, key=False).status_code == 401


@pytest.fixture
def served(committed_engine: Engine) -> Iterator[tuple[str, dict[str, str]]]:
    """uvicorn on 127.0.0.1 over the test database, with a committed admin key and the
    sample directory, started as `homeward serve` starts it (proxy headers on)."""
    with unit_of_work(committed_engine) as session:
        sample.build(session)
        headers = make_key(session, "admin")  # every record, the confidential one included
    env = {
        "DATABASE_URL": TEST_DATABASE_URL,
        "HOMEWARD_SECRET_KEY": secrets.token_urlsafe(32),
        "HOMEWARD_VAR_DIR": tempfile.mkdtemp(prefix="homeward-orapi-"),
    }
    with local_server(
        env, uvicorn_args=["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    ) as (base, _):
        yield base, headers


def test_behind_a_proxy_the_openapi_url_is_the_address_asked(
    served: tuple[str, dict[str, str]],
) -> None:
    base, headers = served
    proxied = {**headers, "Host": "directory.example.org", "X-Forwarded-Proto": "https"}
    root = httpx.get(f"{base}/hsds/", headers=proxied, timeout=30).json()
    assert root["openapi_url"] == "https://directory.example.org/hsds/openapi.json"
    spec = httpx.get(f"{base}/hsds/openapi.json", headers=proxied, timeout=30).json()
    assert spec["servers"] == [{"url": "https://directory.example.org/hsds"}]
    direct = httpx.get(f"{base}/hsds/", headers=headers, timeout=30).json()
    assert direct["openapi_url"] == f"{base}/hsds/openapi.json"
    with httpx.stream(
        "GET", f"{base}/hsds/services", params={"format": "ndjson"}, headers=headers, timeout=30
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in resp.iter_lines() if line]
    assert len(lines) == 6
