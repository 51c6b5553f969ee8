"""The outreach catalogs: up to date with the sources, complete in every sheet language,
and free of the words a discreet mail must not carry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from app.outreach.i18n import (
    LOCALE_DIR,
    catalog_path,
    language_for,
    outreach_language,
    outreach_languages,
)
from app.sheets.blocklist import blocklist

APP = Path(__file__).resolve().parents[2] / "app"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pot() -> set[str]:
    with (LOCALE_DIR / "outreach.pot").open("rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def _extracted() -> set[str]:
    # As in app/outreach/babel.cfg: pybabel extract -k N_ app/outreach app/web/templates
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = {
        msg
        for _, _, msg, *_ in extract_from_dir(
            str(APP / "outreach"), [("**.py", "python")], keywords=keywords
        )
    }
    found |= {
        msg
        for _, _, msg, *_ in extract_from_dir(
            str(APP / "web" / "templates"), [("**/outreach_*.html", "jinja2")], keywords=keywords
        )
    }
    return found


def test_template_catalog_is_up_to_date_with_the_sources() -> None:
    assert _extracted() == _pot()


def test_every_sheet_language_has_an_outreach_catalog() -> None:
    assert len(outreach_languages()) == 11
    for lang in outreach_languages():
        assert catalog_path(lang).exists(), lang


@pytest.mark.parametrize("lang", sorted(outreach_languages()))
def test_each_catalog_is_complete_discreet_and_keeps_placeholders(lang: str) -> None:
    with catalog_path(lang).open("rb") as handle:
        messages = {m.id: m for m in read_po(handle) if m.id}
    assert set(messages) == _pot()
    blocked = blocklist()
    for msgid, message in messages.items():
        assert message.string, (lang, msgid)
        assert not message.fuzzy, (lang, msgid)
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid))
        assert blocked.find(str(message.string)) == [], (lang, msgid)
        if lang != "en":
            assert message.string != msgid or msgid in {"Email", "Organisation"}, (lang, msgid)


def test_the_language_is_an_official_one_of_the_office_when_it_has_one() -> None:
    assert language_for(["en", "fr"], "FR") == "fr"
    assert language_for(["en", "fr"], "NG") == "en"
    assert language_for(["fr", "yo"], "NG") == "fr"
    assert language_for(["sq"], "AL") == "sq"
    assert language_for(["yo", "ha"], "NG") == "en"  # no catalog: English
    assert language_for([], "TH") == "en"
    assert outreach_language("uk").gettext("Back") == "Назад"
    assert outreach_language("ar").direction == "rtl"
