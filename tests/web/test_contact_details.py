"""The contact page and the contact JSON of an imported HSDS service: what Homeward models of
it (service name, extension, second address line, language notes, named contacts, service
area, accessibility, organisation identifiers) is shown."""

from __future__ import annotations

import html
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.interop import hsds_import
from app.kit.principal import Principal
from app.review import decisions
from tests.factories import make_key
from tests.interop.spec import SPEC, needs_spec
from tests.web.signed_in import sign_in


@needs_spec
def test_the_contact_page_shows_what_an_hsds_import_brings(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    given = json.loads((SPEC / "examples" / "service_full.json").read_text(encoding="utf-8"))
    given["service_at_locations"][0]["location"]["addresses"][0]["country"] = "GB"
    path = tmp_path / "service.json"
    path.write_text(json.dumps(given), encoding="utf-8")
    report = hsds_import.import_path(db_session, path)
    # The reviewer sees what the import proposes before approving it.
    sign_in(client, db_session, "reviewer")
    proposed = html.unescape(client.get(f"/review/{report.submission_ids[0]}").text)
    assert "Community Counselling" in proposed
    assert "name: Ann Persona, title: Reception Manager" in proposed
    assert "identifier_scheme: GB-COH" in proposed
    client.cookies.clear()
    reviewer = Principal(name="Reviewer Rui", role="reviewer", key_id=None)
    decisions.approve(db_session, submission_id=report.submission_ids[0], reviewer=reviewer)
    office = db_session.execute(select(Office)).scalars().one()
    sign_in(client, db_session, "officer")
    page = client.get(f"/contacts/{office.id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert '<span class="service-name">Community Counselling</span>' in text
    assert "ext.</span>" not in text and "ext. 100" in text
    assert '<span class="address-2">MyVillage</span>' in text
    assert "(Translation services provided via bilingual staff when they are available)" in text
    assert "Ann Persona · Reception Manager · Reception · email@example.com" in text
    assert "Switch hearing aid to T-coil" in text
    assert "GB-COH · Company number: 1234567" in text
    assert "Service area" in text and "all residents of the MyCity area" in text
    listed = client.get("/officer/contacts?country=GB&every_region=1")
    assert listed.status_code == 200
    assert '<p class="service-name">Community Counselling</p>' in listed.text
    found = client.get("/officer/contacts?country=GB&every_region=1&q=counselling")
    assert '<p class="service-name">Community Counselling</p>' in found.text  # searchable
    client.cookies.clear()
    body = client.get(f"/api/v1/contacts/{office.id}", headers=make_key(db_session, "officer"))
    assert body.status_code == 200, body.text[:300]
    contact = body.json()
    assert contact["service_name"] == "Community Counselling"
    assert contact["phones"][0]["extension"] == "100"
    assert contact["contacts"][0]["name"] == "Ann Persona"
    assert contact["organization"]["identifiers"][0]["identifier"] == "1234567"
