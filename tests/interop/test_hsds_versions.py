"""HSDS 1.x and 2.0 packages import too.

The fixtures under tests/interop/fixtures/ (`hsds_1_1/`, `hsds_2_0/`) are written by us, from
the table and field lists of Open Referral's HSDS 1.1 and 2.0 reference documentation (no
published sample is copied): 1.1 links a service to its location by `services.location_id`
and has no service_at_location table; both keep addresses in `physical_addresses.csv`
(`state_province`, `postal_code`, `country`), name an organisation's site `url` and a
language's code `language`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.interop import hsds_import
from app.kit.principal import Principal
from app.review import decisions, queue
from app.review.models import Submission
from app.review.schemas import SubmissionPublic

FIXTURES = Path(__file__).parent / "fixtures"


def _submissions(session: Session, ids: list[int]) -> dict[str, Submission]:
    subs = session.execute(select(Submission).where(Submission.id.in_(ids))).scalars()
    return {s.changes["office.name"]: s for s in subs}


def test_hsds_1_1_package_links_services_by_location_id(db_session: Session) -> None:
    report = hsds_import.import_path(db_session, FIXTURES / "hsds_1_1")
    assert report.problems == [] and report.new_contacts == 2 and report.flagged == 0
    subs = _submissions(db_session, report.submission_ids)
    lagos, abuja = subs["Lagos office"], subs["Abuja office"]
    assert (lagos.country, lagos.region) == ("NG", "NG-LA")
    assert abuja.region == "NG-FC"  # the state's name, as 1.x often gives it
    assert lagos.changes["office.postal_code"] == "100001"
    assert lagos.changes["new_phones.0"]["number"] == "+2348031234567"
    assert abuja.changes["new_phones.0"]["number"] == "+2348037654321"
    assert lagos.changes["organization.website"] == "https://casa.example.org/"


def test_hsds_2_0_package_with_service_at_location(db_session: Session) -> None:
    report = hsds_import.import_path(db_session, FIXTURES / "hsds_2_0")
    assert report.problems == [] and report.new_contacts == 1
    (sub,) = _submissions(db_session, report.submission_ids).values()
    assert (sub.country, sub.region) == ("AL", "AL-11")
    assert sub.changes["new_phones.0"]["number"] == "+35522345678"
    assert sub.changes["office.languages"] == ["sq"]
    assert sub.changes["organization.name"] == "Linja e Shpresës"


def test_reviewer_sees_findings_and_fills_one_when_approving(
    db_session: Session, tmp_path: Path
) -> None:
    package = tmp_path / "package"
    shutil.copytree(FIXTURES / "hsds_2_0", package)
    path = package / "physical_addresses.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",AL-11,", ",Nowhere,"), "utf-8")
    report = hsds_import.import_path(db_session, package)
    assert report.flagged == 1
    review = queue.review(db_session, submission_id=report.submission_ids[0])
    (found,) = review.findings
    assert (found.field, found.path, found.value) == ("office.region", "office.region", "Nowhere")
    assert "findings" not in SubmissionPublic.model_fields  # what partners see carries none
    reviewer = Principal(name="Reviewer Rui", role="reviewer", key_id=None)
    sub = decisions.approve(
        db_session,
        submission_id=report.submission_ids[0],
        reviewer=reviewer,
        edits={"office.region": "AL-11"},
    )
    assert sub.applied is not None and sub.applied["office.region"] == "AL-11"


def test_a_location_with_only_a_postal_address_is_placed_by_it(
    db_session: Session, tmp_path: Path
) -> None:
    package = tmp_path / "package"
    shutil.copytree(FIXTURES / "hsds_2_0", package)
    (package / "physical_addresses.csv").rename(package / "postal_addresses.csv")
    report = hsds_import.import_path(db_session, package)
    assert report.problems == [] and report.new_contacts == 1
    (sub,) = _submissions(db_session, report.submission_ids).values()
    assert (sub.country, sub.region, sub.changes["office.city"]) == ("AL", "AL-11", "Tiranë")
