"""Pages on a 390 px phone screen: nothing the officer needs is scrolled out of sight."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.web.conftest import NewPage, screenshot

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def _inside_the_screen(cell: Locator) -> None:
    """The cell lies within the phone's width and no scrolling box hides part of it."""
    hidden = cell.evaluate(
        """el => {
          const wrap = el.closest('.table-wrap');
          const box = el.getBoundingClientRect();
          return {
            left: box.left, right: box.right, width: box.width,
            wrapOverflows: wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : false,
          };
        }"""
    )
    assert hidden["width"] > 0, "not rendered"
    assert hidden["left"] >= 0 and hidden["right"] <= PHONE_WIDTH, hidden
    assert not hidden["wrapOverflows"], "the table scrolls sideways: columns are out of sight"


def test_the_sheet_preview_shows_phones_and_verified_dates_on_a_phone(
    new_page: NewPage,
) -> None:
    page = new_page("officer", mobile=True)
    page.goto("/officer/sheet?country=NG&region=NG-LA&lang=en&size=a4")
    expect(page.locator("#preview-title")).to_contain_text("Lagos, Nigeria")
    rows = page.locator("table.stack").first.locator("tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        phones = rows.nth(i).locator("td[data-label='Phones']")
        verified = rows.nth(i).locator("td[data-label='Verified']")
        expect(phones).to_contain_text("0")
        expect(verified).to_contain_text("20")
        _inside_the_screen(phones)
        _inside_the_screen(verified)
    # The column's name stands beside each value, since the header row is out of sight.
    label = rows.first.locator("td[data-label='Verified']").evaluate(
        "el => getComputedStyle(el, '::before').content"
    )
    assert label == '"Verified"'
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot(page, "officer-sheet-preview-mobile")


def test_the_sheet_preview_is_still_a_table_on_a_desktop(new_page: NewPage) -> None:
    page = new_page("officer", "/officer/sheet?country=NG&region=NG-LA&lang=en&size=a4")
    header = page.locator("table.stack").first.locator("thead th", has_text="Verified")
    expect(header).to_be_visible()
    assert page.locator("table.stack").first.evaluate("el => getComputedStyle(el).display") == (
        "table"
    )
