from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from app.sheets.i18n import (
    LOCALE_DIR,
    catalog_path,
    compiled_catalog,
    sheet_language,
    sheet_languages,
)

SHEETS_DIR = Path(__file__).resolve().parents[2] / "app" / "sheets"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/sheet.html", "jinja2")]
    # As in babel.cfg: pybabel extract -k N_ -k bi (plus the default gettext keywords).
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "bi": None}
    return {
        msg for _, _, msg, *_ in extract_from_dir(str(SHEETS_DIR), method_map, keywords=keywords)
    }


def test_template_catalog_is_up_to_date_with_the_sources() -> None:
    with (LOCALE_DIR / "sheets.pot").open("rb") as handle:
        pot = {m.id for m in read_po(handle) if m.id}
    assert _extracted() == pot


@pytest.mark.parametrize("lang", sorted(sheet_languages()))
def test_each_catalog_is_complete_and_keeps_placeholders(lang: str) -> None:
    with (LOCALE_DIR / "sheets.pot").open("rb") as handle:
        pot = {m.id for m in read_po(handle) if m.id}
    with catalog_path(lang).open("rb") as handle:
        catalog = read_po(handle)
    messages = {m.id: m for m in catalog if m.id}
    assert set(messages) == pot
    for msgid, message in messages.items():
        assert message.string, (lang, msgid)
        assert not message.fuzzy, (lang, msgid)
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid))


def test_catalogs_compile_with_babel_and_translate() -> None:
    assert compiled_catalog("fr").gettext("Nationwide") == "Dans tout le pays"
    assert sheet_language("ro").gettext("Police") == "Poliția"
    assert sheet_language("uk").gettext("Verified on %(date)s", date="1") == "Перевірено 1"


def test_arabic_is_right_to_left_and_others_left_to_right() -> None:
    assert sheet_language("ar").direction == "rtl"
    assert {sheet_language(code).direction for code in sheet_languages() if code != "ar"} == {"ltr"}


def test_names_and_dates_are_localised() -> None:
    from datetime import date

    assert sheet_language("ru").country("NG") == "Нигерия"
    assert sheet_language("fr").language("yo") == "yoruba"
    assert sheet_language("es").date(date(2026, 11, 29)) == "29 de noviembre de 2026"
    assert sheet_language("uk").region("UA-30") == "Київ"
