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
from pathlib import Path

from babel.dates import format_date

from app.directory.geography import country_name, language_name, region_name
from app.kit.i18n import N_, catalog_languages, compile_po, text_direction

__all__ = ["N_", "SheetLanguage", "compile_po", "sheet_language", "sheet_languages"]

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "sheets"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def sheet_languages() -> tuple[str, ...]:
    """Every language with a shipped catalog."""
    return catalog_languages(LOCALE_DIR, DOMAIN)


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
        return text_direction(self.code)

    def gettext(self, message: str, **values: object) -> str:
        text = compiled_catalog(self.code).gettext(message)
        return text % values if values else text

    def date(self, value: date, width: str = "long") -> str:
        """The date as this language writes it; `width` is CLDR's ("long", "medium")."""
        return format_date(value, format=width, locale=self.code)

    def language(self, code: str) -> str:
        return language_name(code, self.code)

    def country(self, code: str) -> str:
        return country_name(code, self.code)

    def region(self, code: str | None) -> str | None:
        return region_name(code, self.code)


@cache
def sheet_language(code: str) -> SheetLanguage:
    return SheetLanguage(code)
