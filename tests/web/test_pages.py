"""Everyone's pages in a real browser: sign-in, CSRF, roles, officer search, coverage, admin."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import NewPage, dismiss_dialogs, screenshot
from tests.web.scenario import Scenario

pytestmark = pytest.mark.browser


def test_sign_in_sets_a_signed_httponly_strict_cookie_and_sign_out_clears_it(
    new_page: NewPage,
) -> None:
    page = new_page()
    page.goto("/officer")
    expect(page).to_have_url(re.compile(r"/signin\?next=/officer$"))
    screenshot(page, "signin")
    page.fill("#key", "hw_not-a-real-key")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("not valid")
    expect(page.locator("#key")).to_have_attribute("aria-invalid", "true")

    page = new_page("officer", fresh=True)
    expect(page).to_have_url(re.compile(r"/officer$"))
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "hw_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert "hw_" not in cookie["value"]  # the key itself never sits in the cookie

    signed_in_cookie = cookie["value"]
    page.click("text=Sign out")
    expect(page).to_have_url(re.compile(r"/signin$"))
    assert all(c["value"] != signed_in_cookie for c in page.context.cookies())
    page.goto("/officer")
    expect(page).to_have_url(re.compile(r"/signin\?next=/officer$"))


def test_a_forged_cookie_is_not_a_session(server: str) -> None:
    response = httpx.get(
        f"{server}/officer", cookies={"hw_session": "eyJrIjoxLCJjIjoieCJ9.forged.sig"}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_officer_finds_a_regions_contacts_grouped_by_category_with_freshness(
    new_page: NewPage,
) -> None:
    page = new_page("officer")
    page.fill("#country", "Nigeria")
    page.click("text=Show contacts")
    screenshot(page, "officer-choose-region")
    # The region list is Nigeria's ISO 3166-2 subdivisions.
    expect(page.locator("#region option[value='NG-LA']")).to_have_text("Lagos (NG-LA)")
    page.select_option("#region", "NG-LA")
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_have_text("Lagos, Nigeria")
    screenshot(page, "officer-results")

    headings = page.locator("section.category h2").all_inner_texts()
    assert [h.split("\n")[0].strip().rstrip("0123456789 ") for h in headings] == [
        "Law enforcement",
        "NGOs",
        "Lawyers and legal aid",
        "Social welfare",
    ]
    police = page.locator("li.contact", has_text="Lagos State Police Command")
    expect(police.locator(".badge")).to_have_text("Verified")
    expect(police.locator("a.tel")).to_have_attribute("href", "tel:+2348031234569")
    expect(police).to_contain_text("24/7")
    stale = page.locator("li.contact", has_text="Example Welfare Office")
    expect(stale.locator(".badge")).to_have_text("Stale")
    # The nationwide lawyer is listed with Lagos; the closed office is not.
    expect(page.locator("li.contact", has_text="Example Legal Aid Council")).to_contain_text(
        "Nationwide"
    )
    expect(page.locator("text=Former Drop-in Centre")).to_have_count(0)


def test_region_names_can_be_shown_localised(new_page: NewPage) -> None:
    page = new_page("officer", "/officer?country=AL&lang=ru")
    region = page.locator("#region")
    expect(region).to_have_attribute("lang", "ru")
    tirana = region.locator("option[value='AL-11']").inner_text()
    assert "AL-11" in tirana and re.search("[А-Яа-я]", tirana), tirana


def test_contact_detail_shows_verification_history(new_page: NewPage, scenario: Scenario) -> None:
    page = new_page("officer", f"/contacts/{scenario.offices['ngo']}")
    expect(page.locator("h1")).to_contain_text("Example Return Support (demo)")
    history = page.locator("#verifications + .table-wrap tbody tr")
    # Newest first; the first verification (by phone, when it was created) is the last row.
    expect(history.last).to_contain_text("Phone call")
    expect(history.last).to_contain_text("test-verifier")
    expect(page.locator("#changes + p")).to_contain_text("recorded change")
    screenshot(page, "contact-detail")


def test_contact_detail_shows_the_service_and_what_a_source_tells_of_it(
    new_page: NewPage, scenario: Scenario
) -> None:
    page = new_page("officer", f"/contacts/{scenario.offices['lawyer']}")
    facts = page.locator("dl.facts").first
    expect(facts.locator(".service-name")).to_have_text("Free legal advice clinic")
    expect(facts.locator("ul.phones li .ext")).to_have_text("ext. 12")
    expect(facts.locator(".address-2")).to_have_text("Legal Aid House, second floor")
    expect(facts.locator(".language-note")).to_have_text("(Interpreters on Tuesdays)")
    expect(facts.locator(".named-contact")).to_have_text("Ada Example · Duty lawyer")
    expect(facts.locator(".service-area")).to_have_text("Federal Capital Territory")
    expect(facts.locator(".accessibility")).to_have_text("Step-free entrance and lift")
    screenshot(page, "contact-detail-hsds")


def test_coverage_map_marks_gaps_and_opens_a_cells_offices(new_page: NewPage) -> None:
    page = new_page("reviewer", "/coverage?country=NG")
    lagos = page.locator("tr", has=page.locator("th", has_text="NG-LA"))
    expect(lagos.locator("td.cell").nth(1)).to_have_class(re.compile("c-verified"))
    expect(lagos.locator("td.cell").nth(3)).to_have_class(re.compile("c-gap"))  # only stale
    kano = page.locator("tr", has=page.locator("th", has_text="NG-KN"))
    kano_ngo = kano.locator("td.cell").nth(1)
    expect(kano_ngo).to_have_class(re.compile("c-gap"))  # never verified
    screenshot(page, "coverage")
    kano_ngo.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Kano")
    expect(page.locator("li.contact")).to_have_count(1)
    expect(page.locator("li.contact")).to_contain_text("Kano Example Shelter")


def test_ngo_key_cannot_open_staff_or_admin_pages(new_page: NewPage, scenario: Scenario) -> None:
    page = new_page("ngo")
    for path in ("/coverage?country=NG", "/admin/keys", "/officer"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_have_text("You cannot open this page")
    screenshot(page, "forbidden")
    # A confidential office does not exist for a partner.
    response = page.goto(f"/contacts/{scenario.offices['confidential']}")
    assert response is not None and response.status == 404


def test_a_form_without_its_csrf_token_is_refused(new_page: NewPage) -> None:
    page = new_page("admin", "/admin/keys")
    # Same browser, same cookie, but no token: the form is refused and nothing is created.
    response = page.request.post("/admin/keys", form={"name": "Sneaky", "role": "admin"})
    assert response.status == 403
    assert "not sent from a Homeward page" in response.text()
    # A form whose hidden token was removed in the page is refused the same way.
    page.fill("#f-name", "Also sneaky")
    page.select_option("#f-role", "officer")
    page.evaluate(
        "document.querySelector('form[action=\"/admin/keys\"] input[name=csrf_token]').remove()"
    )
    page.click("text=Create key")
    expect(page.locator("h1")).to_have_text("You cannot open this page")
    page.goto("/admin/keys")
    expect(page.locator("td", has_text="Sneaky")).to_have_count(0)


def test_admin_creates_a_key_shown_once_and_revokes_it(new_page: NewPage) -> None:
    admin = new_page("admin", "/admin/keys")
    admin.click("text=Create key")  # nothing filled in: errors next to the fields
    expect(admin.locator("#f-role-error")).to_contain_text("Choose a role")
    admin.fill("#f-name", "Border desk Dover")
    admin.select_option("#f-role", "officer")
    admin.click("text=Create key")
    secret = admin.locator("#new-key").inner_text().strip()
    assert secret.startswith("hw_")
    screenshot(admin, "admin-keys")
    admin.goto("/admin/keys")
    expect(admin.locator("#new-key")).to_have_count(0)  # shown once

    desk = new_page(key=secret)
    expect(desk).to_have_url(re.compile(r"/officer$"))

    row = admin.locator("tr", has_text="Border desk Dover")
    row.locator("a", has_text="Revoke").click()
    # Revoking asks first; Cancel leaves the key working.
    expect(admin.locator("h1")).to_contain_text("Border desk Dover")
    screenshot(admin, "admin-revoke-confirm")
    admin.click("text=Cancel")
    desk.goto("/officer")
    expect(desk).to_have_url(re.compile(r"/officer$"))
    row.locator("a", has_text="Revoke").click()
    admin.click("text=Confirm: revoke key")
    expect(admin.locator(".notice")).to_contain_text("revoked")
    # The revoked key's browser session ends on its next request.
    desk.goto("/officer")
    expect(desk).to_have_url(re.compile(r"/signin"))
    # Both are in the audit, naming the key (never its secret) and who acted.
    admin.goto("/admin/audit?entity=api_key")
    rows = admin.locator("tbody tr", has_text="Border desk Dover")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="revoked")).to_have_count(1)
    expect(rows.filter(has_text="created")).to_have_count(1)
    expect(rows.first).to_contain_text("Key ")
    assert secret not in admin.content()
    screenshot(admin, "admin-audit-keys")


def test_html_typed_into_a_name_is_shown_escaped(new_page: NewPage) -> None:
    page = new_page("admin", "/admin/keys")
    dialogs = dismiss_dialogs(page)
    evil = '<script>alert("x")</script><b>bold</b>'
    page.fill("#f-name", evil)
    page.select_option("#f-role", "officer")
    page.click("text=Create key")
    page.goto("/admin/keys")
    cell = page.locator("td", has_text='<script>alert("x")</script>')
    expect(cell).to_have_count(1)
    expect(page.locator("td b", has_text="bold")).to_have_count(0)
    assert "&lt;script&gt;" in page.content()
    assert dialogs == []


def test_audit_view_filters_recent_revisions(new_page: NewPage, scenario: Scenario) -> None:
    page = new_page("admin", "/admin/audit")
    expect(page.locator("tbody tr").first).to_be_visible()
    page.fill("#f-office_id", str(scenario.offices["tirana"]))
    page.fill("#f-field", "last_verified_at")
    page.click("text=Filter")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"Contact {scenario.offices['tirana']} — ")
    screenshot(page, "admin-audit")


def test_pages_work_by_keyboard_and_on_a_phone(new_page: NewPage) -> None:
    page = new_page("officer", mobile=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first thing after the skip link is the page's own form
    assert page.evaluate("document.activeElement.id") == "country"
    page.goto("/officer/contacts?country=NG&region=NG-LA")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing overflows sideways on a phone
    assert page.evaluate("document.documentElement.lang") == "en"
    screenshot(page, "officer-results-mobile")


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


def test_every_form_field_has_a_label_and_pages_declare_their_language(
    new_page: NewPage, scenario: Scenario
) -> None:
    office = scenario.offices["police"]
    visits = {
        "admin": [
            "/admin/keys",
            "/admin/audit",
            "/officer?country=NG",
            "/officer/sheet?country=NG",
            "/coverage?country=NG",
            "/verify",
            "/review",
            "/digest",
        ],
        "ngo": [
            "/ngo",
            "/ngo/new",
            f"/ngo/contacts/{office}/correct",
            f"/ngo/contacts/{office}/report",
            f"/ngo/contacts/{office}/confirm",
        ],
    }
    for role, paths in visits.items():
        page = new_page(role)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            assert page.evaluate(UNLABELLED) == [], path
            assert page.evaluate("document.documentElement.lang") == "en", path
            assert page.evaluate("document.documentElement.dir") == "ltr", path
            assert page.locator("h1").count() == 1, path
