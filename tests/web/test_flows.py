"""Each role's main path, end to end, in a real browser against a real server."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.web.conftest import NewPage, screenshot
from tests.web.scenario import Scenario


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


def test_verifier_records_wrong_number_in_two_clicks_and_the_office_leaves_the_sheet(
    new_page: NewPage, scenario: Scenario
) -> None:
    officer = new_page("officer")
    _preview_sheet(officer, lang2=None)
    on_sheet = officer.locator("table", has_text="Category").first
    expect(on_sheet).to_contain_text("Lagos Example Law Clinic")

    verifier = new_page("reviewer")
    verifier.goto("/verify?country=NG")
    task = verifier.locator("li.contact", has_text="Lagos Example Law Clinic")
    expect(task.locator("a.tel")).to_have_attribute("href", "tel:+2348031234574")
    task.get_by_role("button", name=re.compile("^Claim")).click()  # click 1
    task = verifier.locator("li.contact", has_text="Lagos Example Law Clinic")
    expect(task).to_contain_text("Claimed by you")
    screenshot(verifier, "worklist-claimed")
    task.get_by_role("button", name="Wrong number").click()  # click 2
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
    page = new_page("reviewer")
    page.goto("/digest")
    nigeria = page.locator("tr", has_text="Nigeria")
    expect(nigeria).to_be_visible()
    nigeria.get_by_role("link", name="Overdue and stale").click()
    expect(page.locator("li.contact", has_text="Example Welfare Office")).to_be_visible()
    expect(page.locator("li.contact", has_text="Example Return Support")).to_have_count(0)
    screenshot(page, "digest-drilldown")
