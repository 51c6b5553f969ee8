"""Country-dependent rules: ISO countries, regions of THAT country, phones of that country."""

from __future__ import annotations

import pytest

from app.directory import phone_numbers
from app.directory.validation import (
    checked_country,
    checked_country_text,
    checked_phone,
    checked_region,
)
from app.kit.errors import InvalidValue
from tests.factories import AL_PHONE, BR_PHONE, NG_PHONE


@pytest.mark.parametrize(("raw", "code"), [("NG", "NG"), ("ng", "NG"), (" al ", "AL")])
def test_iso_country_codes_are_normalised(raw: str, code: str) -> None:
    assert checked_country(raw) == code


@pytest.mark.parametrize("raw", ["XX", "NGA", "", "N", "EU", "UK", "1A"])
def test_non_iso_countries_are_refused_with_the_field(raw: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        checked_country(raw, field="office.country")
    assert raised.value.field == "office.country"
    assert "ISO 3166-1" in raised.value.message


@pytest.mark.parametrize(
    ("country", "region", "expected"),
    [
        ("NG", "NG-LA", "NG-LA"),
        ("NG", "ng-la", "NG-LA"),
        ("AL", "AL-11", "AL-11"),
        ("NG", None, None),
    ],
)
def test_regions_of_the_country_are_accepted(
    country: str, region: str | None, expected: str | None
) -> None:
    assert checked_region(country, region) == expected


@pytest.mark.parametrize(
    ("country", "region"), [("NG", "AL-01"), ("NG", "NG-ZZ"), ("AL", "NG-LA"), ("BR", "BR")]
)
def test_a_region_of_another_country_is_refused(country: str, region: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        checked_region(country, region)
    assert raised.value.field == "region"
    assert f"subdivision of {country}" in raised.value.message


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("0803 123 4567", "NG", NG_PHONE),
        ("+234 803 123 4567", "NG", NG_PHONE),
        ("08031234567", "NG", NG_PHONE),
        ("022 345 678", "AL", AL_PHONE),
        ("(11) 2345-6789", "BR", BR_PHONE),
    ],
)
def test_phones_are_parsed_in_the_country_and_stored_e164(
    raw: str, country: str, e164: str
) -> None:
    assert checked_phone(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "country", "why"),
    [
        ("12", "NG", "not a valid phone number in NG"),
        (BR_PHONE, "NG", "a number of BR, not of NG"),
        ("hello", "NG", "not a phone number"),
        ("+999 123", "NG", "not a phone number"),
    ],
)
def test_invalid_phones_say_why(raw: str, country: str, why: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        checked_phone(raw, country, field="phones[2].number")
    assert raised.value.field == "phones[2].number"
    assert why in raised.value.message


def test_display_forms_of_a_stored_number() -> None:
    shown = phone_numbers.display(NG_PHONE)
    assert (shown.e164, shown.national, shown.international, shown.type) == (
        NG_PHONE,
        "0803 123 4567",
        "+234 803 123 4567",
        "mobile",
    )


@pytest.mark.parametrize(
    ("typed", "lang", "code"),
    [
        ("NG", "en", "NG"),
        (" ng ", "en", "NG"),
        ("NGA", "en", "NG"),
        ("nigeria", "en", "NG"),
        ("Côte d’Ivoire", "en", "CI"),
        ("cote d’ivoire", "en", "CI"),
        ("Russia", "en", "RU"),  # the name the pages show (CLDR)
        ("Russian Federation", "en", "RU"),  # the ISO name
        ("Allemagne", "fr", "DE"),  # the name in the page's language
        ("Germany", "fr", "DE"),  # and in English
    ],
)
def test_a_country_is_found_by_its_name_or_iso_code(typed: str, lang: str, code: str) -> None:
    assert checked_country_text(typed, lang=lang) == code


@pytest.mark.parametrize("typed", ["Narnia", "XX", "Nigeri", "NG-LA", ""])
def test_an_unknown_country_name_is_refused_with_the_field(typed: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        checked_country_text(typed)
    assert caught.value.field == "country"


@pytest.mark.parametrize(
    ("extension", "digits"),
    [
        ("12", "12"),
        ("12 34", "1234"),
        ("1-2.3", "123"),
        (None, None),
        ("", None),
        ("ask for Ada", None),
        ("12;TYPE=FAX", None),  # never put into a vCard's number
        ("1" * 21, None),
    ],
)
def test_an_extension_is_dialled_only_when_it_is_digits(
    extension: str | None, digits: str | None
) -> None:
    assert phone_numbers.dialable_extension(extension) == digits
    dialled = phone_numbers.dial_string("+2348031234567", extension)
    assert dialled == ("+2348031234567" + (f",{digits}" if digits else ""))
    uri = phone_numbers.tel_uri("+2348031234567", extension)
    assert uri == "tel:+234-803-123-4567" + (f";ext={digits}" if digits else "")
