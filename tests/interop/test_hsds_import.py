"""HSDS import: every record becomes a review-queue submission, never a direct write."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.directory.lookup import get_office
from app.directory.models import Office, Organization, Phone, Revision
from app.directory.service import OFFICE_DETAIL_FIELDS, OFFICE_FIELDS, ORGANIZATION_FIELDS
from app.interop import hsds_export, hsds_import
from app.kit.clock import as_utc
from app.kit.models import Base
from app.kit.principal import Principal
from app.review import decisions
from app.review.models import Submission
from app.verification.models import VerificationEvent
from tests.factories import NG_PHONE, make_office, make_org
from tests.interop import sample
from tests.interop.spec import SPEC, needs_spec

REVIEWER = Principal(name="Reviewer Rui", role="reviewer", key_id=None)


def _snapshot(session: Session) -> dict[str, dict[str, Any]]:
    """Every field we hold per office (keyed by its first phone), with its organisation and
    its verifications (the latest on the office, and every event)."""
    out = {}
    ids = session.execute(select(Office.id).order_by(Office.id)).scalars().all()
    for office_id in ids:
        office = get_office(session, office_id, refresh=True)
        org = office.organization
        phones = [
            {
                f: getattr(p, f)
                for f in ("number", "extension", "kind", "hours", "is_24_7", "languages")
            }
            for p in office.phones
            if p.status == "active"
        ]
        events = session.execute(
            select(VerificationEvent)
            .where(VerificationEvent.office_id == office_id)
            .order_by(VerificationEvent.verified_at, VerificationEvent.id)
        ).scalars()
        out[phones[0]["number"]] = {
            "office": {f: getattr(office, f) for f in OFFICE_FIELDS},
            # The source's row ids aside: an import keeps the export's, the original had none.
            "details": {f: _without_source_ids(getattr(office, f)) for f in OFFICE_DETAIL_FIELDS},
            "identifiers": _without_source_ids(org.identifiers),
            "languages": office.language_codes,
            "phones": phones,
            "organization": {f: getattr(org, f) for f in ORGANIZATION_FIELDS},
            "org_is_demo": org.is_demo,
            "org_services": org.service_tags,
            "verified": (
                as_utc(office.last_verified_at),
                office.verified_by,
                office.verification_method,
            ),
            "verifications": [(as_utc(e.verified_at), e.verified_by, e.method) for e in events],
        }
    return out


def _without_source_ids(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{k: v for k, v in item.items() if k != "source_id"} for item in value]


def _empty_directory(session: Session) -> None:
    # Inside the test's transaction (rolled back afterwards): an empty directory to import into.
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(text(f'DELETE FROM "{table.name}"'))
    session.expire_all()


def _sample_exported_into_an_empty_directory(session: Session, dataset: Path) -> Path:
    """The sample directory written as HSDS tabular data to `dataset`, then emptied."""
    sample.build(session)
    hsds_export.write_tabular(session, dataset)
    _empty_directory(session)
    return dataset


def _replace(path: Path, old: str, new: str, count: int = -1) -> None:
    """`old` becomes `new` in the file at `path` (the first `count` times)."""
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, count), encoding="utf-8")


def _approve_all(session: Session, ids: list[int]) -> None:
    for submission_id in ids:
        decisions.approve(session, submission_id=submission_id, reviewer=REVIEWER)


@pytest.mark.parametrize("form", ["tabular", "json"])
def test_round_trip_is_lossless(db_session: Session, tmp_path: Path, form: str) -> None:
    sample.build(db_session)
    before = _snapshot(db_session)
    orgs_before = db_session.execute(select(func.count(Organization.id))).scalar_one()
    first = tmp_path / "first"
    hsds_export.write_tabular(db_session, first, include_confidential=True)
    if form == "tabular":
        dataset = tmp_path / "homeward"
        hsds_export.write_tabular(db_session, dataset, include_confidential=True)
    else:
        dataset = tmp_path / "homeward.json"
        with dataset.open("w", encoding="utf-8") as fh:
            hsds_export.write_json(db_session, fh, include_confidential=True)
    _empty_directory(db_session)

    report = hsds_import.import_path(db_session, dataset)
    assert report.problems == []
    assert (report.records, report.new_contacts, report.corrections) == (6, 6, 0)
    # Nothing entered the directory: only the queue.
    assert db_session.execute(select(func.count(Office.id))).scalar_one() == 0
    subs = db_session.execute(select(Submission)).scalars().all()
    assert {s.source for s in subs} == {f"import: {dataset.stem}"}
    assert {s.status for s in subs} == {"pending"}

    _approve_all(db_session, report.submission_ids)
    after = _snapshot(db_session)
    assert any(v["verifications"] for v in before.values())
    assert after == before
    orgs_after = db_session.execute(select(func.count(Organization.id))).scalar_one()
    assert orgs_after == orgs_before
    # Every change cites its submission and reviewer.
    revs = db_session.execute(select(Revision)).scalars().all()
    assert revs and all(r.submission_id and r.approved_by == "Reviewer Rui" for r in revs)
    # The verifications were the dataset's: it is their source, the reviewer approved them.
    events = db_session.execute(select(VerificationEvent)).scalars().all()
    assert {(e.source, e.approved_by) for e in events} == {
        (f"import: {dataset.stem}", "Reviewer Rui")
    }

    # And exporting again gives the same HSDS records, ids and provenance aside.
    again = tmp_path / "again"
    hsds_export.write_tabular(db_session, again, include_confidential=True)
    for name in (
        "organizations.csv",
        "services.csv",
        "locations.csv",
        "addresses.csv",
        "phones.csv",
        "languages.csv",
        "schedules.csv",
        "contacts.csv",
        "service_areas.csv",
        "accessibility.csv",
        "organization_identifiers.csv",
    ):
        assert _without_ids(first / name) == _without_ids(again / name), name
    assert _verification_rows(first) == _verification_rows(again)


def _without_ids(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    skip = {"last_modified"}
    return sorted(
        ({k: v for k, v in r.items() if not k.endswith("id") and k not in skip} for r in rows),
        key=lambda r: json.dumps(r, sort_keys=True),
    )


def _verification_rows(package: Path) -> list[tuple[str, ...]]:
    """The verification metadata rows, their provenance (approver, source) aside."""
    with (package / "metadata.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["field_name"] == "last_verified_at"]
    return sorted(
        (
            r["last_action_date"],
            r["last_action_type"],
            r["previous_value"],
            r["replacement_value"],
            r["updated_by"].split("; ")[0],
        )
        for r in rows
    )


def test_matching_records_become_corrections(db_session: Session, tmp_path: Path) -> None:
    s = sample.build(db_session)
    dataset = tmp_path / "partner-network"
    hsds_export.write_tabular(db_session, dataset)
    # Their data differs from ours on one office: a new city, a new number.
    _replace(dataset / "addresses.csv", ",Ikeja,", ",Ikeja GRA,")
    phones = dataset / "phones.csv"
    rows = list(csv.DictReader(phones.open(encoding="utf-8", newline="")))
    extra = dict(rows[0], id="9f5b1a52-1111-4c4c-9c9c-000000000001", number="+2348031234599")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, extra])
    phones.write_text(buffer.getvalue(), encoding="utf-8")

    report = hsds_import.import_path(db_session, dataset)
    assert report.problems == []
    assert report.new_contacts == 0
    assert report.corrections == 1 and report.unchanged == 4
    (sub,) = db_session.execute(select(Submission)).scalars().all()
    assert sub.kind == "correction" and sub.office_id == s.lagos.id
    assert sub.changes["office.city"] == "Ikeja GRA"
    assert sub.changes["new_phones.0"]["number"] == "+2348031234599"
    assert sub.source == "import: partner-network"
    assert get_office(db_session, s.lagos.id, refresh=True).city == "Ikeja"


def test_name_and_region_match_without_a_phone(db_session: Session, tmp_path: Path) -> None:
    org = make_org(db_session, name="Centro São João (demo)")
    office = make_office(db_session, org=org, name=None)
    dataset = tmp_path / "names.json"
    doc = {
        "id": "6c5e2d9a-0000-4000-8000-000000000001",
        "name": "centro sao joao (DEMO)",
        "description": "x",
        "services": [
            {
                "id": "6c5e2d9a-0000-4000-8000-000000000002",
                "name": "centro sao joao (DEMO)",
                "status": "active",
                "email": "contact@centro.example.org",
                "service_at_locations": [
                    {
                        "id": "6c5e2d9a-0000-4000-8000-000000000003",
                        "location": {
                            "id": "6c5e2d9a-0000-4000-8000-000000000004",
                            "location_type": "physical",
                            "addresses": [
                                {
                                    "id": "6c5e2d9a-0000-4000-8000-000000000005",
                                    "address_1": "1 Road",
                                    "city": "Lagos",
                                    "state_province": "Lagos",
                                    "postal_code": "not recorded",
                                    "country": "NG",
                                    "address_type": "physical",
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    dataset.write_text(json.dumps([doc]), encoding="utf-8")
    report = hsds_import.import_path(db_session, dataset)
    assert report.problems == [] and report.corrections == 1
    (sub,) = db_session.execute(select(Submission)).scalars().all()
    assert sub.office_id == office.id
    assert sub.changes["office.email"] == "contact@centro.example.org"
    assert sub.changes["office.address"] == "1 Road"


def test_invalid_records_are_listed_and_the_rest_continue(
    db_session: Session, tmp_path: Path
) -> None:
    dataset = _sample_exported_into_an_empty_directory(db_session, tmp_path / "mixed")
    _replace(dataset / "addresses.csv", ",NG-LA,", ",AL-11,", 1)  # a region of another country
    _replace(dataset / "phones.csv", "+35522345678", "+3552")
    _replace(dataset / "services.csv", ",defunct,", ",gone,")
    report = hsds_import.import_path(db_session, dataset, strict=True)
    reasons = {(p.where, p.field): p.reason for p in report.problems}
    assert len(report.problems) == 3, reasons
    fields = {p.field for p in report.problems}
    assert fields == {"office.region", "new_phones.0.number", "status"}
    assert all(p.where.startswith("services.csv row ") for p in report.problems)
    assert any("AL-11" in p.reason for p in report.problems)
    # Strict is all or nothing: the two good records are not queued either.
    assert report.undone and report.new_contacts == 2 and report.submission_ids == []
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 0
    tolerant = hsds_import.import_path(db_session, dataset)
    assert [p.field for p in tolerant.problems] == ["status"]
    assert (tolerant.new_contacts, tolerant.flagged) == (4, 2)
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 4


def test_dry_run_queues_nothing(db_session: Session, tmp_path: Path) -> None:
    dataset = _sample_exported_into_an_empty_directory(db_session, tmp_path / "dry")
    report = hsds_import.import_path(db_session, dataset, dry_run=True)
    assert report.new_contacts == 5 and report.problems == []
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 0
    assert db_session.execute(select(func.count(Organization.id))).scalar_one() == 0


def test_failing_values_are_left_out_and_flagged_for_the_reviewer(
    db_session: Session, tmp_path: Path
) -> None:
    dataset = _sample_exported_into_an_empty_directory(db_session, tmp_path / "tolerant")
    _replace(dataset / "addresses.csv", ",NG-LA,", ",AL-11,", 1)
    _replace(dataset / "phones.csv", "+35522345678", "+3552")
    report = hsds_import.import_path(db_session, dataset)
    assert report.problems == [] and report.new_contacts == 5 and report.flagged == 2
    findings = {
        f["field"]: f
        for sub in db_session.execute(select(Submission)).scalars()
        for f in sub.findings
    }
    assert findings["office.region"]["value"] == "AL-11"
    assert "not an ISO 3166-2 subdivision of NG" in findings["office.region"]["reason"]
    phone = findings["new_phones.0.number"]
    assert phone["value"] == "+3552" and phone["path"] == "new_phones.0" and phone["reason"]
    flagged = next(
        s
        for s in db_session.execute(select(Submission)).scalars()
        if s.findings and s.findings[0]["field"] == "office.region"
    )
    assert flagged.changes.get("office.region") is None  # nationwide until the reviewer fixes it


@needs_spec
def test_open_referral_example_strict_refuses_as_before(
    db_session: Session, tmp_path: Path
) -> None:
    report = hsds_import.import_path(db_session, SPEC / "examples" / "csv", strict=True)
    assert report.records >= 1 and report.queued == 0
    assert report.problems[0].where.startswith("services.csv row 2")
    assert "MyState" in report.problems[0].reason

    # The same example, fixed up to a real place, is queued as a new contact.
    doc = json.loads((SPEC / "examples" / "service_full.json").read_text(encoding="utf-8"))
    address = doc["service_at_locations"][0]["location"]["addresses"][0]
    address.update(country="GB", state_province="GB-LND", city="London")
    doc["service_at_locations"][0]["location"]["latitude"] = 51.5
    doc["service_at_locations"][0]["location"]["longitude"] = -0.1
    for phone in doc["phones"] + doc["service_at_locations"][0]["phones"]:
        phone["description"] = "reception"
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps(doc), encoding="utf-8")
    queued = hsds_import.import_path(db_session, fixed)
    assert queued.problems == [] and queued.new_contacts == 1
    sub = db_session.get(Submission, queued.submission_ids[0])
    assert sub.country == "GB" and sub.region == "GB-LND"
    assert sub.changes["new_phones.0"]["number"] == "+441234234567"
    assert sub.changes["organization.category"] == "ngo"
    assert "no Homeward category" in (sub.note or "")


def test_unreadable_datasets_are_refused(db_session: Session, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(hsds_import.DatasetError):
        hsds_import.import_path(db_session, bad)
    with pytest.raises(hsds_import.DatasetError):
        hsds_import.import_path(db_session, tmp_path / "nothing.txt")
    assert NG_PHONE  # the factories' numbers are the ones the sample uses
    assert db_session.execute(select(func.count(Phone.id))).scalar_one() == 0


def test_oddly_shaped_json_is_listed_not_crashed(db_session: Session, tmp_path: Path) -> None:
    docs = [
        "a string",
        {"name": "No services", "description": "x", "services": []},
        {"name": "Org", "description": "x", "services": ["x", {"status": "active"}]},
        {
            "name": "Bad shapes",
            "description": "x",
            "attributes": "nope",
            "services": [
                {
                    "status": "active",
                    "phones": {"number": "1"},
                    "service_at_locations": [
                        {"location": {"addresses": [{"country": "Narnia", "city": 3}]}}
                    ],
                }
            ],
        },
        {"status": "active", "organization": "not an object"},
        {"something": "else"},
    ]
    dataset = tmp_path / "odd.json"
    dataset.write_text(json.dumps(docs), encoding="utf-8")
    report = hsds_import.import_path(db_session, dataset)
    wheres = [p.where for p in report.problems]
    assert wheres == ["[0]", "[1]", "[2].services[0]", "[2].services[1]", "[4]", "[5]"]
    assert all(p.reason for p in report.problems)
    assert "nothing to contact" in report.problems[1].reason
    # A city is a place to find it: queued, its unknown country left for the reviewer.
    assert report.new_contacts == 1 and report.flagged == 1
    (sub,) = db_session.execute(select(Submission)).scalars()
    assert sub.changes["office.city"] == "3" and "office.country" not in sub.changes
    (country,) = sub.findings
    assert (country["path"], country["value"]) == ("office.country", "Narnia")
    assert "'Narnia' is not a country name" in country["reason"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "datapackage.json").write_text('{"resources": 3}', encoding="utf-8")
    with pytest.raises(hsds_import.DatasetError):
        hsds_import.import_path(db_session, broken)
    (broken / "datapackage.json").write_text('{"resources": []}', encoding="utf-8")
    (broken / "services.csv").write_bytes(b"id,name\n\xff\xfe,x\n")
    with pytest.raises(hsds_import.DatasetError):
        hsds_import.import_path(db_session, broken)


def _foreign_service(n: int, *, assured_date: str | None, assurer_email: str | None) -> dict:
    """A service from another directory: no Homeward metadata, only HSDS's assurance fields."""
    uid = f"7d1c0b6e-0000-4000-8000-{n:012d}"
    return {
        "id": uid,
        "name": f"Example Shelter {n} (demo)",
        "description": "x",
        "services": [
            {
                "id": uid,
                "name": f"Example Shelter {n} (demo)",
                "status": "active",
                "assured_date": assured_date,
                "assurer_email": assurer_email,
                "phones": [{"id": uid, "number": f"+23480312399{n:02d}"}],
                "service_at_locations": [
                    {
                        "id": uid,
                        "location": {
                            "id": uid,
                            "addresses": [
                                {
                                    "id": uid,
                                    "address_1": f"{n} Road",
                                    "city": "Lagos",
                                    "state_province": "NG-LA",
                                    "country": "NG",
                                    "address_type": "physical",
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def test_assured_date_becomes_a_verification_no_later_than_that_day(
    db_session: Session, tmp_path: Path
) -> None:
    dataset = tmp_path / "other-network.json"
    docs = [
        _foreign_service(1, assured_date="2026-03-05", assurer_email="checks@other.example.org"),
        _foreign_service(2, assured_date="2026-03-05", assurer_email=None),
        _foreign_service(3, assured_date="2999-01-01", assurer_email=None),  # in the future
        _foreign_service(4, assured_date=None, assurer_email=None),
        _foreign_service(5, assured_date="2026-04-01", assurer_email=None),
    ]
    dataset.write_text(json.dumps(docs), encoding="utf-8")
    report = hsds_import.import_path(db_session, dataset)
    assert [(p.where, p.field) for p in report.problems] == [
        ("[2].services[0]", "verifications.0.verified_at")
    ]
    assert report.new_contacts == 4
    first, partly, unverified, anonymous = (
        db_session.get(Submission, i) for i in report.submission_ids
    )
    assert first.verifications == [
        {
            "verified_at": "2026-03-05T00:00:00Z",
            "verified_by": "checks@other.example.org",
            "method": "ngo_network",
            "note": None,
        }
    ]
    assert unverified.verifications == []

    # Approved in part: the contact is not what the source verified, so no verification.
    decisions.approve(
        db_session,
        submission_id=partly.id,
        reviewer=REVIEWER,
        fields=[p for p in partly.changes if p != "office.address"],
    )
    assert get_office(db_session, partly.office_id, refresh=True).last_verified_at is None
    # Approved in full: verified on the day the source gave, never on the day of approval.
    for sub in (first, unverified, anonymous):
        decisions.approve(db_session, submission_id=sub.id, reviewer=REVIEWER)
    office = get_office(db_session, first.office_id, refresh=True)
    assert as_utc(office.last_verified_at) == datetime(2026, 3, 5, tzinfo=UTC)
    assert (office.verified_by, office.verification_method) == (
        "checks@other.example.org",
        "ngo_network",
    )
    assert get_office(db_session, unverified.office_id, refresh=True).last_verified_at is None
    # Without an assurer, the import itself is recorded as the verifier.
    assert get_office(db_session, anonymous.office_id, refresh=True).verified_by == (
        "import: other-network"
    )
    events = db_session.execute(
        select(VerificationEvent).order_by(VerificationEvent.verified_at)
    ).scalars()
    assert [(e.office_id, as_utc(e.verified_at), e.source, e.approved_by) for e in events] == [
        (
            first.office_id,
            datetime(2026, 3, 5, tzinfo=UTC),
            "import: other-network",
            "Reviewer Rui",
        ),
        (
            anonymous.office_id,
            datetime(2026, 4, 1, tzinfo=UTC),
            "import: other-network",
            "Reviewer Rui",
        ),
    ]


FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/","Help") (demo)',
    "description": "+cmd|' /C calc'!A0",
    "address": "-2+3+cmd|' /C calc'!A0",
    "opening_hours": "@SUM(1+1)",
    "hours": "=1+1",
}


def _cells(package: Path) -> list[tuple[str, str]]:
    cells = []
    for path in sorted(package.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            cells += [(path.name, cell) for row in csv.reader(fh) for cell in row]
    return cells


@needs_spec
def test_formula_looking_text_is_escaped_in_the_package_and_imports_back(
    db_session: Session, tmp_path: Path
) -> None:
    from frictionless import validate

    sample.build(db_session)
    org = make_org(db_session, name=FORMULAS["name"], description=FORMULAS["description"])
    make_office(
        db_session,
        org=org,
        name="@Office",
        address=FORMULAS["address"],
        opening_hours=FORMULAS["opening_hours"],
        latitude=-6.5,
        longitude=3.35,
        phones=[{"number": "+2342033123488", "kind": "voice", "hours": FORMULAS["hours"]}],
    )
    before = _snapshot(db_session)
    package = tmp_path / "homeward"
    hsds_export.write_tabular(db_session, package, include_confidential=True)

    cells = _cells(package)
    risky = [
        (name, cell)
        for name, cell in cells
        if cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        and not cell.lstrip("+-").replace(".", "", 1).isdigit()
    ]
    assert risky == []
    texts = {cell for _, cell in cells}
    assert "'" + FORMULAS["name"] in texts and "'" + FORMULAS["description"] in texts
    assert ("phones.csv", "+2342033123488") in cells  # a number stays usable
    assert validate(str(package / "datapackage.json")).valid

    _empty_directory(db_session)
    report = hsds_import.import_path(db_session, package)
    assert report.problems == []
    _approve_all(db_session, report.submission_ids)
    assert _snapshot(db_session) == before
