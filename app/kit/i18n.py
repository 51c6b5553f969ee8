"""Gettext catalogs shipped as `.po` files and compiled with Babel in memory (fuzzy entries
left out), so no binary `.mo` can drift from its source. Used by the sheets, the outreach
mails and the web pages, each with its own domain."""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


class Marked(str):
    """A message marked with `N_()`: still its English text (what the JSON API shows), and
    known to the pages as one their catalogs translate (text built at run time is not)."""

    __slots__ = ()


class Moment(str):
    """A moment inside a message: its ISO 8601 text for the JSON API, and the moment itself
    (`at`) for the pages, which write it as a date and time in their own language."""

    at: datetime

    def __new__(cls, at: datetime) -> Moment:
        moment = super().__new__(cls, at.isoformat())
        moment.at = at
        return moment


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return Marked(message)


def compile_po(path: Path, *, lang: str, domain: str) -> gettext.GNUTranslations:
    """A .po file compiled with Babel in memory (fuzzy entries left out)."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=domain)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalog_languages(locale_dir: Path, domain: str) -> tuple[str, ...]:
    """Every language with a `<lang>/LC_MESSAGES/<domain>.po` under `locale_dir`, sorted."""
    return tuple(
        sorted(
            p.name
            for p in locale_dir.iterdir()
            if p.is_dir() and (p / "LC_MESSAGES" / f"{domain}.po").exists()
        )
    )


@cache
def text_direction(code: str) -> str:
    """ "rtl" or "ltr", from CLDR."""
    return str(Locale.parse(code).text_direction)
