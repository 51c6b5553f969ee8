from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_key, make_office, make_org


def test_officer_finds_regional_and_national_offices(
    client: TestClient, db_session: Session
) -> None:
    headers = make_key(db_session, "officer")
    police = make_org(db_session, name="Example Police Unit (demo)", category="law_enforcement")
    make_office(db_session, org=police, region=None)
    make_office(db_session, name="Ikeja office")
    make_office(db_session, region="NG-KN", city="Kano")
    db_session.commit()
    resp = client.get(
        "/api/v1/contacts", params={"country": "NG", "region": "NG-LA"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total"] == 2
    assert [i["category"] for i in body["items"]] == ["law_enforcement", "ngo"]
    assert body["items"][0]["nationwide"] is True
    assert body["items"][1]["phones"][0]["international"] == "+234 803 123 4567"
