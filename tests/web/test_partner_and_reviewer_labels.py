"""Issue 17's findings for partners, reviewers and admins, each as a user meets it in a real
browser: own offices first, a submission opened and withdrawn, languages by name, errors
that name their field, phone kinds and numbers as people write them, region names."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import NewPage, screenshot
from tests.web.scenario import Scenario

pytestmark = pytest.mark.browser


def test_the_partners_start_page_lists_its_own_offices_first(
    new_page: NewPage, scenario: Scenario
) -> None:
    partner = new_page("ngo", "/ngo")
    own = partner.locator("#own-offices")
    expect(own.locator("h2").first).to_have_text("Your organisation's offices")
    expect(own.locator("li.contact")).to_have_count(1)
    expect(own.locator("li.contact")).to_contain_text("Partner Network Nigeria (demo)")
    expect(own.locator("li.contact")).to_contain_text("0809 123 4567")
    others = partner.locator("main > section.category")
    expect(others.filter(has_text="Partner Network Nigeria")).to_have_count(0)
    screenshot(partner, "ngo-start-own-offices")


def test_a_partner_picks_languages_by_name_opens_what_it_sent_and_withdraws_it(
    new_page: NewPage, scenario: Scenario
) -> None:
    office_id = scenario.offices["welfare_stale"]
    partner = new_page("ngo", f"/ngo/contacts/{office_id}/correct")
    languages = partner.locator("select[name='office.languages']")
    expect(languages.locator("option[value='ha']")).to_have_text("Hausa")
    languages.select_option(label=["Hausa", "Yoruba"])
    kinds = partner.locator("select[name='new_phones.0.kind'] option")
    expect(kinds).to_have_text(["Voice", "Mobile", "Hotline", "WhatsApp", "SMS", "Fax"])
    partner.fill("[name='office.city']", "Ikorodu")
    screenshot(partner, "ngo-correction-languages")
    partner.click("text=Send for review")
    expect(partner).to_have_url(re.compile(r"/ngo/submissions\?sent=\d+"))
    submission_id = re.search(r"sent=(\d+)", partner.url).group(1)  # type: ignore[union-attr]

    partner.locator(f"#submission-{submission_id}").get_by_role("link", name="Correction").click()
    expect(partner.locator("h1")).to_contain_text("Correction")
    city = partner.locator("tr", has_text="Office city")
    expect(city.locator("td.old")).to_have_text("Lagos")
    expect(city.locator("td.new")).to_have_text("Ikorodu")
    expect(partner.locator("tr", has_text="Office languages").locator("td.new")).to_have_text(
        "Hausa, Yoruba"
    )
    screenshot(partner, "ngo-submission-pending")

    reviewer = new_page("reviewer", "/review")
    expect(reviewer.get_by_role("link", name=submission_id, exact=True)).to_have_count(1)

    partner.get_by_role("button", name="Withdraw").click()
    expect(partner.locator(".notice")).to_contain_text("You withdrew this submission")
    expect(partner.locator("main")).to_contain_text("Withdrawn")
    expect(partner.get_by_role("button", name="Withdraw")).to_have_count(0)
    screenshot(partner, "ngo-submission-withdrawn")
    reviewer.goto("/review")
    expect(reviewer.get_by_role("link", name=submission_id, exact=True)).to_have_count(0)


def test_the_error_summary_names_the_field(new_page: NewPage) -> None:
    partner = new_page("ngo", "/ngo/new")
    partner.fill("[name='organization.name']", "Example Night Shelter (demo)")
    partner.click("text=Send for review")
    summary = partner.locator(".error-summary")
    expect(summary).to_contain_text("New phone 1 — number: give at least one phone number.")
    screenshot(partner, "ngo-new-error-summary")


def test_the_worklist_and_queue_show_region_names_not_codes(new_page: NewPage) -> None:
    reviewer = new_page("reviewer", "/verify?country=NG")
    first = reviewer.locator("li.contact").first
    expect(first.locator(".meta").first).to_contain_text("Nigeria")
    expect(reviewer.locator("ul.contacts")).not_to_contain_text("NG-LA")
    screenshot(reviewer, "worklist-region-names")
