"""An officer's and an NGO partner's whole walk in French and in Arabic, in a real browser
whose language is the user's (Accept-Language from the browser's locale): the pages say
so (`<html lang dir>`), speak the catalog's words, mirror for Arabic, and the switcher on
every page changes the language and keeps it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.auth.service import create_key
from app.db import make_engine, unit_of_work
from app.directory.geography import country_name, language_name, region_name
from app.directory.service import close_office
from app.web import i18n
from tests.factories import TEST_PROVENANCE, make_office, make_org
from tests.web.scenario import Scenario

pytestmark = pytest.mark.browser

WALK_LANGUAGES = ("fr", "ar")
Say = Callable[..., str]


def _say(lang: str) -> Say:
    """The catalog's words in `lang` (what the page must show), with values filled in."""
    catalog = i18n.translations(lang)

    def say(message: str, **values: object) -> str:
        text = catalog.gettext(message)
        assert text != message, f"{message!r} is not translated into {lang}"
        return text % values if values else text

    return say


@pytest.fixture
def open_page(browser: Browser, server: str) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def make(lang: str) -> Page:
        context = browser.new_context(
            base_url=server, locale=lang, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _sign_in(page: Page, key: str, say: Say) -> None:
    page.goto("/signin")
    expect(page.locator("h1")).to_have_text(say("Sign in"))
    page.fill("#key", key)
    page.get_by_role("button", name=say("Sign in"), exact=True).click()
    page.wait_for_load_state()


def _speaks(page: Page, lang: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def _mirrored(page: Page, lang: str) -> None:
    """In Arabic the header runs from the right: the brand sits at the right-hand side."""
    brand = page.locator(".brand").bounding_box()
    assert brand is not None
    if lang == "ar":
        assert brand["x"] > 640, brand
    else:
        assert brand["x"] < 640, brand


@pytest.mark.parametrize("lang", WALK_LANGUAGES)
def test_officer_walk(lang: str, open_page: Callable[[str], Page], scenario: Scenario) -> None:
    say = _say(lang)
    page = open_page(lang)
    _sign_in(page, scenario.keys["officer"], say)
    _speaks(page, lang)
    _mirrored(page, lang)
    expect(page.locator("h1")).to_have_text(say("Find contacts"))

    # Search by the country's name in the user's language, then its region.
    nigeria, lagos = country_name("NG", lang), region_name("NG-LA", lang)
    # Region names from Unicode CLDR (issue 17: Lagos printed in Latin script in Arabic).
    assert lagos == {"fr": "État de Lagos", "ar": "ولاية لاغوس"}[lang]
    page.fill("#country", nigeria)
    page.click("form.search button[type=submit]")
    expect(page.locator("h1")).to_contain_text(nigeria)
    expect(page.locator("#region option[value='NG-LA']")).to_have_text(f"{lagos} (NG-LA)")
    page.select_option("#region", "NG-LA")
    page.click("form.search button[type=submit]")
    # The place with the language's comma (Arabic's "،", not a Latin one).
    place = i18n.translations(lang).gettext("%(place)s, %(country)s")
    expect(page.locator("h1")).to_contain_text(place % {"place": lagos, "country": nigeria})
    if lang == "ar":
        expect(page.locator("h1")).to_contain_text(f"{lagos}، {nigeria}")
    # An international number stays left to right in a right-to-left page.
    international = page.locator("ul.contacts bdi.intl").first
    assert international.evaluate("e => getComputedStyle(e).direction") == "ltr"
    expect(page.locator("#cat-law_enforcement")).to_contain_text(say("Law enforcement"))
    expect(page.locator(".badge.f-verified").first).to_have_text(say("Verified"))

    # A contact, then the coverage of the country.
    page.locator("ul.contacts h3 a").first.click()
    expect(page.locator("h2#verifications")).to_have_text(say("Verification history"))
    # Its place in the page's language (the breadcrumb and "Where" were English).
    expect(page.locator("p.crumbs a")).to_have_text(re.compile(f"^({lagos}|{nigeria})$"))
    expect(page.locator("dl.facts").first).to_contain_text(nigeria)
    expect(page.locator("dl.facts dt").first).to_have_text(say("Phones"))
    page.goto("/coverage?country=NG")
    expect(page.locator("h1")).to_have_text(say("Coverage — %(country)s", country=nigeria))
    expect(page.locator("main")).to_contain_text(lagos)
    # The nationwide row is named in the language too (it read "Nationwide" in Arabic).
    expect(page.locator("tbody tr").first.locator("th")).to_have_text(say("Nationwide"))

    # The sheet preview, and the call worklist.
    page.goto("/officer/sheet")
    expect(page.locator("h1")).to_have_text(say("Print sheet"))
    page.select_option("#f-country", "NG")
    page.get_by_role("button", name=say("Continue")).click()
    page.select_option("#f-region", "NG-LA")
    page.select_option("#f-lang", lang)
    page.get_by_role("button", name=say("Preview")).click()
    expect(page.locator("#preview-title")).to_have_text(
        say("Preview — %(region)s, %(country)s", region=lagos, country=nigeria)
    )
    # Why a desk's name is withheld from the sheet: in the page's language too.
    withheld = say("withheld (blocklisted word): %(fields)s", fields=say("office name"))
    expect(page.locator("#withheld")).to_contain_text(withheld)
    page.goto("/verify")
    expect(page.locator("h1")).to_have_text(say("Call worklist"))
    expect(page).to_have_title(f"{say('Call worklist')} · Homeward")  # was English

    # The switcher in the footer: English from now on, on every page.
    page.select_option("#ui-language", "en")
    page.get_by_role("button", name=say("Change language")).click()
    expect(page.locator("h1")).to_have_text("Call worklist")
    _speaks(page, "en")
    page.goto("/officer")
    expect(page.locator("h1")).to_have_text("Find contacts")


@pytest.mark.parametrize("lang", WALK_LANGUAGES)
def test_ngo_partner_walk(
    lang: str, open_page: Callable[[str], Page], web_database_url: str
) -> None:
    say = _say(lang)
    # A partner of its own, so what it sends changes nothing other tests look at.
    engine = make_engine(web_database_url)
    try:
        with unit_of_work(engine) as session:
            org = make_org(session, name=f"Walk Partner {lang} (demo)")
            office = make_office(session, org=org, city="Lagos")
            key = create_key(session, name=f"Walk {lang}", role="ngo", organization_id=org.id)
            office_id, secret = office.id, key.secret
    finally:
        engine.dispose()
    page = open_page(lang)
    _sign_in(page, secret, say)
    _speaks(page, lang)
    _mirrored(page, lang)
    expect(page.locator("#own-title")).to_have_text(say("Your organisation's offices"))
    # Its own office's region in the page's language (it read "Lagos" in Arabic).
    expect(page.locator("#own-offices")).to_contain_text(str(region_name("NG-LA", lang)))

    # Suggest a correction to its own office.
    page.goto(f"/contacts/{office_id}")
    page.get_by_role("link", name=say("Suggest a correction")).first.click()
    expect(page.locator("h1")).to_have_text(say("Suggest a correction"))
    # The number in a phone's hint stays left to right (it read "4567 123 803 234+" in Arabic).
    hint = page.locator("fieldset .hint").first.inner_text()
    isolated = re.search("\u2066\\+234[\\d ]+\u2069", hint)
    assert isolated if lang == "ar" else "\u2066" not in hint, hint
    page.fill("#f-office-city", "Ikeja")
    page.get_by_role("button", name=say("Send for review")).click()
    expect(page.locator("h1")).to_have_text(say("My submissions"))
    notice = page.locator(".notice p")
    sent = re.search(r"\d+", notice.inner_text())
    assert sent is not None
    expect(notice).to_have_text(
        say(
            "Thank you — submission %(id)s is waiting for a reviewer. You will see the "
            "decision here.",
            id=sent.group(0),
        )
    )

    # What it sent, withdrawn again.
    page.locator(f'a[href="/ngo/submissions/{sent.group(0)}"]').first.click()
    page.get_by_role("button", name=say("Withdraw")).click()
    expect(page.locator(".notice p")).to_have_text(
        say("You withdrew this submission. Reviewers will not see it any more.")
    )

    # A new contact sent empty: the error summary names each field, in the language.
    page.goto("/ngo/new")
    expect(page.locator("h1")).to_have_text(say("Propose a new contact"))
    page.fill("[name='organization.name']", "Walk Night Shelter (demo)")
    page.get_by_role("button", name=say("Send for review")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    # The summary names the field, then the reason (its first letter lowered after the name).
    reason = say("Give at least one phone number.")
    expect(summary).to_contain_text(re.compile(re.escape(reason[1:]), re.IGNORECASE))

    # A bad value the domain refuses (issue 17: its reasons reached pages in English): the
    # reason in the page's language, after the field's label in that language.
    page.select_option("[name='organization.category']", "ngo")
    page.fill("[name='new_phones.0.number']", "0803 12")
    page.get_by_role("button", name=say("Send for review")).click()
    bad_number = say(
        "'%(number)s' is not a valid phone number in %(country)s", number="0803 12", country="NG"
    )
    expect(summary).to_contain_text(bad_number[1:])
    expect(summary).to_contain_text(say("New phone %(index)s", index=1))
    if lang == "fr":
        expect(summary).to_contain_text(
            "« 0803 12 » n'est pas un numéro de téléphone valide pour NG."
        )


def test_a_contacts_history_names_statuses_in_the_language(
    open_page: Callable[[str], Page], scenario: Scenario, web_database_url: str
) -> None:
    """A closed office's history read "active → closed" in English on a French page."""
    office_id = _new_office(web_database_url, "History Walk (demo)", close=True)
    say = _say("fr")
    page = open_page("fr")
    _sign_in(page, scenario.keys["officer"], say)
    page.goto(f"/contacts/{office_id}")
    row = page.locator("table tr", has_text=say("closed")).filter(has_text=say("status"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(say("open"))
    expect(row).not_to_contain_text("active")


def test_a_contacts_languages_are_listed_the_languages_way(
    open_page: Callable[[str], Page], scenario: Scenario, web_database_url: str
) -> None:
    """Names in a list are joined by CLDR's pattern: Arabic "و", not a Latin comma."""
    office_id = _new_office(web_database_url, "Languages Walk (demo)", languages=["en", "yo"])
    page = open_page("ar")
    _sign_in(page, scenario.keys["officer"], _say("ar"))
    page.goto(f"/contacts/{office_id}")
    english, yoruba = language_name("en", "ar"), language_name("yo", "ar")
    expect(page.locator("dl.facts").first).to_contain_text(f"{english} و{yoruba}")


def _new_office(database_url: str, org_name: str, *, close: bool = False, **fields: Any) -> int:
    """An office of a new organisation in the browser tests' database (closed if asked)."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            office = make_office(session, org=make_org(session, name=org_name), **fields)
            if close:
                close_office(session, office_id=office.id, provenance=TEST_PROVENANCE)
            return int(office.id)
    finally:
        engine.dispose()
