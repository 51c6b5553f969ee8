"""Every file of Open Referral's HSDS 3.0 examples, imported as shipped (read from the shared
directory, never copied): what each queues, with which findings, and what it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.service import get_office
from app.interop import hsds_import
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.review import decisions
from app.review.findings import UNKNOWN_COUNTRY
from app.review.models import Submission, SubmissionStatus
from tests.interop.queued import queue_without_country
from tests.interop.spec import SPEC, needs_spec

REVIEWER = Principal(name="Reviewer Rui", role="reviewer", key_id=None)
EXAMPLES = SPEC / "examples"

# The "full" examples: a US address in state "MyState", latitude 100 and a GB number.
PLACED = {
    "office.region": "MyState",
    "office.latitude": 100.0,
    "new_phones.0": "+44 1234 234567",
}
NO_COUNTRY = {"office.country": None}
# file -> (the new contact's organisation and office names, {finding path: value as given})
QUEUED: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "csv": ("Example Organization Inc.", "MyCity Civic Center", PLACED),
    "tabular.json": ("Example Organization Inc.", "MyCity Civic Center", PLACED),
    "organization_full.json": ("Example Organization Inc.", "MyCity Civic Center", PLACED),
    "service_full.json": ("Example Organization Inc.", "MyCity Civic Center", PLACED),
    "service_at_location_full.json": ("Example Organization Inc.", "MyCity Civic Center", PLACED),
    # A location alone: its name stands for the unknown organisation, flagged.
    "location.json": (
        "MyCity Civic Center",
        "MyCity Civic Center",
        {"organization.name": None, **PLACED},
    ),
    # No address and no number: queued without a country, for the reviewer to set.
    "service_list.json": ("Example Organization Inc.", "Community Counselling", NO_COUNTRY),
    "service_at_location_list.json": (
        "Example Organization Inc.",
        "MyCity Civic Center",
        {**NO_COUNTRY, "office.latitude": 100.0},
    ),
    # An organisation without services is itself the contact (its email and website).
    "organization_list.json": ("Example Organization Inc.", None, NO_COUNTRY),
}
# file -> what the refusal says (a readable file without a single contact record)
NO_RECORDS = {
    "base.json": "no contact records in this file (API description)",
    "taxonomy.json": "no contact records in this file (taxonomy)",
    "taxonomy_list.json": "no contact records in this file (taxonomy)",
    "taxonomy_term.json": "no contact records in this file (taxonomy term)",
    "taxonomy_term_list.json": "no contact records in this file (taxonomy term)",
}
NOT_DATASETS = {"make_datapackages.py"}  # Open Referral's script that writes the examples


def _count(session: Session) -> int:
    return session.execute(select(func.count(Submission.id))).scalar_one()


@needs_spec
def test_every_example_file_is_covered() -> None:
    shipped = {p.name for p in EXAMPLES.iterdir()}
    assert shipped == QUEUED.keys() | NO_RECORDS.keys() | NOT_DATASETS


@needs_spec
@pytest.mark.parametrize("name", sorted(QUEUED))
def test_example_is_queued_as_shipped_with_its_findings(db_session: Session, name: str) -> None:
    org_name, office_name, expected = QUEUED[name]
    report = hsds_import.import_path(db_session, EXAMPLES / name)
    assert report.problems == [] and report.records == 1, report.problems
    assert (report.new_contacts, report.flagged) == (1, 1)
    sub = db_session.get(Submission, report.submission_ids[0])
    assert sub is not None and sub.source == f"import: {Path(name).stem}"
    assert sub.changes["organization.name"] == org_name
    assert sub.changes.get("office.name") == office_name
    assert {f["path"]: f["value"] for f in sub.findings} == expected
    assert all(f["reason"] for f in sub.findings)
    for path in expected.keys() - {"organization.name"}:  # each failing value is left out
        assert sub.changes.get(path) is None
    if "office.country" in expected:
        assert sub.country == UNKNOWN_COUNTRY and "office.country" not in sub.changes
        assert "set the country before approving" in sub.findings[0]["reason"]
    else:
        assert sub.country == "US" and sub.changes["office.country"] == "US"
        phone = next(f for f in sub.findings if f["path"] == "new_phones.0")
        assert "GB" in phone["reason"]


@needs_spec
@pytest.mark.parametrize("name", sorted(NO_RECORDS))
def test_example_without_contact_records_is_refused_whole(db_session: Session, name: str) -> None:
    with pytest.raises(hsds_import.NoContactRecords) as refused:
        hsds_import.import_path(db_session, EXAMPLES / name)
    assert str(refused.value) == f"{name}: {NO_RECORDS[name]}"
    assert _count(db_session) == 0


@needs_spec
def test_a_contact_without_a_country_cannot_be_approved_until_one_is_given(
    db_session: Session,
) -> None:
    submission_id = queue_without_country(db_session)
    with pytest.raises(InvalidValue) as refused:
        decisions.approve(db_session, submission_id=submission_id, reviewer=REVIEWER)
    assert refused.value.field == "office.country"
    assert "no office country: give it before approving" in refused.value.message
    with pytest.raises(InvalidValue) as wrong:
        decisions.approve(
            db_session,
            submission_id=submission_id,
            reviewer=REVIEWER,
            edits={"office.country": "XX"},
        )
    assert wrong.value.field == "office.country"
    sub = db_session.get(Submission, submission_id)
    assert sub is not None and sub.status == SubmissionStatus.PENDING

    decided = decisions.approve(
        db_session,
        submission_id=submission_id,
        reviewer=REVIEWER,
        edits={"office.country": "gb", "office.region": "GB-LND"},
    )
    assert decided.status == SubmissionStatus.APPROVED
    assert (decided.country, decided.region) == ("GB", "GB-LND")
    assert decided.office_id is not None
    office = get_office(db_session, decided.office_id)
    assert (office.country, office.region, office.name) == ("GB", "GB-LND", "Community Counselling")
    assert office.organization.name == "Example Organization Inc."


@needs_spec
def test_strict_is_all_or_nothing(db_session: Session, tmp_path: Path) -> None:
    casa = {
        "name": "Casa",
        "services": [
            {
                "status": "active",
                "phones": [{"number": "+2348051112233"}],  # no other test's number
                "service_at_locations": [{"location": {"addresses": [{"country": "NG"}]}}],
            }
        ],
    }
    listed = json.loads((EXAMPLES / "service_list.json").read_text(encoding="utf-8"))
    good = tmp_path / "good.json"
    good.write_text(json.dumps([casa, listed["contents"][0]]), encoding="utf-8")
    tolerant = hsds_import.import_path(db_session, good, dry_run=True)
    assert (tolerant.new_contacts, tolerant.flagged, tolerant.problems) == (2, 1, [])
    strict = hsds_import.import_path(db_session, good, strict=True)
    assert strict.undone and strict.submission_ids == []
    assert [(p.where, p.field) for p in strict.problems] == [("[1]", "office.country")]
    assert _count(db_session) == 0
    alone = tmp_path / "alone.json"
    alone.write_text(json.dumps([casa]), encoding="utf-8")
    queued = hsds_import.import_path(db_session, alone, strict=True)
    assert not queued.undone and queued.new_contacts == 1 and _count(db_session) == 1
