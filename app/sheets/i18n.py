"""Sheet languages: gettext catalogs compiled with Babel, plus CLDR names and dates.

The catalogs are shipped as `.po` files only (`locale/<lang>/LC_MESSAGES/sheets.po`); they
are compiled with Babel's `write_mo` into memory the first time a language is used, so no
binary `.mo` can drift from its source. Fuzzy entries are never used.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app.directory.geography import country_name, language_name, region_name

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "sheets"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def sheet_languages() -> tuple[str, ...]:
    """Every language with a shipped catalog."""
    return tuple(
        sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir() and catalog_path(p.name).exists())
    )


def compile_po(path: Path, *, lang: str, domain: str) -> gettext.GNUTranslations:
    """A .po file compiled with Babel in memory (fuzzy entries left out). Other domains
    (app/outreach) ship their own catalogs and compile them with this too."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def compiled_catalog(lang: str) -> gettext.GNUTranslations:
    """The language's catalog, compiled from its .po with Babel (in memory, once)."""
    return compile_po(catalog_path(lang), lang=lang, domain=DOMAIN)


@dataclass(frozen=True)
class SheetLanguage:
    """Everything a template needs to speak one language."""

    code: str

    @property
    def direction(self) -> str:
        return _direction(self.code)

    def gettext(self, message: str, **values: object) -> str:
        text = compiled_catalog(self.code).gettext(message)
        return text % values if values else text

    def date(self, value: date) -> str:
        return format_date(value, format="long", locale=self.code)

    def language(self, code: str) -> str:
        return language_name(code, self.code)

    def country(self, code: str) -> str:
        return country_name(code, self.code)

    def region(self, code: str | None) -> str | None:
        return region_name(code, self.code)


@cache
def _direction(code: str) -> str:
    return str(Locale.parse(code).text_direction)


@cache
def sheet_language(code: str) -> SheetLanguage:
    return SheetLanguage(code)
