"""Gettext catalogs shipped as `.po` files and compiled with Babel in memory (fuzzy entries
left out), so no binary `.mo` can drift from its source. Used by the sheets, the outreach
mails and the web pages, each with its own domain."""

from __future__ import annotations

import gettext
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


class Marked(str):
    """A message marked with `N_()` or `P_()`: still its English text (what the JSON API
    shows), and known to the pages as one their catalogs translate (text built at run time
    is not)."""

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


def P_(message: str) -> str:
    """Mark a message that only pages show translated (a refusal of the sheets or of
    outreach, whose own catalogs print sheets and mails): the pages' extraction takes it
    from app/sheets and app/outreach (`extract_page_messages`), theirs leave it out."""
    return Marked(message)


def extract_page_messages(
    fileobj: IO[bytes], keywords: Iterable[str], comment_tags: Collection[str], options: Any
) -> Iterator[Any]:
    """A Babel extraction method (app/web/babel.cfg `[extractors]`): the `P_()` messages of
    a module, and no other, so the pages' catalogs leave a sheet's or a mail's words to the
    catalogs that print them."""
    from babel.messages.extract import extract_python

    return extract_python(fileobj, {"P_": None}, comment_tags, options)


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
