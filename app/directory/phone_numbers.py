"""Phone numbers: parsed in the office's country, stored E.164, shown two ways."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from app.kit.errors import Explained
from app.kit.i18n import N_


class InvalidPhoneNumber(Explained):
    pass


_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class PhoneDisplay:
    e164: str
    national: str
    international: str
    type: str


def to_e164(raw: str, country: str) -> str:
    """Parse `raw` as dialled in `country`; it must be a valid number of that country."""
    try:
        parsed = phonenumbers.parse(raw, country)
    except NumberParseException as exc:
        raise InvalidPhoneNumber(
            N_("'%(number)s' is not a phone number: %(reason)s"), number=raw, reason=exc._msg
        ) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(
            N_("'%(number)s' is not a valid phone number in %(country)s"),
            number=raw,
            country=country,
        )
    region = phonenumbers.region_code_for_number(parsed)
    if region != country and not phonenumbers.is_valid_number_for_region(parsed, country):
        raise InvalidPhoneNumber(
            N_("'%(number)s' is a number of %(region)s, not of %(country)s"),
            number=raw,
            region=region,
            country=country,
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def country_of(raw: str) -> str | None:
    """The country of a number written in international form (`+44 …`), or None when it is
    not one (a national number says nothing of its country)."""
    if not raw.strip().startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(raw.strip(), None)
    except NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != "001" else None


# Formatting and typing a number costs ~100 µs; search pages show the same numbers again and
# again. The cache is bounded so server memory stays flat however large the directory grows.
@lru_cache(maxsize=8192)
def display(e164: str) -> PhoneDisplay:
    """E.164 plus the national and international display forms and the number type."""
    parsed = phonenumbers.parse(e164, None)
    return PhoneDisplay(
        e164=e164,
        national=phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        type=_TYPE_NAMES.get(phonenumbers.number_type(parsed), "unknown"),
    )


def stored_display(e164: str, national: str, international: str, type_: str) -> PhoneDisplay:
    """The display forms saved with the number, or computed when none were saved."""
    if national and international and type_:
        return PhoneDisplay(e164=e164, national=national, international=international, type=type_)
    return display(e164)


def number_type(e164: str) -> str:
    return display(e164).type


def is_still_valid(e164: str) -> bool:
    """False when the current phonenumbers metadata no longer accepts a stored number."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164, None))
    except NumberParseException:
        return False


# An extension a phone can dial after the number: digits, perhaps grouped.
_EXTENSION_GROUPING = re.compile(r"[\s.\-]")
_EXTENSION_DIGITS = re.compile(r"[0-9]{1,20}")


def dialable_extension(extension: str | None) -> str | None:
    """The extension's digits when it is one a phone can dial after the number ("123",
    "12 34"); None for none, or for text a phone cannot dial ("ask for Ada"), which is
    printed but never put into a number."""
    if not extension:
        return None
    digits = _EXTENSION_GROUPING.sub("", extension)
    return digits if _EXTENSION_DIGITS.fullmatch(digits) else None


def tel_uri(e164: str, extension: str | None = None) -> str:
    """The number as an RFC 3966 `tel:` URI, with `;ext=` when its extension can be dialled
    (vCard 4.0's form of a number with an extension)."""
    parsed = phonenumbers.parse(e164, None)
    parsed.extension = dialable_extension(extension)
    return phonenumbers.format_number(parsed, PhoneNumberFormat.RFC3966)


def dial_string(e164: str, extension: str | None = None) -> str:
    """What a phone dials: the E.164 number, then a pause (",") and the extension when it
    can be dialled. A phone's contacts keep the pause, and the dialler sends the extension's
    digits once the call is answered."""
    digits = dialable_extension(extension)
    return f"{e164},{digits}" if digits else e164
