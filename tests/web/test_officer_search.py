"""Officer search and coverage as a new user meets them (issue 17, items 4 and 5): typing a
country, country and region on one page, filters, nationwide offices, inline errors, and a
coverage map that tells "covered nationwide" from a gap."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import NewPage, screenshot

pytestmark = pytest.mark.browser

# What the officer sees in the scenario: Nigeria's open offices (its confidential one too),
# and Albania's one.
NIGERIA_CONTACTS = 9


def _datalist_labels(page: Page) -> list[str]:
    return page.locator("#country-list option").evaluate_all("(os) => os.map(o => o.label)")


def test_countries_with_contacts_come_first_with_their_counts(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/officer")
    labels = _datalist_labels(page)
    assert labels[:2] == ["Albania — 1 contact · AL", f"Nigeria — {NIGERIA_CONTACTS} contacts · NG"]
    assert "Antarctica — no contacts · AQ" in labels[2:]
    assert len(labels) > 240  # every country can still be chosen
    expect(page.locator("#country")).to_have_attribute("list", "country-list")


@pytest.mark.parametrize("typed", ["Nigeria", "nigeria", "ng", "NGA"])
def test_a_country_is_typed_by_name_or_iso_code(new_page: NewPage, typed: str) -> None:
    page = new_page("officer")
    page.goto("/officer")
    page.fill("#country", typed)
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_have_text("Nigeria — nationwide offices")
    expect(page.locator("#country")).to_have_value("Nigeria")


def test_country_region_and_filters_are_one_page(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/officer")
    page.fill("#country", "Nigeria")
    page.click("form.search button[type=submit]")
    # The results page itself offers the country's regions and the filters: no second page.
    expect(page.locator("#region option[value='NG-LA']")).to_have_text("Lagos (NG-LA)")
    page.select_option("#region", "NG-LA")
    page.click("summary:has-text('Filters')")  # folded away until a filter is in use
    page.check("input[name=category][value=ngo]")
    page.check("#arrival")
    page.click("form.search button[type=submit]")
    expect(page).to_have_url(re.compile(r"/officer/contacts\?.*region=NG-LA"))
    expect(page.locator("h1")).to_have_text("Lagos, Nigeria")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("li.contact")).to_contain_text("Example Return Support")
    expect(page.locator("input[name=category][value=ngo]")).to_be_checked()

    # Language and freshness narrow the same list.
    page.goto("/officer/contacts?country=NG&region=NG-LA&language=yo")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("#language")).to_have_value("yo")
    page.goto("/officer/contacts?country=NG&region=NG-LA&freshness=stale")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("li.contact")).to_contain_text("Example Welfare Office")
    expect(page.locator("input[name=freshness][value=stale]")).to_be_checked()


def test_typing_another_country_replaces_the_chosen_region(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/officer/contacts?country=NG&region=NG-LA")
    page.fill("#country", "Albania")  # Lagos is still selected in the region list
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_have_text("Albania — nationwide offices")
    expect(page.locator(".error")).to_have_count(0)
    expect(page.locator("#region option[value='AL-11']")).to_have_count(1)


def test_nationwide_offices_read_nationwide_with_their_city_apart(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/officer/contacts?country=NG&region=NG-LA")
    lawyer = page.locator("li.contact", has_text="Example Legal Aid Council")
    expect(lawyer.locator("p.meta").nth(0)).to_contain_text("Nationwide (office in Abuja)")
    expect(lawyer).not_to_contain_text("Nationwide · ")


@pytest.mark.parametrize(
    ("query", "field", "reason", "kept"),
    [
        (
            "country=NG&region=XX-99",
            "region",
            "'XX-99' is not an ISO 3166-2 subdivision",
            "Nigeria",
        ),
        ("country=AL&region=NG-LA", "region", "not an ISO 3166-2 subdivision of AL", "Albania"),
        ("country=Narnia", "country", "'Narnia' is not a country", "Narnia"),
        ("country=NG&category=pirates", "category", "'pirates' is not one of", "Nigeria"),
    ],
)
def test_a_bad_value_in_the_address_is_shown_next_to_its_field(
    new_page: NewPage, query: str, field: str, reason: str, kept: str
) -> None:
    page = new_page("officer")
    response = page.goto(f"/officer/contacts?{query}")
    assert response is not None and response.status == 422
    expect(page.locator("h1")).to_have_text("Find contacts")  # the search page, not an error page
    expect(page.locator(f"#{field}-error")).to_contain_text(reason)
    expect(page.locator("#country")).to_have_value(kept)
    expect(page.locator("form.search button[type=submit]")).to_be_visible()
    expect(page.locator("li.contact")).to_have_count(0)


def test_an_unknown_country_typed_in_the_form_is_shown_inline(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/officer")
    page.fill("#country", "Atlantis")
    page.click("form.search button[type=submit]")
    expect(page.locator("#country-error")).to_contain_text("'Atlantis' is not a country")
    expect(page.locator("#country")).to_have_attribute("aria-invalid", "true")


def test_coverage_tells_covered_nationwide_from_gaps(new_page: NewPage) -> None:
    page = new_page("reviewer")
    page.goto("/coverage?country=NG")
    # Nigeria's nationwide legal-aid council prints: no region lacks a lawyer. Lagos has its
    # own (due), 36 regions are covered nationwide; police, NGOs and welfare are real gaps.
    expect(page.locator(".coverage-counts")).to_contain_text(
        "109 gaps and 36 covered only nationwide"
    )
    expect(page.locator(".legend")).to_contain_text("Covered nationwide")
    kano = page.locator("tr", has=page.locator("th", has_text="NG-KN"))
    expect(kano.locator("td.cell").nth(1)).to_have_class(re.compile("c-gap"))
    kano_lawyer = kano.locator("td.cell").nth(2)
    expect(kano_lawyer).to_have_class(re.compile("c-nationwide"))
    expect(kano_lawyer).to_contain_text("covered nationwide")
    expect(kano.locator("td.num")).to_have_text(["3", "1"])  # gaps, nationwide only
    lagos = page.locator("tr", has=page.locator("th", has_text="NG-LA"))
    expect(lagos.locator("td.cell").nth(2)).to_have_class(re.compile("c-due"))
    kano_lawyer.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Kano")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("li.contact")).to_contain_text("Example Legal Aid Council")


def test_coverage_takes_a_typed_country_and_names_an_unknown_one(new_page: NewPage) -> None:
    page = new_page("reviewer")
    page.goto("/coverage")
    page.fill("#country", "nigeria")
    page.click("text=Show coverage")
    expect(page.locator("h1")).to_have_text("Coverage — Nigeria")
    response = page.goto("/coverage?country=Narnia")
    assert response is not None and response.status == 422
    expect(page.locator("#country-error")).to_contain_text("'Narnia' is not a country")


@pytest.mark.parametrize("mobile", [False, True], ids=["1280px", "390px"])
def test_search_and_coverage_fit_a_desk_and_a_phone(new_page: NewPage, mobile: bool) -> None:
    page = new_page("officer", mobile=mobile)
    suffix = "-mobile" if mobile else ""
    for path, name in (
        ("/officer", "officer-search"),
        (
            "/officer/contacts?country=NG&region=NG-LA&category=ngo&category=lawyer",
            "officer-search-results",
        ),
        ("/officer/contacts?country=NG&region=XX-99", "officer-search-error"),
        ("/coverage?country=NG", "coverage-nationwide"),
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = 390 if mobile else 1280
        if not path.startswith("/coverage"):  # the matrix scrolls inside its own box
            assert width <= viewport, (path, width)
        screenshot(page, name + suffix)
