"""The outreach texts (mail and answer pages) in the sheet languages.

Catalogs live in `locale/<lang>/LC_MESSAGES/outreach.po` and are compiled in memory with the
sheets' machinery (`app.sheets.i18n.compile_po`); names and dates come from CLDR as on the
sheets. A test fails when a catalog misses a message.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from babel.languages import get_official_languages

from app.sheets.i18n import SheetLanguage, compile_po, sheet_languages

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "outreach"
FALLBACK = "en"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def outreach_languages() -> tuple[str, ...]:
    """The languages a request can be written in: the sheet languages."""
    return sheet_languages()


class OutreachLanguage(SheetLanguage):
    """A sheet language speaking from the outreach catalog."""

    def gettext(self, message: str, **values: object) -> str:
        text = _catalog(self.code).gettext(message)
        return text % values if values else text


@cache
def _catalog(lang: str) -> gettext.GNUTranslations:
    return compile_po(catalog_path(lang), lang=lang, domain=DOMAIN)


@cache
def outreach_language(code: str) -> OutreachLanguage:
    return OutreachLanguage(code if code in outreach_languages() else FALLBACK)


def language_for(languages: Sequence[str], country: str) -> str:
    """The language of a request to an office that speaks `languages` in `country`.

    Among the office's languages Homeward has texts for, an official language of the country
    first (an office in France listing "en, fr" gets French), else the first of them; English
    when there is none.
    """
    shipped = [code for code in languages if code in outreach_languages()]
    official = set(get_official_languages(country, de_facto=True))
    for code in shipped:
        if code in official:
            return code
    return shipped[0] if shipped else FALLBACK
