"""Countries and ISO 3166-2 regions from pycountry, with localised names (regions' from
Unicode CLDR where it has them: app/directory/cldr_regions.py)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import pycountry
from babel import Locale, UnknownLocaleError

from app.directory.cldr_regions import cldr_region_name
from app.kit.errors import Explained
from app.kit.i18n import N_
from app.kit.text import fold


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    type: str
    parent_code: str | None


class UnknownCountry(Explained):
    pass


class UnknownRegion(Explained):
    pass


def normalise_country(code: str) -> str:
    """Return the ISO 3166-1 alpha-2 code, or raise UnknownCountry."""
    candidate = code.strip().upper()
    if len(candidate) != 2 or pycountry.countries.get(alpha_2=candidate) is None:
        raise UnknownCountry(N_("'%(code)s' is not an ISO 3166-1 alpha-2 country code"), code=code)
    return candidate


@lru_cache(maxsize=16)
def _countries_by_name(lang: str) -> dict[str, str]:
    """Folded country names (in `lang`, in English and pycountry's) -> alpha-2 code."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
            country_name(code, "en"),
            country_name(code, lang),
        ):
            if name:
                names.setdefault(fold(name), code)
    return names


def country_from_text(text: str, lang: str = "en") -> str:
    """The alpha-2 code of a country typed as its ISO code (alpha-2 or alpha-3) or its name
    (in `lang` or English), case- and accent-insensitive; UnknownCountry otherwise."""
    candidate = text.strip()
    if len(candidate) == 2:
        return normalise_country(candidate)
    if len(candidate) == 3 and candidate.isalpha():
        country = pycountry.countries.get(alpha_3=candidate.upper())
        if country is not None:
            return str(country.alpha_2)
    code = _countries_by_name(lang).get(fold(candidate))
    if code is None:
        raise UnknownCountry(N_("'%(text)s' is not a country name or ISO 3166-1 code"), text=text)
    return code


def normalise_region(country: str, code: str) -> str:
    """Return the ISO 3166-2 code if it is a subdivision of `country`, else raise UnknownRegion."""
    candidate = code.strip().upper()
    if candidate not in regions_by_code(country):
        raise UnknownRegion(
            N_("'%(code)s' is not an ISO 3166-2 subdivision of %(country)s"),
            code=code,
            country=country,
        )
    return candidate


@cache
def regions_by_code(country: str) -> dict[str, Region]:
    subdivisions = pycountry.subdivisions.get(country_code=country) or []
    return {
        sub.code: Region(
            code=sub.code,
            name=sub.name,
            type=sub.type,
            parent_code=getattr(sub, "parent_code", None),
        )
        for sub in sorted(subdivisions, key=lambda s: s.code)
    }


def all_country_codes() -> list[str]:
    return sorted(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=64)
def _translation(domain: str, lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


def _locale(lang: str) -> Locale | None:
    """Babel's locale for `lang`, or None when Babel does not know it."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return None


def _cldr_name(lang: str, names: Literal["territories", "languages"], code: str) -> str | None:
    """Babel's CLDR name of a territory or a language in `lang`, when it has one."""
    locale = _locale(lang)
    name = getattr(locale, names).get(code) if locale is not None else None
    return str(name) if name else None


@lru_cache(maxsize=4096)
def country_name(code: str, lang: str = "en") -> str:
    """The country's name in `lang`: Babel's CLDR names first, then pycountry's catalogs."""
    name = _cldr_name(lang, "territories", code)
    if name:
        return name
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    base = getattr(country, "common_name", None) or country.name
    return _translation("iso3166-1", lang).gettext(base)


@lru_cache(maxsize=16384)
def region_name(code: str | None, lang: str = "en") -> str | None:
    """The region's name in `lang`: Unicode CLDR's first, then pycountry's catalog for
    `lang`, then the ISO 3166-2 (English) name. English keeps the ISO name."""
    if not code:
        return None
    region = regions_by_code(code.split("-", 1)[0]).get(code)
    if region is None:
        return code
    if lang != "en":
        localised = cldr_region_name(code, lang)
        if localised:
            return localised
    return _translation("iso3166-2", lang).gettext(region.name)


def language_name(code: str, lang: str = "en") -> str:
    name = _cldr_name(lang, "languages", code)
    if name:
        return name
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else code


def all_language_codes() -> list[str]:
    """Every ISO 639-1 (two-letter) language code."""
    return sorted(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def normalise_language(code: str) -> str:
    candidate = code.strip().lower()
    if len(candidate) != 2 or pycountry.languages.get(alpha_2=candidate) is None:
        raise Explained(N_("'%(code)s' is not an ISO 639-1 language code"), code=code)
    return candidate
