"""The web pages' language: one gettext catalog per sheet language (`locale/<lang>/LC_MESSAGES/
web.po`, compiled in memory by app.kit.i18n), chosen per request and held in a context
variable, so templates (`{% trans %}`, `_()`) and the web layer's Python (`_()`) speak it.
The JSON API never uses it."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.kit.i18n import N_, compile_po, text_direction
from app.sheets.i18n import sheet_languages

__all__ = ["N_", "_", "current_language", "direction", "ngettext", "using_language"]

LOCALE_DIR = Path(__file__).parent / "locale"
# Where the pages' messages are marked: app/ (relative to the project root), read as
# babel.cfg says: the web layer, the domain's error templates (`N_()`, app/kit/errors.py)
# that pages show translated, and from app/sheets and app/outreach (which have catalogs of
# their own) only the refusals marked `P_()`, extracted with `-k P_`.
MESSAGE_SOURCES = ("app",)
DOMAIN = "web"
DEFAULT_LANGUAGE = "en"

_ENGLISH = gettext.NullTranslations()


@dataclass
class _Speaking:
    """The request's language. One object per request, shared (not copied) by the threads
    its dependencies and endpoint run in, so `speak()` in a dependency reaches the page."""

    language: str
    catalog: gettext.NullTranslations


_speaking: ContextVar[_Speaking | None] = ContextVar("web_language", default=None)


def web_languages() -> tuple[str, ...]:
    """The pages speak every language the sheets do."""
    return sheet_languages()


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The language's catalog (English, the msgids themselves, when none is shipped)."""
    path = catalog_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    return compile_po(path, lang=lang, domain=DOMAIN)


@contextmanager
def using_language(lang: str, catalog: gettext.NullTranslations | None = None) -> Iterator[None]:
    """Speak `lang` (with `catalog`, or its shipped one) until the block ends."""
    token = _speaking.set(_Speaking(lang, catalog if catalog is not None else translations(lang)))
    try:
        yield
    finally:
        _speaking.reset(token)


def speak(lang: str) -> None:
    """Switch the current request (inside `using_language`) to `lang` from here on."""
    current = _speaking.get()
    if current is not None:
        current.language, current.catalog = lang, translations(lang)


def current_language() -> str:
    current = _speaking.get()
    return current.language if current is not None else DEFAULT_LANGUAGE


def direction() -> str:
    return text_direction(current_language())


def _catalog() -> gettext.NullTranslations:
    current = _speaking.get()
    return current.catalog if current is not None else _ENGLISH


def gettext_raw(message: str) -> str:
    return _catalog().gettext(message)


def ngettext_raw(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def _(message: str, /, **values: object) -> str:
    """`message` in the current language, with its `%(name)s` placeholders filled."""
    text = gettext_raw(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for `n` in the current language (`%(num)s` is `n`)."""
    return ngettext_raw(singular, plural, n) % {"num": n, **values}
