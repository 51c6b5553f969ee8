from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from tests.factories import make_key
from tests.sheets.directory import build_lagos_directory

URL = "/api/v1/sheets/NG"


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("reviewer", 200), ("officer", 200), ("ngo", 403)]
)
def test_sheets_are_for_officers_and_above(
    client: TestClient, db_session: Session, role: str, status: int
) -> None:
    org_id = None
    if role == "ngo":
        from tests.factories import make_org

        org_id = make_org(db_session).id
    headers = make_key(db_session, role, organization_id=org_id)
    db_session.commit()
    resp = client.get(URL, params={"region": "NG-LA", "format": "html"}, headers=headers)
    assert resp.status_code == status, resp.text
    preview = client.get(f"{URL}/preview", params={"region": "NG-LA"}, headers=headers)
    assert preview.status_code == status


def test_sheet_needs_a_key(client: TestClient) -> None:
    assert client.get(URL).status_code == 401


def test_pdf_sheet_for_a_region(client: TestClient, db_session: Session) -> None:
    build_lagos_directory(db_session)
    headers = make_key(db_session, "officer")
    db_session.commit()
    resp = client.get(URL, params={"region": "NG-LA", "lang": "fr", "lang2": "en"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    snapshot = resp.headers["x-snapshot-id"]
    assert snapshot in resp.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.content)).pages)
    assert "Contacts utiles" in text and "Example Support Centre (demo)" in text
    assert "Confidential Safe House" not in text and "Stale Shelter" not in text
    assert snapshot in text


def test_html_pocket_sheet(client: TestClient, db_session: Session) -> None:
    build_lagos_directory(db_session)
    headers = make_key(db_session, "officer")
    db_session.commit()
    resp = client.get(
        URL,
        params={"region": "ng-la", "lang": "th", "format": "html", "size": "pocket"},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    assert '<html lang="th" dir="ltr">' in resp.text
    assert "size: A6;" in resp.text


def test_preview_lists_left_out_offices_and_is_never_the_sheet(
    client: TestClient, db_session: Session
) -> None:
    build_lagos_directory(db_session)
    headers = make_key(db_session, "officer")
    db_session.commit()
    resp = client.get(f"{URL}/preview", params={"region": "NG-LA"}, headers=headers)
    assert resp.status_code == 200
    page = resp.text
    for name, reason in [
        ("Stale Shelter (demo)", "stale"),
        ("Closed Clinic (demo)", "closed"),
        ("Paused Drop-in (demo)", "temporarily_closed"),
        ("Unverified Helpers (demo)", "unverified"),
        ("Confidential Safe House (demo)", "confidential"),
    ]:
        assert name in page and f'<td class="reason">{reason}</td>' in page
    assert "Anti-Trafficking Unit (demo)" in page  # officers see what was withheld, and why

    sheet = client.get(URL, params={"region": "NG-LA", "format": "html"}, headers=headers)
    assert resp.headers["x-snapshot-id"] == sheet.headers["x-snapshot-id"]
    for absent in ("Stale Shelter", "Confidential", "Left out", "temporarily_closed"):
        assert absent not in sheet.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/sheets/ZZ", {}, "country"),
        (URL, {"region": "AL-01"}, "region"),
        (URL, {"lang": "xx"}, "lang"),
        (URL, {"lang": "de"}, "lang"),
        (URL, {"lang2": "qq"}, "lang2"),
        (URL, {"format": "docx"}, "format"),
        (URL, {"size": "a3"}, "size"),
        (f"{URL}/preview", {"lang": "zz"}, "lang"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    client: TestClient, db_session: Session, path: str, params: dict[str, str], field: str
) -> None:
    headers = make_key(db_session, "officer")
    db_session.commit()
    resp = client.get(path, params=params, headers=headers)
    assert resp.status_code == 422, resp.text
    assert field in [d["field"] for d in resp.json()["detail"]]


def test_a_refusal_stays_english_in_the_api_whatever_the_browser_speaks(
    client: TestClient, db_session: Session
) -> None:
    headers = {**make_key(db_session, "officer"), "Accept-Language": "fr"}
    db_session.commit()
    resp = client.get(URL, params={"lang": "de"}, headers=headers)
    assert resp.status_code == 422, resp.text
    [detail] = resp.json()["detail"]
    assert detail["field"] == "lang"
    assert detail["reason"].startswith("no sheet catalog for 'de'; available: ar, en, ")
