"""One rule for what a sheet may print (app/directory/printable.py), and every output agrees.

For each office state (office status x organisation status or confidentiality x freshness x
the status of its second phone) the same answer comes from the sheet, the coverage map, the
officer preview's reason, `is_printable`, the search page, the CSV export, the contact shape
and the HSDS import: printable everywhere or nowhere, and only active phones count anywhere.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import lookup
from app.directory.coverage import coverage_matrix
from app.directory.export import iter_csv_records
from app.directory.listing import contact_page
from app.directory.presenter import contact_public
from app.directory.printable import exclusion_reason, is_printable
from app.directory.reading import Reading
from app.directory.search import ContactFilters
from app.interop import hsds_export, hsds_import
from app.interop.hsds_vocabulary import hsds_id
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.review.models import Submission
from app.sheets.schemas import SheetParams, SheetSize
from app.sheets.service import assemble_sheet
from app.verification.service import flag_office_stale
from tests.factories import NG_PHONE, NG_PHONE_2, TEST_PROVENANCE, make_office, make_org

OFFICER = Principal(name="officer", role="officer")
NGO = Principal(name="partner", role="ngo", organization_id=10_000)
LAGOS = SheetParams(country="NG", region="NG-LA", lang="en", lang2=None, size=SheetSize.A4)
PRINTABLE_FRESHNESS = {"verified", "due", "overdue"}


def _age_days(freshness: str, settings: Settings) -> int | None:
    interval = settings.verification_interval_days
    return {
        "verified": 0,
        "due": interval - settings.due_window_days // 2,
        "overdue": interval + settings.stale_grace_days // 2,
        "stale": interval + settings.stale_grace_days + 5,
        "flagged": 0,
        "unverified": None,
    }[freshness]


@pytest.mark.parametrize("phone_status", ["active", "disconnected"])
@pytest.mark.parametrize(
    "freshness", ["verified", "due", "overdue", "stale", "flagged", "unverified"]
)
@pytest.mark.parametrize("organization", ["active", "closed", "confidential"])
@pytest.mark.parametrize("office_status", ["active", "temporarily_closed", "closed"])
def test_every_output_agrees_on_what_is_printable(
    db_session: Session,
    settings: Settings,
    office_status: str,
    organization: str,
    freshness: str,
    phone_status: str,
    tmp_path: Path,
) -> None:
    now = utcnow()
    org = make_org(
        db_session, name="Harbour Aid (demo)", confidential=organization == "confidential"
    )
    age = _age_days(freshness, settings)
    office = make_office(
        db_session,
        org=org,
        status=office_status,
        verified_at=None if age is None else now - timedelta(days=age),
        phones=[{"number": NG_PHONE, "kind": "voice"}, {"number": NG_PHONE_2, "kind": "mobile"}],
    )
    assert office.id is not None
    if freshness == "flagged":
        flag_office_stale(
            db_session, office_id=office.id, reason="wrong number", provenance=TEST_PROVENANCE
        )
    if organization == "closed":
        org.status = "closed"  # an organisation closed while an office was left open
    second = next(p for p in office.phones if p.number == NG_PHONE_2)
    second.status = phone_status
    db_session.flush()
    db_session.expire_all()
    office = lookup.get_office(db_session, office.id)
    org = office.organization

    expected = (
        office_status == "active" and organization == "active" and freshness in PRINTABLE_FRESHNESS
    )
    shown_phones = {NG_PHONE} | ({NG_PHONE_2} if phone_status == "active" else set())

    sheet = assemble_sheet(db_session, params=LAGOS, now=now, settings=settings)
    on_sheet = [e for e in sheet.entries if e.office_id == office.id]
    assert bool(on_sheet) is expected
    for entry in on_sheet:
        assert {p.e164 for p in entry.phones} == shown_phones

    matrix = coverage_matrix(
        db_session, country="NG", reading=Reading(viewer=OFFICER, now=now, settings=settings)
    )
    (lagos,) = [row for row in matrix.regions if row.code == "NG-LA"]
    (cell,) = [c for c in lagos.cells if c.category == "ngo"]
    assert cell.printable == int(expected)
    if expected:
        assert cell.colour == freshness

    assert (exclusion_reason(office, org, now=now, settings=settings) is None) is expected
    assert is_printable(db_session, office_id=office.id, now=now, settings=settings) is expected

    filters = ContactFilters(
        country="NG", statuses=["active", "temporarily_closed", "closed"], include_national=True
    )
    for viewer in (OFFICER, NGO):
        page = contact_page(
            db_session, filters=filters, reading=Reading(viewer=viewer, now=now, settings=settings)
        )
        found = [item for item in page["items"] if item["id"] == office.id]
        assert bool(found) is (viewer.sees_confidential or organization != "confidential")
        for item in found:
            assert {p["number"] for p in item["phones"]} == shown_phones
    assert {p.number for p in contact_public(office, now=now, settings=settings).phones} == (
        shown_phones
    )

    records = [r for r in iter_csv_records(db_session) if r["office_id"] == office.id]
    assert bool(records) is (organization != "confidential")
    for record in records:
        assert {v for k, v in record.items() if k in ("phone1", "phone2", "phone3")} == (
            shown_phones
        )

    report = _hsds_import_sees_second_phone(db_session, office.id, tmp_path)
    # The HSDS import matches a partner's number to ours only when ours is an active phone:
    # a disconnected one comes back as a new number to review.
    assert report.problems == [] and report.new_contacts == 0
    proposed = [
        change["number"]
        for sub_id in report.submission_ids
        for path, change in db_session.get_one(Submission, sub_id).changes.items()
        if path.startswith("new_phones.")
    ]
    assert proposed == ([] if phone_status == "active" else [NG_PHONE_2])


def _hsds_import_sees_second_phone(session: Session, office_id: int, tmp_path: Path) -> Any:
    out = io.StringIO()
    hsds_export.write_json(session, out, include_confidential=True)
    organizations = json.loads(out.getvalue())
    services = [s for o in organizations for s in o["services"]]
    (service,) = [s for s in services if s["id"] == hsds_id("service", office_id)]
    numbers = {p["number"] for p in service["phones"]}
    if NG_PHONE_2 not in numbers:
        extra = dict(service["phones"][0], id=hsds_id("phone", "extra"), number=NG_PHONE_2)
        service["phones"].append(extra)
    dataset = tmp_path / "dataset.json"
    dataset.write_text(json.dumps(organizations), encoding="utf-8")
    return hsds_import.import_path(session, dataset)
