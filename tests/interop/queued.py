"""A record Open Referral's examples queue without a country, for the tests of what a
reviewer does with it (API, pages, browser)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.interop import hsds_import
from tests.interop.spec import SPEC


def queue_without_country(session: Session) -> int:
    """Import `service_list.json` as shipped (no address, no number: no country); the id of
    the one submission it queues."""
    report = hsds_import.import_path(session, SPEC / "examples" / "service_list.json")
    (submission_id,) = report.submission_ids
    return submission_id
