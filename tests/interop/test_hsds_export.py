"""HSDS exports checked against what Open Referral publishes (../shared/hsds-3.0)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from frictionless import Package, validate
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy.orm import Session

from app.interop import hsds_export
from app.interop.hsds_tables import TABLES
from app.interop.hsds_vocabulary import NOT_RECORDED, hsds_id
from tests.interop import sample
from tests.interop.spec import load, needs_spec


def _export(session: Session, tmp_path: Path, **kwargs: Any) -> Path:
    out = tmp_path / "hsds"
    hsds_export.write_tabular(session, out, **kwargs)
    return out


def _rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _errors(report: Any) -> list[list[Any]]:
    return report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])


@needs_spec
def test_our_field_list_is_the_published_one() -> None:
    official = {r["name"]: r for r in load("datapackage.json")["resources"]}
    assert [t.name for t in TABLES] == list(official)
    for table in TABLES:
        theirs = official[table.name]
        assert table.path == theirs["path"]
        ours = table.descriptor()["schema"]
        assert [f["name"] for f in ours["fields"]] == [
            f["name"] for f in theirs["schema"]["fields"]
        ]
        for mine, pub in zip(ours["fields"], theirs["schema"]["fields"], strict=True):
            assert mine["type"] == pub["type"], (table.name, mine["name"])
            assert mine.get("format") == pub.get("format"), (table.name, mine["name"])
            pc = pub.get("constraints", {})
            assert mine["constraints"]["required"] == bool(pc.get("required")), mine["name"]
            assert mine["constraints"].get("enum") == pc.get("enum"), mine["name"]
        their_fks = {
            (fk["fields"], fk["reference"]["resource"])
            for fk in theirs["schema"].get("foreignKeys", [])
        }
        assert set(table.foreign_keys) == their_fks


@needs_spec
def test_tabular_package_validates_with_zero_errors(db_session: Session, tmp_path: Path) -> None:
    sample.build(db_session)
    out = _export(db_session, tmp_path)
    report = validate(str(out / "datapackage.json"))
    assert report.valid, _errors(report)
    # The same files under Open Referral's own descriptor: types, required, enums, foreign keys.
    official = load("datapackage.json")
    official_report = Package(official, basepath=str(out)).validate()
    assert official_report.valid, _errors(official_report)
    assert len(_rows(out, "services.csv")) == 5


@needs_spec
def test_a_broken_foreign_key_is_caught(db_session: Session, tmp_path: Path) -> None:
    sample.build(db_session)
    out = _export(db_session, tmp_path)
    path = out / "phones.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    first = rows[1].split(",")
    first[header.index("service_id")] = "00000000-0000-4000-8000-000000000000"
    rows[1] = ",".join(first)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = validate(str(out / "datapackage.json"))
    assert not report.valid
    assert {e[3] for e in _errors(report)} == {"foreign-key"}
    official_report = Package(load("datapackage.json"), basepath=str(out)).validate()
    assert not official_report.valid


def test_mapping_of_every_field(db_session: Session, tmp_path: Path) -> None:
    s = sample.build(db_session)
    out = _export(db_session, tmp_path)
    services = {r["id"]: r for r in _rows(out, "services.csv")}
    lagos_id = hsds_id("service", s.lagos.id)
    lagos = services[lagos_id]
    # The service's own name and description (the place's name is the location's).
    assert lagos["name"] == "Legal aid on return"
    assert lagos["description"] == "Free advice on papers and claims after return."
    assert lagos["status"] == "active"
    assert lagos["email"] == "ikeja@legal.example.org"
    assert lagos["url"] == "https://legal.example.org/ikeja"
    assert lagos["assured_date"] == s.lagos.last_verified_at.date().isoformat()
    assert lagos["assurer_email"] == "verifier@example.org"
    assert services[hsds_id("service", s.tirana.id)]["status"] == "temporarily closed"
    assert services[hsds_id("service", s.closed.id)]["status"] == "defunct"
    national = services[hsds_id("service", s.national.id)]
    assert national["name"] == "Example Police Unit (demo)"
    assert national["assured_date"] == "" and national["assurer_email"] == ""

    addresses = {r["location_id"]: r for r in _rows(out, "addresses.csv")}
    lagos_address = addresses[hsds_id("location", s.lagos.id)]
    assert lagos_address["country"] == "NG"
    assert lagos_address["state_province"] == "NG-LA"
    assert lagos_address["region"] == "Lagos"
    assert lagos_address["address_1"] == "12 Example Street"
    assert lagos_address["address_2"] == "Second floor"
    assert lagos_address["city"] == "Ikeja"
    assert lagos_address["postal_code"] == "100001"
    national_address = addresses[hsds_id("location", s.national.id)]
    assert national_address["state_province"] == NOT_RECORDED
    assert addresses[hsds_id("location", s.sao_paulo.id)]["city"] == "São Paulo"

    locations = {r["id"]: r for r in _rows(out, "locations.csv")}
    assert float(locations[hsds_id("location", s.lagos.id)]["latitude"]) == 6.6018
    sal = _rows(out, "service_at_location.csv")
    assert {(r["service_id"], r["location_id"]) for r in sal} >= {
        (hsds_id("service", s.lagos.id), hsds_id("location", s.lagos.id))
    }
    phones = {r["number"]: r for r in _rows(out, "phones.csv")}
    assert phones["+2348031234567"]["type"] == "voice"
    assert phones["+2348031234567"]["description"] == "office hours"
    assert phones["+2348031234567"]["extension"] == "12"
    assert phones["+2348031234569"]["type"] == "cell"
    assert phones["+35522345678"]["type"] == "fax"
    languages = _rows(out, "languages.csv")
    service_langs = {
        r["code"] for r in languages if r["service_id"] == hsds_id("service", s.lagos.id)
    }
    assert service_langs == {"en", "yo"}
    notes = {r["code"]: r["note"] for r in languages if r["service_id"] == lagos_id}
    assert notes == {"en": "", "yo": "Interpreter on Wednesdays"}
    (contact,) = _rows(out, "contacts.csv")
    assert (contact["service_id"], contact["name"], contact["title"]) == (
        lagos_id,
        "Ada Example",
        "Duty lawyer",
    )
    (area,) = _rows(out, "service_areas.csv")
    assert (area["service_id"], area["name"], area["extent_type"]) == (
        lagos_id,
        "Lagos State",
        "text",
    )
    (access,) = _rows(out, "accessibility.csv")
    assert access["location_id"] == hsds_id("location", s.lagos.id)
    assert access["description"] == "Step-free entrance"
    (registration,) = _rows(out, "organization_identifiers.csv")
    assert registration["organization_id"] == hsds_id("organization", s.ngo.id)
    assert registration["identifier"] == "1234567"
    assert any(r["phone_id"] and r["code"] == "en" and r["name"] == "English" for r in languages)
    schedules = _rows(out, "schedules.csv")
    assert [r["description"] for r in schedules] == ["Mon-Fri 09:00-17:00"]

    terms = {r["id"]: r["code"] for r in _rows(out, "taxonomy_terms.csv")}
    attributes = [
        (r["link_id"], terms[r["taxonomy_term_id"]], r["value"])
        for r in _rows(out, "attributes.csv")
    ]
    assert (lagos_id, "flag:meets_on_arrival", "true") in attributes
    assert (lagos_id, "category:lawyer", "") in attributes
    assert (lagos_id, "service:legal_aid", "") in attributes
    assert (hsds_id("organization", s.ngo.id), "flag:demo", "true") in attributes

    metadata = [r for r in _rows(out, "metadata.csv") if r["resource_id"] == lagos_id]
    verified = [r for r in metadata if r["last_action_type"].startswith("verified")]
    assert [r["last_action_type"] for r in verified] == [
        "verified: phone_call",
        "verified: site_visit",
    ]
    assert verified[1]["updated_by"].startswith("verifier@example.org")
    edit = [r for r in metadata if r["field_name"] == "city"]
    assert len(edit) == 1
    assert edit[0]["previous_value"] == "Lagos" and edit[0]["replacement_value"] == "Ikeja"
    assert edit[0]["last_action_type"] == "update"
    assert "Reviewer Ada" in edit[0]["updated_by"] and "approved by Ada" in edit[0]["updated_by"]


def test_confidential_organisations_are_left_out_unless_asked(
    db_session: Session, tmp_path: Path
) -> None:
    s = sample.build(db_session)
    out = _export(db_session, tmp_path)
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.glob("*.csv"))
    assert "Safe House" not in text
    assert hsds_id("organization", s.secret.id) not in text
    assert hsds_id("service", s.hidden.id) not in text
    everything = _export(db_session, tmp_path / "all", include_confidential=True)
    orgs = {r["name"] for r in _rows(everything, "organizations.csv")}
    assert "Example Safe House (demo)" in orgs


def test_reexport_gives_the_same_ids(db_session: Session, tmp_path: Path) -> None:
    sample.build(db_session)
    first = _export(db_session, tmp_path / "a")
    second = _export(db_session, tmp_path / "b")
    for table in TABLES:
        assert (first / table.path).read_text() == (second / table.path).read_text()


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        load(f"schema/compiled/{name}.json"), format_checker=FormatChecker()
    )


@needs_spec
def test_nested_json_validates_against_compiled_schemas(db_session: Session) -> None:
    sample.build(db_session)
    buffer = io.StringIO()
    summary = hsds_export.write_json(db_session, buffer)
    documents = json.loads(buffer.getvalue())
    assert summary.services == 5 and len(documents) == 2
    organization = _validator("organization")
    service = _validator("service")
    for doc in documents:
        errors = list(organization.iter_errors(doc))
        assert not errors, [e.message for e in errors]
        for svc in doc["services"]:
            errors = list(service.iter_errors(svc))
            assert not errors, [e.message for e in errors]


@needs_spec
def test_schema_check_can_fail(db_session: Session) -> None:
    sample.build(db_session)
    buffer = io.StringIO()
    hsds_export.write_json(db_session, buffer)
    doc = json.loads(buffer.getvalue())[0]
    doc["services"][0]["status"] = "open"
    del doc["services"][0]["service_at_locations"][0]["location"]["addresses"][0]["country"]
    errors = list(_validator("organization").iter_errors(doc))
    assert len(errors) == 2


def test_unrolled_rows_match_the_generic_flattening(db_session: Session) -> None:
    from app.interop.hsds_documents import service_doc
    from app.interop.hsds_records import load_offices
    from app.interop.hsds_rows import flatten, service_rows

    s = sample.build(db_session)
    for office in load_offices(db_session, [s.lagos.id, s.national.id, s.tirana.id]):
        doc = service_doc(office)
        assert list(service_rows(doc)) == list(flatten("service", doc))
