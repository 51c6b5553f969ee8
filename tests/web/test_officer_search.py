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


def _search_country(page: Page, country: str) -> None:
    """The officer's search page, `country` typed in and searched."""
    page.goto("/officer")
    page.fill("#country", country)
    page.click("form.search button[type=submit]")


def test_countries_with_contacts_come_first_with_their_counts(new_page: NewPage) -> None:
    page = new_page("officer", "/officer")
    labels = _datalist_labels(page)
    # Other browser tests add contacts to the shared directory: the counts are checked
    # against the search itself.
    assert re.fullmatch(r"Albania — \d+ contacts? · AL", labels[0]), labels[:3]
    nigeria = re.fullmatch(r"Nigeria — (\d+) contacts · NG", labels[1])
    assert nigeria is not None, labels[:3]
    assert int(nigeria.group(1)) >= NIGERIA_CONTACTS
    assert "Antarctica — no contacts · AQ" in labels[2:]
    assert len(labels) > 240  # every country can still be chosen
    expect(page.locator("#country")).to_have_attribute("list", "country-list")
    page.goto("/officer/contacts?country=NG&every_region=1")
    expect(page.locator("p.lead")).to_contain_text(f"{nigeria.group(1)} contacts")


@pytest.mark.parametrize("typed", ["Nigeria", "nigeria", "ng", "NGA"])
def test_a_country_is_typed_by_name_or_iso_code(new_page: NewPage, typed: str) -> None:
    page = new_page("officer")
    _search_country(page, typed)
    expect(page.locator("h1")).to_have_text("Nigeria — nationwide offices")
    expect(page.locator("#country")).to_have_value("Nigeria")


def test_country_region_and_filters_are_one_page(new_page: NewPage) -> None:
    page = new_page("officer")
    _search_country(page, "Nigeria")
    # The results page itself offers the country's regions and the filters: no second page.
    expect(page.locator("#region option[value='NG-LA']")).to_have_text("Lagos (NG-LA)")
    page.select_option("#region", "NG-LA")
    page.click("summary:has-text('Filters')")  # folded away until a filter is in use
    page.check("input[name=category][value=ngo]")
    page.check("#arrival")
    page.click("form.search button[type=submit]")
    expect(page).to_have_url(re.compile(r"/officer/contacts\?.*region=NG-LA"))
    expect(page.locator("h1")).to_have_text("Lagos, Nigeria")
    expect(page.locator("input[name=category][value=ngo]")).to_be_checked()
    expect(page.locator("section.category h2")).to_have_count(1)
    expect(page.locator("section.category h2")).to_contain_text("NGOs")
    expect(page.locator("li.contact", has_text="Example Return Support")).to_have_count(1)
    contacts = page.locator("li.contact")
    for i in range(contacts.count()):
        expect(contacts.nth(i)).to_contain_text("meets on arrival")
    expect(page.locator("li.contact", has_text="Partner Network Nigeria")).to_have_count(0)

    # Language and freshness narrow the same list.
    page.goto("/officer/contacts?country=NG&region=NG-LA&language=yo")
    expect(page.locator("#language")).to_have_value("yo")
    expect(page.locator("li.contact", has_text="Example Return Support")).to_have_count(1)
    expect(page.locator("li.contact", has_text="Lagos State Police Command")).to_have_count(0)
    page.goto("/officer/contacts?country=NG&region=NG-LA&freshness=stale")
    expect(page.locator("input[name=freshness][value=stale]")).to_be_checked()
    expect(page.locator("li.contact", has_text="Example Welfare Office")).to_have_count(1)
    expect(page.locator("li.contact .badge")).to_have_text(
        ["Stale"] * page.locator("li.contact").count()
    )


def test_typing_another_country_replaces_the_chosen_region(new_page: NewPage) -> None:
    page = new_page("officer", "/officer/contacts?country=NG&region=NG-LA")
    page.fill("#country", "Albania")  # Lagos is still selected in the region list
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_have_text("Albania — nationwide offices")
    expect(page.locator(".error")).to_have_count(0)
    expect(page.locator("#region option[value='AL-11']")).to_have_count(1)


def test_nationwide_offices_read_nationwide_with_their_city_apart(new_page: NewPage) -> None:
    page = new_page("officer", "/officer/contacts?country=NG&region=NG-LA")
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
    _search_country(page, "Atlantis")
    expect(page.locator("#country-error")).to_contain_text("'Atlantis' is not a country")
    expect(page.locator("#country")).to_have_attribute("aria-invalid", "true")


def test_coverage_tells_covered_nationwide_from_gaps(new_page: NewPage) -> None:
    page = new_page("reviewer", "/coverage?country=NG")
    expect(page.locator(".legend")).to_contain_text("Covered nationwide")
    # Nigeria's nationwide legal-aid council prints, so no region lacks a lawyer: Kano has no
    # lawyer of its own and is covered nationwide, not a gap; it has no police at all: a gap.
    kano = page.locator("tr", has=page.locator("th", has_text="NG-KN"))
    expect(kano.locator("td.cell").nth(0)).to_have_class(re.compile("c-gap"))
    kano_lawyer = kano.locator("td.cell").nth(2)
    expect(kano_lawyer).to_have_class(re.compile("c-nationwide"))
    expect(kano_lawyer).to_contain_text("covered nationwide")
    regions = page.locator("table.matrix tbody tr").filter(has=page.locator("th small"))
    expect(regions).to_have_count(37)
    lawyer_column = regions.locator("td.cell:nth-of-type(3)")
    assert lawyer_column.evaluate_all("(cs) => cs.filter(c => c.matches('.c-gap')).length") == 0
    # The counts per region and for the country say gaps and nationwide-only apart.
    gaps = regions.locator("td.c-gap").count()
    nationwide_only = regions.locator("td.c-nationwide").count()
    assert nationwide_only >= 36
    expect(page.locator(".coverage-counts")).to_contain_text(
        f"{gaps} gaps and {nationwide_only} covered only nationwide"
    )
    per_row = regions.locator("td.num").all_inner_texts()
    assert sum(int(n) for n in per_row[0::2]) == gaps
    assert sum(int(n) for n in per_row[1::2]) == nationwide_only
    screenshot(page, "coverage-states")
    kano_lawyer.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Kano")
    expect(page.locator("section.category h2")).to_contain_text(["Lawyers and legal aid"])
    expect(page.locator("li.contact", has_text="Example Legal Aid Council")).to_contain_text(
        "Nationwide (office in Abuja)"
    )


def test_coverage_takes_a_typed_country_and_names_an_unknown_one(new_page: NewPage) -> None:
    page = new_page("reviewer", "/coverage")
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


def test_a_filter_added_to_the_nationwide_list_keeps_it_nationwide(new_page: NewPage) -> None:
    page = new_page("officer")
    page.goto("/coverage/NG/lawyer")  # the coverage map's nationwide row
    expect(page.locator("h1")).to_have_text("Nigeria — nationwide offices")
    page.check("input[name=freshness][value=verified]")
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_have_text("Nigeria — nationwide offices")
    expect(page.locator("li.contact", has_text="Lagos Example Law Clinic")).to_have_count(0)
    expect(page.locator("li.contact", has_text="Example Legal Aid Council")).to_have_count(1)
