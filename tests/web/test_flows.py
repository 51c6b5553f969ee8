"""Each role's main path, end to end, in a real browser against a real server."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.web.conftest import NewPage, dismiss_dialogs, screenshot
from tests.web.scenario import Scenario

pytestmark = pytest.mark.browser


def _preview_sheet(page: Page, *, region: str = "NG-LA", lang2: str | None = "fr") -> None:
    page.goto("/officer/sheet")
    page.select_option("#f-country", "NG")
    page.click("text=Continue")
    page.select_option("#f-region", region)
    page.select_option("#f-lang", "en")
    if lang2:
        page.select_option("#f-lang2", lang2)
    page.click("text=Preview")


def _download_pdf_text(page: Page, link_text: str) -> str:
    with page.expect_download() as info:
        page.click(f"text={link_text}")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    path = download.path()
    assert path is not None
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() or "" for p in reader.pages)


def test_officer_previews_a_sheet_and_downloads_the_pdf(new_page: NewPage) -> None:
    page = new_page("officer")
    _preview_sheet(page)
    expect(page.locator("#preview-title")).to_contain_text("Lagos, Nigeria")
    left_out = page.locator("#left-out + p + .table-wrap tbody")
    expect(left_out.locator("tr", has_text="Example Welfare Office")).to_contain_text("Stale")
    expect(left_out.locator("tr", has_text="Confidential Safe House")).to_contain_text(
        "Confidential"
    )
    expect(left_out.locator("tr", has_text="Former Drop-in Centre")).to_contain_text("closed")
    screenshot(page, "officer-sheet-preview")

    text = _download_pdf_text(page, "Download PDF (A4)")
    assert "Lagos State Police Command" in text
    assert "0803 123 4569" in text and "+234 803 123 4569" in text
    assert "Confidential Safe House" not in text
    assert "Example Welfare Office" not in text  # stale
    assert "trafficking" not in text.lower()  # the desk's name is withheld from the sheet
    pocket = _download_pdf_text(page, "Download PDF (pocket)")
    assert "Lagos State Police Command" in pocket


def test_verifier_records_wrong_number_confirmed_and_the_office_leaves_the_sheet(
    new_page: NewPage, scenario: Scenario
) -> None:
    officer = new_page("officer")
    _preview_sheet(officer, lang2=None)
    on_sheet = officer.locator("table", has_text="Category").first
    expect(on_sheet).to_contain_text("Lagos Example Law Clinic")

    verifier = new_page("reviewer", "/verify?country=NG")
    task = verifier.locator("li.contact", has_text="Lagos Example Law Clinic")
    expect(task.locator("a.tel")).to_have_attribute("href", "tel:+2348031234574")
    task.get_by_role("button", name=re.compile("^Claim")).click()  # click 1
    task = verifier.locator("li.contact", has_text="Lagos Example Law Clinic")
    expect(task).to_contain_text("Claimed by you")
    screenshot(verifier, "worklist-claimed")
    task.get_by_role("button", name="Wrong number").click()  # click 2
    # It asks first, naming the number and what happens; Confirm records it.
    expect(verifier.locator("h1")).to_have_text("Mark +234 803 123 4574 as a wrong number?")
    expect(verifier.locator(".notice")).to_contain_text("off every sheet now")
    screenshot(verifier, "worklist-confirm-wrong-number")
    verifier.get_by_role("button", name="Confirm: Wrong number").click()  # click 3
    expect(verifier.locator(".notice")).to_contain_text("Wrong number")
    expect(verifier.locator("li.contact", has_text="Lagos Example Law Clinic")).to_have_count(0)

    _preview_sheet(officer, lang2=None)
    expect(officer.locator("table", has_text="Category").first).not_to_contain_text(
        "Lagos Example Law Clinic"
    )
    left_out = officer.locator("#left-out + p + .table-wrap tbody")
    expect(left_out.locator("tr", has_text="Lagos Example Law Clinic")).to_contain_text("Stale")
    text = _download_pdf_text(officer, "Download PDF (A4)")
    assert "Lagos Example Law Clinic" not in text
    assert "0803 123 4574" not in text

    # The contact page shows it stale, with the outcome in its history.
    officer.goto(f"/contacts/{scenario.offices['law_clinic_due']}")
    expect(officer.locator("h1 + p .badge")).to_have_text("Stale")


def test_digest_lists_each_country_with_overdue_and_stale_counts(new_page: NewPage) -> None:
    page = new_page("reviewer", "/digest")
    nigeria = page.locator("tr", has_text="Nigeria")
    expect(nigeria).to_be_visible()
    nigeria.get_by_role("link", name="Overdue and stale").click()
    expect(page.locator("li.contact", has_text="Example Welfare Office")).to_be_visible()
    expect(page.locator("li.contact", has_text="Example Return Support")).to_have_count(0)
    screenshot(page, "digest-drilldown")


def test_ngo_corrects_a_number_a_reviewer_approves_and_the_officer_sees_it(
    new_page: NewPage, scenario: Scenario
) -> None:
    office_id = scenario.offices["ngo"]
    partner = new_page("ngo", "/ngo")
    partner.select_option("#region", "NG-LA")
    partner.click("button:text('Show')")
    screenshot(partner, "ngo-browse")
    expect(partner.locator("text=Confidential Safe House")).to_have_count(0)
    partner.locator("li.contact", has_text="Example Return Support").get_by_role(
        "link", name="Suggest a correction"
    ).click()
    number = partner.locator("input[name^='phones.'][name$='.number']")
    # Pre-filled as dialled in the country, the international form as the hint.
    expect(number).to_have_value("0803 123 4567")
    number_hint = partner.locator(".field", has=number).locator(".hint")
    expect(number_hint).to_contain_text("+234 803 123 4567")
    expect(partner.locator("[name='office.city']")).to_have_value("Lagos")

    # A bad number and a bad website: errors next to each field, what was typed is kept.
    number.fill("12")
    partner.fill("[name='office.website']", "not a website")
    partner.click("text=Send for review")
    expect(partner.locator(".error-summary")).to_be_visible()
    number_field = partner.locator(".field", has=number)
    expect(number_field.locator(".error")).to_be_visible()
    expect(number).to_have_value("12")
    website = partner.locator(".field", has=partner.locator("[name='office.website']"))
    expect(website.locator(".error")).to_contain_text("web address")
    expect(partner.locator("[name='office.website']")).to_have_value("not a website")
    screenshot(partner, "ngo-correction-errors")

    partner.fill("[name='office.website']", "")
    number.fill("0803 123 4575")
    partner.fill("[name='note']", "Called them on 3 May; the old line is out of service.")
    partner.click("text=Send for review")
    expect(partner).to_have_url(re.compile(r"/ngo/submissions\?sent=\d+"))
    row = partner.locator("tbody tr").first
    expect(row).to_contain_text("Pending")
    submission_id = re.search(r"sent=(\d+)", partner.url).group(1)  # type: ignore[union-attr]
    screenshot(partner, "ngo-submissions")

    reviewer = new_page("reviewer", "/review")
    screenshot(reviewer, "review-queue")
    reviewer.get_by_role("link", name=submission_id, exact=True).click()
    expect(reviewer.locator("main")).to_contain_text("From Partner Network Nigeria (demo) — key")
    diff_row = reviewer.locator("tr", has_text="Phone +234 803 123 4567 — number")
    expect(diff_row.locator("td.old")).to_contain_text("+234 803 123 4567")
    expect(diff_row.locator("td.new input")).to_have_value("+234 803 123 4575")
    screenshot(reviewer, "review-diff")
    reviewer.click("text=Approve the ticked fields")
    expect(reviewer.locator(".notice")).to_contain_text(f"Approved submission {submission_id}")

    officer = new_page("officer", "/officer/contacts?country=NG&region=NG-LA")
    contact = officer.locator("li.contact", has_text="Example Return Support")
    expect(contact.locator("a.tel")).to_have_attribute("href", "tel:+2348031234575")
    expect(contact.locator(".badge")).to_have_text("Verified")
    officer.goto(f"/contacts/{office_id}")
    expect(officer.locator("#verifications + .table-wrap tbody tr").first).to_contain_text(
        "Partner correction"
    )
    expect(officer.locator("#changes ~ .table-wrap tbody")).to_contain_text(
        f"Correction #{submission_id}"
    )
    expect(officer.locator("#changes ~ .table-wrap tbody")).not_to_contain_text(
        f"#{submission_id} #{submission_id}"
    )

    partner.goto("/ngo/submissions")
    expect(partner.locator(f"#submission-{submission_id}")).to_contain_text("Approved")


def test_a_partial_approval_is_named_as_such_and_verifies_nothing(
    new_page: NewPage, scenario: Scenario, server: str
) -> None:
    office_id = scenario.offices["kano_unverified"]
    sent = httpx.post(
        f"{server}/api/v1/submissions",
        headers={"Authorization": f"Bearer {scenario.keys['ngo']}"},
        json={
            "kind": "correction",
            "office_id": office_id,
            "office": {
                "name": "Kano desk",
                "address": "3 Example Road",
                "postal_code": "700001",
                "opening_hours": "Mon–Fri 08:00–16:00",
            },
        },
    )
    assert sent.status_code == 201, sent.text
    submission_id = sent.json()["id"]

    reviewer = new_page("reviewer", f"/review/{submission_id}")
    reviewer.uncheck("input[name='field'][value='office.postal_code']")
    reviewer.uncheck("input[name='field'][value='office.opening_hours']")
    reviewer.click("text=Approve the ticked fields")
    expect(reviewer.locator(".notice")).to_contain_text(
        f"Partially approved submission {submission_id}: 2 of 4 changes applied"
    )
    contact = httpx.get(
        f"{server}/api/v1/contacts/{office_id}",
        headers={"Authorization": f"Bearer {scenario.keys['reviewer']}"},
    ).json()
    assert (contact["name"], contact["address"], contact["postal_code"]) == (
        "Kano desk",
        "3 Example Road",
        None,
    )
    assert contact["freshness"] == "unverified"


def test_ngo_proposal_with_html_in_the_name_is_escaped_and_a_rejection_reason_reaches_it(
    new_page: NewPage,
) -> None:
    partner = new_page("ngo", "/ngo/new")
    dialogs = dismiss_dialogs(partner)
    evil = "<img src=x onerror=alert(1)>Shelter <b>now</b>"
    partner.fill("[name='organization.name']", evil)
    partner.select_option("[name='organization.category']", "ngo")
    partner.select_option("[name='office.region']", "NG-KN")
    partner.fill("[name='new_phones.0.number']", "not a phone")
    partner.click("text=Send for review")
    # The error sits next to the phone; the typed name is kept, as text.
    phone = partner.locator(".field", has=partner.locator("[name='new_phones.0.number']"))
    expect(phone.locator(".error")).to_be_visible()
    expect(partner.locator("[name='organization.name']")).to_have_value(evil)
    partner.fill("[name='new_phones.0.number']", "0803 123 4576")
    partner.click("text=Send for review")
    expect(partner).to_have_url(re.compile(r"/ngo/submissions\?sent=\d+"))
    expect(partner.locator("tbody tr").first).to_contain_text("<img src=x onerror=alert(1)>")

    reviewer = new_page("reviewer", "/review?kind=new_contact")
    reviewer.locator("td a", has_text="Shelter <b>now</b>").click()
    expect(reviewer.locator("h1")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(reviewer.locator("main img")).to_have_count(0)
    reject = reviewer.locator("form[action$='/reject']")
    reject.locator("textarea").fill("We could not reach this number.")
    reject.get_by_role("button", name="Reject").click()
    expect(reviewer.locator(".notice")).to_contain_text("Rejected")
    partner.goto("/ngo/submissions")
    expect(partner.locator("tbody tr").first).to_contain_text("We could not reach this number.")
    assert dialogs == []


def test_ngo_confirms_a_contact_still_correct(new_page: NewPage, scenario: Scenario) -> None:
    partner = new_page("ngo", f"/contacts/{scenario.offices['police']}")
    partner.click("text=Confirm still correct")
    partner.fill("[name='note']", "Visited the desk today.")
    partner.click("text=Yes, everything above is correct")
    expect(partner.locator(".notice")).to_contain_text("confirmation is recorded")
    expect(partner.locator("#verifications + .table-wrap tbody tr").first).to_contain_text(
        "NGO network"
    )


def test_ngo_key_cannot_open_reviewer_pages(new_page: NewPage) -> None:
    partner = new_page("ngo")
    for path in ("/review", "/review/1", "/verify", "/digest"):
        response = partner.goto(path)
        assert response is not None and response.status == 403, path
        expect(partner.locator("h1")).to_have_text("You cannot open this page")


def test_verifier_records_changed_details_and_the_contact_is_verified_with_them(
    new_page: NewPage, scenario: Scenario
) -> None:
    verifier = new_page("admin", "/verify?country=NG&region=NG-OG")
    task = verifier.locator("li.contact", has_text="Ogun Example Counselling")
    task.get_by_role("button", name=re.compile("^Claim")).click()
    verifier.locator("li.contact", has_text="Ogun Example Counselling").get_by_role(
        "link", name="Details changed…"
    ).click()
    number = verifier.locator("input[name^='phone-']")
    expect(number).to_have_value("+2348031234578")
    number.fill("0803 123")  # too short: refused next to the field, typed value kept
    verifier.click("text=Save the changes and verify")
    expect(verifier.locator(".field", has=number).locator(".error")).to_be_visible()
    expect(number).to_have_value("0803 123")
    screenshot(verifier, "task-changed-errors")
    number.fill("0803 123 4577")
    verifier.fill("[name='opening_hours']", "Daily 08:00–20:00")
    verifier.click("text=Save the changes and verify")
    expect(verifier.locator(".notice")).to_contain_text("Details changed")

    verifier.goto(f"/contacts/{scenario.offices['ogun_unverified']}")
    expect(verifier.locator("h1 + p .badge")).to_have_text("Verified")
    expect(verifier.locator("a.tel").first).to_have_attribute("href", "tel:+2348031234577")
    expect(verifier.locator("main")).to_contain_text("Daily 08:00–20:00")
