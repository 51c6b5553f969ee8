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

from app.directory.models import Office, Organization, Revision
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
    assert office.hsds_source is not None
    assert office.hsds_source["service"]["service_areas"][0]["name"] == "Only the north of MyCity"
    assert office.schedules is not None and office.schedules[0]["closes_at"] == "17:00:00"
    # Traceable: each change is a revision citing the import and the reviewer.
    changed = {
        r.field
        for r in db_session.execute(
            select(Revision).where(Revision.entity == "office", Revision.entity_id == office.id)
        ).scalars()
        if r.field != "created"
    }
    assert {"hsds_source", "schedules"} <= changed


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
