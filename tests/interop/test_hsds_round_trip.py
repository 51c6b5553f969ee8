"""A lossless round trip of Open Referral's own HSDS 3.0 examples: import, approve all,
export, and every field and table of the input comes back with its value.

Homeward-generated values are the only ones ignored, as app/interop/hsds_source.py documents
them: the service's `last_modified`, and the rows Homeward adds (attributes of its taxonomy,
metadata of its revisions and verifications, its taxonomy and terms).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory import service as directory
from app.directory.models import Office, Organization, Phone, Revision
from app.directory.provenance import Provenance
from app.interop import hsds_export, hsds_import
from app.kit.principal import Principal
from app.review import decisions
from tests.api.orapi_check import check_response
from tests.factories import make_key
from tests.interop.spec import SPEC, needs_spec

REVIEWER = Principal(name="Reviewer Rui", role="reviewer", key_id=None)
GENERATED = {"last_modified"}


def _import_and_approve(session: Session, path: Path) -> hsds_import.ImportReport:
    report = hsds_import.import_path(session, path)
    assert report.problems == [] and report.new_contacts >= 1, report.problems
    for submission_id in report.submission_ids:
        decisions.approve(session, submission_id=submission_id, reviewer=REVIEWER)
    return report


def _import_example(session: Session, name: str) -> Any:
    """The spec's example `name` imported and approved; its JSON as given."""
    path = SPEC / "examples" / name
    _import_and_approve(session, path)
    return json.loads(path.read_text(encoding="utf-8"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@needs_spec
def test_the_csv_package_comes_back_row_by_row_and_field_by_field(
    db_session: Session, tmp_path: Path
) -> None:
    package = SPEC / "examples" / "csv"
    _import_and_approve(db_session, package)
    out = tmp_path / "out"
    hsds_export.write_tabular(db_session, out)

    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    compared = 0
    for resource in descriptor["resources"]:
        given = _rows(package / resource["path"])
        exported = {r["id"]: r for r in _rows(out / resource["path"])}
        for row in given:
            assert row["id"] in exported, (resource["path"], row["id"])
            back = exported[row["id"]]
            for column, value in row.items():
                if column in GENERATED:
                    continue
                assert back[column] == value, (resource["path"], column)
                compared += 1
    assert compared > 150  # every column of the 21 tables, not a sample of them


def _covers(given: Any, back: Any, where: str) -> None:
    """Every value of `given` is in `back`: objects key by key (a null as an absent key),
    lists item by item (matched by id; `back` may hold Homeward's own rows besides)."""
    if isinstance(given, dict):
        assert isinstance(back, dict), where
        for key, value in given.items():
            if key in GENERATED:
                continue
            if value is None:
                assert back.get(key) is None, f"{where}.{key}"
                continue
            assert key in back, f"{where}.{key}"
            _covers(value, back[key], f"{where}.{key}")
    elif isinstance(given, list):
        assert isinstance(back, list), where
        by_id = {b.get("id"): b for b in back if isinstance(b, dict)}
        for n, item in enumerate(given):
            if isinstance(item, dict) and "id" in item:
                assert item["id"] in by_id, f"{where}[{n}] id {item['id']}"
                _covers(item, by_id[item["id"]], f"{where}[{n}]")
            else:
                assert item in back, f"{where}[{n}]"
    else:
        assert given == back, f"{where}: {given!r} came back as {back!r}"


def _export_json(session: Session, tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "out.json"
    with path.open("w", encoding="utf-8") as handle:
        hsds_export.write_json(session, handle)
    exported: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return exported


@needs_spec
def test_service_full_json_comes_back_field_by_field(db_session: Session, tmp_path: Path) -> None:
    given = _import_example(db_session, "service_full.json")
    (org,) = _export_json(db_session, tmp_path)
    (service,) = org["services"]
    _covers({k: v for k, v in given.items() if k != "organization"}, service, "service")
    _covers({k: v for k, v in given["organization"].items() if k != "services"}, org, "org")


@needs_spec
def test_organization_full_json_comes_back_field_by_field(
    db_session: Session, tmp_path: Path
) -> None:
    given = _import_example(db_session, "organization_full.json")
    (org,) = _export_json(db_session, tmp_path)
    _covers(given, org, "organization")


@needs_spec
@pytest.mark.parametrize("name", ["csv", "service_full.json", "organization_full.json"])
def test_a_second_import_matches_the_same_records(db_session: Session, name: str) -> None:
    path = SPEC / "examples" / name
    first = _import_and_approve(db_session, path)
    offices = db_session.execute(select(func.count(Office.id))).scalar_one()
    orgs = db_session.execute(select(func.count(Organization.id))).scalar_one()
    office = db_session.execute(select(Office)).scalars().one()
    assert office.external_id and office.hsds_source is not None and office.schedules

    again = hsds_import.import_path(db_session, path)
    assert (again.new_contacts, again.corrections, again.unchanged) == (0, 0, first.records)
    assert db_session.execute(select(func.count(Office.id))).scalar_one() == offices
    assert db_session.execute(select(func.count(Organization.id))).scalar_one() == orgs


@needs_spec
def test_a_changed_source_record_is_a_correction_of_the_same_office(
    db_session: Session, tmp_path: Path
) -> None:
    given = json.loads((SPEC / "examples" / "service_full.json").read_text(encoding="utf-8"))
    path = tmp_path / "service.json"
    path.write_text(json.dumps(given), encoding="utf-8")
    _import_and_approve(db_session, path)
    office = db_session.execute(select(Office)).scalars().one()

    given["service_areas"][0]["name"] = "Only the north of MyCity"
    given["schedules"][0]["closes_at"] = "17:00"
    path.write_text(json.dumps(given), encoding="utf-8")
    report = hsds_import.import_path(db_session, path)
    assert (report.new_contacts, report.corrections) == (0, 1)
    decisions.approve(db_session, submission_id=report.submission_ids[0], reviewer=REVIEWER)
    db_session.refresh(office)
    assert office.service_areas is not None
    assert office.service_areas[0]["name"] == "Only the north of MyCity"
    assert office.schedules is not None and office.schedules[0]["closes_at"] == "17:00:00"
    # Traceable: each change is a revision citing the import and the reviewer, none empty.
    revisions = db_session.execute(
        select(Revision).where(Revision.entity == "office", Revision.entity_id == office.id)
    ).scalars()
    changed = set()
    for rev in revisions:
        assert rev.old_value != rev.new_value, rev.field
        changed.add(rev.field)
    assert {"service_areas", "schedules"} <= changed - {"created"}


@needs_spec
def test_what_homeward_models_is_data_and_exported_from_it(
    db_session: Session, tmp_path: Path
) -> None:
    given = json.loads((SPEC / "examples" / "service_full.json").read_text(encoding="utf-8"))
    # In Britain, as its phones are (a US address would leave the UK number out).
    given["service_at_locations"][0]["location"]["addresses"][0]["country"] = "GB"
    path = tmp_path / "service.json"
    path.write_text(json.dumps(given), encoding="utf-8")
    _import_and_approve(db_session, path)
    office = db_session.execute(select(Office)).scalars().one()
    org = db_session.execute(select(Organization)).scalars().one()
    phone = db_session.execute(select(Phone)).scalars().one()
    assert (office.service_name, office.service_description) == (
        given["name"],
        given["description"].strip(),
    )
    assert (office.address, office.address_2) == ("1-30 Main Street", "MyVillage")
    assert phone.extension == "100"
    assert office.language_notes == {"ur": given["languages"][0]["note"]}
    assert office.contacts is not None and office.service_areas and office.accessibility
    (contact,) = office.contacts  # nested three times in the source, one person
    assert (contact["name"], contact["title"], contact["source_id"]) == (
        "Ann Persona",
        "Reception Manager",
        given["contacts"][0]["id"],
    )
    assert office.service_areas[0]["extent_type"] == "geojson"
    assert office.accessibility[0]["details"].startswith("Switch hearing aid")
    assert org.identifiers is not None
    assert (org.identifiers[0]["identifier_scheme"], org.identifiers[0]["identifier"]) == (
        "GB-COH",
        "1234567",
    )
    # Nothing is kept twice: the source copy holds the rows' ids and links, not their values.
    assert office.hsds_source is not None and org.hsds_source is not None
    assert "name" not in office.hsds_source["service"]["contacts"][0]
    assert "identifier" not in org.hsds_source["organization"]["organization_identifiers"][0]

    # The export writes them from the data: a reviewer's edits come back out.
    provenance = Provenance(source="test", actor="Reviewer Rui")
    directory.update_office(
        db_session,
        office_id=office.id,
        changes={
            "service_name": "Counselling in Urdu",
            "contacts": [{**contact, "title": "Head of reception"}],
            "accessibility": [],
        },
        expected_version=office.version,
        provenance=provenance,
    )
    directory.update_organization(
        db_session,
        organization_id=org.id,
        changes={"identifiers": [{"identifier_type": "Charity number", "identifier": "99"}]},
        expected_version=org.version,
        provenance=provenance,
    )
    (out,) = _export_json(db_session, tmp_path)
    (service,) = out["services"]
    assert service["name"] == "Counselling in Urdu"
    assert service["contacts"][0]["title"] == "Head of reception"
    assert service["contacts"][0]["id"] == contact["source_id"]
    assert not service["service_at_locations"][0]["location"].get("accessibility")
    assert [(i["identifier_type"], i["identifier"]) for i in out["organization_identifiers"]] == [
        ("Charity number", "99")
    ]


@needs_spec
def test_orapi_serves_the_imported_service_under_its_source_id(
    client: TestClient, db_session: Session
) -> None:
    given = _import_example(db_session, "service_full.json")
    headers = make_key(db_session, "officer")
    response = client.get(f"/hsds/services/{given['id']}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    check_response("/services/{id}", body)
    _covers({k: v for k, v in given.items() if k != "organization"}, body, "service")
    listed = client.get("/hsds/services", headers=headers).json()["contents"]
    assert [s["id"] for s in listed] == [given["id"]]


@needs_spec
def test_a_detail_row_the_checks_refuse_is_kept_whole_and_exported_as_it_came(
    db_session: Session, tmp_path: Path
) -> None:
    given = json.loads((SPEC / "examples" / "service_full.json").read_text(encoding="utf-8"))
    location = given["service_at_locations"][0]["location"]
    location["accessibility"][0]["url"] = "ftp://example.com/plan"  # not a web address
    path = tmp_path / "service.json"
    path.write_text(json.dumps(given), encoding="utf-8")
    _import_and_approve(db_session, path)
    office = db_session.execute(select(Office)).scalars().one()
    assert office.accessibility is None  # not taken as data…
    assert office.contacts is not None  # …while the rest is
    (out,) = _export_json(db_session, tmp_path)
    (service,) = out["services"]
    back = service["service_at_locations"][0]["location"]["accessibility"]
    assert back == location["accessibility"]  # …and not lost
