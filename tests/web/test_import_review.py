"""A reviewer finishes an imported record the source left without a country, in a real
browser: the finding beside the field, approval refused until the country is given, then
the country and region set on the page and the contact created with them."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from app.db import make_engine, unit_of_work
from app.review.models import Submission, SubmissionStatus
from tests.interop.queued import queue_without_country
from tests.interop.spec import needs_spec
from tests.web.conftest import NewPage
from tests.web.scenario import Scenario

pytestmark = pytest.mark.browser


@needs_spec
def test_reviewer_sets_the_country_an_import_left_out_and_approves(
    new_page: NewPage, scenario: Scenario, server: str, web_database_url: str
) -> None:
    engine = make_engine(web_database_url)
    try:
        with unit_of_work(engine) as session:
            submission_id = queue_without_country(session)
    finally:
        engine.dispose()

    reviewer = new_page("reviewer", f"/review/{submission_id}")
    expect(reviewer.locator("h1")).to_contain_text("Example Organization Inc.")
    row = reviewer.locator("tr", has=reviewer.locator("input[value='office.country']"))
    expect(row).to_contain_text("flagged")
    expect(row).to_contain_text("set the country before approving")

    reviewer.click("text=Approve the ticked fields")  # the proposed fields, no country
    expect(row.locator(".error")).to_contain_text(
        "The import found no office country: give it before approving."
    )

    row.locator("input[name='field']").check()
    row.locator("input[type='text']").fill("GB")
    reviewer.fill("input[name='edit:office.region']", "GB-LND")
    reviewer.click("text=Approve the ticked fields")
    expect(reviewer.locator(".notice")).to_contain_text(f"Approved submission {submission_id}")

    engine = make_engine(web_database_url)
    try:
        with unit_of_work(engine) as session:
            decided = session.get(Submission, submission_id)
            assert decided is not None and decided.status == SubmissionStatus.APPROVED
            assert (decided.country, decided.region) == ("GB", "GB-LND")
            office_id = decided.office_id
    finally:
        engine.dispose()
    contact = httpx.get(
        f"{server}/api/v1/contacts/{office_id}",
        headers={"Authorization": f"Bearer {scenario.keys['reviewer']}"},
    ).json()
    assert (contact["country"], contact["region"]) == ("GB", "GB-LND")
    assert contact["name"] == "Community Counselling"
