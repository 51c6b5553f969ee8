"""GET /api/v1/contacts.vcf: vCard 4.0, parsed back with vobject."""

from __future__ import annotations

import vobject
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.interop.hsds_vocabulary import hsds_id
from tests.api.support import assert_rejected
from tests.factories import make_key
from tests.interop import sample


def _cards(text: str) -> list[vobject.base.Component]:
    return list(vobject.readComponents(text, validate=True))


def test_vcard_has_one_card_per_office_of_the_region(
    client: TestClient, db_session: Session
) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "officer")
    resp = client.get(
        "/api/v1/contacts.vcf", params={"country": "NG", "region": "NG-LA"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/vcard")
    assert "contacts-NG-NG-LA.vcf" in resp.headers["content-disposition"]
    assert "\r\n" in resp.text
    cards = _cards(resp.text)
    # Lagos office + nationwide police office; not Kano (closed), not the confidential one.
    uids = {c.uid.value for c in cards}
    assert uids == {
        f"urn:uuid:{hsds_id('service', s.lagos.id)}",
        f"urn:uuid:{hsds_id('service', s.national.id)}",
    }
    for c in cards:
        assert c.version.value == "4.0"
        assert c.fn.value
        assert c.org.value
        assert c.tel_list
        for tel in c.tel_list:
            # International text, or a tel: URI where an extension must be dialled too.
            assert tel.value.startswith(("+", "tel:+")), tel.value
            assert tel.params["VALUE"] == ["uri" if tel.value.startswith("tel:") else "text"]
            assert tel.params["TYPE"]
        assert c.adr.value.country == "Nigeria"
        assert c.note.value.startswith(("verified on ", "not yet verified"))
    lagos = next(c for c in cards if c.uid.value.endswith(hsds_id("service", s.lagos.id)))
    assert lagos.fn.value == "Example Legal Aid Centre (demo) – Ikeja office"
    assert lagos.org.value == ["Example Legal Aid Centre (demo)", "Ikeja office"]
    # The first number's extension (12) is RFC 6350's `;ext=` of a tel: URI.
    assert [t.value for t in lagos.tel_list] == [
        "tel:+234-803-123-4567;ext=12",
        "+234 800 123 4567",
    ]
    assert lagos.tel_list[0].params["TYPE"] == ["work", "voice"]
    assert lagos.adr.value.street == "12 Example Street"
    assert lagos.adr.value.city == "Ikeja"
    assert lagos.adr.value.region == "Lagos"
    assert lagos.adr.value.code == "100001"
    assert lagos.note.value.startswith(f"verified on {s.lagos.last_verified_at:%Y-%m-%d}")
    assert "Mon-Fri 09:00-17:00" in lagos.note.value
    assert lagos.email.value == "ikeja@legal.example.org"
    assert sorted(lang.value for lang in lagos.lang_list) == ["en", "yo"]
    national = next(c for c in cards if c.uid.value.endswith(hsds_id("service", s.national.id)))
    assert national.note.value == "not yet verified"
    assert national.tel_list[0].params["TYPE"] == ["work", "cell"]


def test_vcard_never_has_confidential_offices_even_for_admins(
    client: TestClient, db_session: Session
) -> None:
    s = sample.build(db_session)
    headers = make_key(db_session, "admin")
    resp = client.get("/api/v1/contacts.vcf", params={"country": "NG"}, headers=headers)
    assert resp.status_code == 200
    uids = {c.uid.value for c in _cards(resp.text)}
    assert f"urn:uuid:{hsds_id('service', s.hidden.id)}" not in uids
    assert "Safe House" not in resp.text
    assert len(uids) == 2


def test_vcard_escapes_and_folds_long_values(client: TestClient, db_session: Session) -> None:
    s = sample.build(db_session)
    from app.directory import service
    from app.directory.provenance import Provenance

    service.update_office(
        db_session,
        office_id=s.sao_paulo.id,
        changes={
            "name": "Unidade; Centro, Sul \\ Atendimento " + "ç" * 80,
            "opening_hours": "Seg-Sex\n08:00-18:00",
        },
        expected_version=s.sao_paulo.version,
        provenance=Provenance(actor="t", source="test", approved_by="t"),
    )
    headers = make_key(db_session, "ngo", organization_id=s.ngo.id)
    resp = client.get("/api/v1/contacts.vcf", params={"region": "BR-SP"}, headers=headers)
    assert resp.status_code == 200
    assert all(len(line.encode()) <= 75 for line in resp.text.split("\r\n"))
    (card,) = _cards(resp.text)
    assert card.org.value[1] == "Unidade; Centro, Sul \\ Atendimento " + "ç" * 80
    assert card.note.value.endswith("hours: Seg-Sex\n08:00-18:00")
    assert [t.value for t in card.tel_list] == ["+55 11 2345-6789", "+55 11 91234-5678"]


def test_vcard_needs_a_key_and_checks_the_region(client: TestClient, db_session: Session) -> None:
    assert client.get("/api/v1/contacts.vcf").status_code == 401
    headers = make_key(db_session, "officer")
    resp = client.get(
        "/api/v1/contacts.vcf", params={"country": "NG", "region": "AL-11"}, headers=headers
    )
    assert_rejected(resp, 422, "region")
