"""An import's findings (values left out for the reviewer) through the real app: in the
reviewer's submission JSON and page, filled in when approving; never in what partners see."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.interop import hsds_import
from app.review.models import Submission
from tests.factories import make_key, make_org
from tests.interop.queued import queue_without_country
from tests.interop.spec import needs_spec

URL = "/api/v1/submissions"
FIXTURE = Path(__file__).parents[1] / "interop" / "fixtures" / "hsds_2_0"


def _flagged_import(session: Session, tmp_path: Path) -> int:
    package = tmp_path / "package"
    shutil.copytree(FIXTURE, package)
    path = package / "physical_addresses.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",AL-11,", ",Nowhere,"), "utf-8")
    locations = package / "locations.csv"
    locations.write_text(
        locations.read_text(encoding="utf-8").replace(",41.33,", ",141.33,"), "utf-8"
    )
    report = hsds_import.import_path(session, package)
    assert report.flagged == 1
    return report.submission_ids[0]


def _signed_in(client: TestClient, key: dict[str, str]) -> TestClient:
    own = TestClient(client.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', own.get("/signin").text)
    assert token is not None
    secret = key["Authorization"].removeprefix("Bearer ")
    signed = own.post(
        "/signin",
        data={"csrf_token": token.group(1), "key": secret, "next": ""},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    return own


def test_reviewer_json_carries_findings_and_partners_never_see_them(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    sid = _flagged_import(db_session, tmp_path)
    reviewer = make_key(db_session, "reviewer")
    partner = make_key(db_session, "ngo", organization_id=make_org(db_session).id)
    db_session.commit()
    body = client.get(f"{URL}/{sid}", headers=reviewer).json()
    by_field = {f["field"]: f for f in body["findings"]}
    assert by_field["office.region"]["value"] == "Nowhere"
    assert by_field["office.latitude"]["value"] == 141.33
    assert all(f["reason"] for f in body["findings"])
    assert client.get(f"{URL}/{sid}", headers=partner).status_code == 404
    listed = client.get(URL, headers=partner).json()
    assert all("findings" not in item for item in listed["items"])
    assert "findings" not in client.get(URL, headers=reviewer).json()["items"][0]


def test_reviewer_page_flags_the_fields_and_fills_one_when_approving(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    sid = _flagged_import(db_session, tmp_path)
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()
    page = _signed_in(client, reviewer)
    html = page.get(f"/review/{sid}").text
    assert "Left out by the import" in html and "Nowhere" in html and "141.33" in html
    assert 'name="edit:office.latitude"' in html  # left out: the reviewer may fill it in
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    sub = db_session.get(Submission, sid)
    assert sub is not None
    fields = [*sub.changes, "office.latitude"]
    form = {
        "csrf_token": token.group(1),
        "version": str(sub.version),
        "field": fields,
        "edit:office.latitude": "41.33",
        "edit:office.region": "AL-11",
    }
    done = page.post(f"/review/{sid}/approve", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text[-2000:]
    db_session.expire_all()
    sub = db_session.get(Submission, sid)
    assert sub is not None and sub.status == "approved"
    assert sub.applied is not None
    assert sub.applied["office.latitude"] == 41.33 and sub.applied["office.region"] == "AL-11"


@needs_spec
def test_approving_an_import_without_a_country_is_refused_naming_the_field(
    client: TestClient, db_session: Session
) -> None:
    sid = queue_without_country(db_session)
    reviewer = make_key(db_session, "reviewer")
    db_session.commit()
    body = client.get(f"{URL}/{sid}", headers=reviewer).json()
    assert [f["path"] for f in body["findings"]] == ["office.country"]
    waiting = client.get(f"{URL}?country=ZZ", headers=reviewer)
    assert waiting.status_code == 200 and [i["id"] for i in waiting.json()["items"]] == [sid]
    refused = client.post(f"{URL}/{sid}/approve", headers=reviewer, json={})
    assert refused.status_code == 422, refused.text
    assert "office.country" in refused.text and "give it before approving" in refused.text
    db_session.expire_all()
    sub = db_session.get(Submission, sid)
    assert sub is not None and sub.status == "pending" and sub.office_id is None
    done = client.post(
        f"{URL}/{sid}/approve", headers=reviewer, json={"edits": {"office.country": "GB"}}
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"
