"""Which language a page speaks: the one the user chose (a cookie, and their browser session
when signed in), else the best match for the browser's `Accept-Language` (Babel's
negotiation), else English."""

from __future__ import annotations

from babel import Locale
from fastapi import Request

from app.web.i18n import DEFAULT_LANGUAGE, web_languages

LANGUAGE_COOKIE = "hw_lang"
# Kept a year: a choice of language is not a secret and outlives a session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def supported(code: object) -> str | None:
    """`code` when the pages speak it, else None."""
    return code if isinstance(code, str) and code in web_languages() else None


def accepted_languages(header: str) -> list[str]:
    """The languages of an `Accept-Language` header, most wanted first (q=0 left out)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(header: str | None) -> str:
    """The pages' language that best matches an `Accept-Language` header."""
    if not header:
        return DEFAULT_LANGUAGE
    preferred = accepted_languages(header)[:20]
    available = web_languages()
    match = Locale.negotiate(preferred, available, sep="-")
    if match is None:
        # "pt-BR" matches "pt": Babel compares whole tags, so also try each tag's language.
        match = Locale.negotiate([tag.split("-")[0] for tag in preferred], available, sep="-")
    return str(match.language) if match is not None else DEFAULT_LANGUAGE


def request_language(request: Request) -> str:
    """The language of this request's pages (as chosen for it so far, else worked out)."""
    chosen = getattr(request.state, "language", None)
    if isinstance(chosen, str):
        return chosen
    return supported(request.cookies.get(LANGUAGE_COOKIE)) or negotiate(
        request.headers.get("accept-language")
    )
