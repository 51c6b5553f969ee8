"""Text is trimmed and NFC-normalised, with limits; control characters never reach the DB."""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import BaseModel, ValidationError

from app.kit.text import LongText, ShortText, clean_multiline, clean_text, fold, is_whole_number


class Sample(BaseModel):
    short: ShortText | None = None
    long: LongText | None = None


def test_one_line_text_is_trimmed_collapsed_and_nfc() -> None:
    decomposed = "  Sa\u0303o   Paulo\t\n "
    cleaned = clean_text(decomposed)
    assert cleaned == "São Paulo"
    assert unicodedata.is_normalized("NFC", cleaned)


def test_multiline_text_keeps_its_lines() -> None:
    assert clean_multiline("  one\r\ntwo\rthree\n\tfour  ") == "one\ntwo\nthree\n\tfour"


@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "esc\x1b[0m", "del\x7f"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        clean_text(bad)
    with pytest.raises(ValueError, match="control character"):
        clean_multiline(bad)


def test_limits_count_the_cleaned_text() -> None:
    assert Sample(short="  " + "a" * 200 + "  ").short == "a" * 200
    with pytest.raises(ValidationError, match="at most 200"):
        Sample(short="a" * 201)
    with pytest.raises(ValidationError, match="must not be blank"):
        Sample(short="   ")
    with pytest.raises(ValidationError, match="at most 4000"):
        Sample(long="b" * 4001)


def test_emoji_joiners_and_scripts_are_kept() -> None:
    text = "👩\u200d⚕️ Ọ̀yọ́ 北京 مرحبا"
    assert clean_text(text) == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("São Paulo", "sao paulo"),
        ("SÃO  PAULO", "sao paulo"),
        ("Straße", "strasse"),
        ("Ọ̀yọ́", "oyo"),
    ],
)
def test_fold_is_accent_and_case_insensitive(text: str, key: str) -> None:
    assert fold(text) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", True),
        ("007", True),
        ("", False),
        ("²", False),
        ("①", False),
        ("١٢", False),
        ("-1", False),
    ],
)
def test_whole_numbers_are_ascii_digits_that_int_accepts(text: str, expected: bool) -> None:
    assert is_whole_number(text) is expected
    if expected:
        int(text)


def test_a_form_number_in_superscript_is_no_number_rather_than_an_error() -> None:
    from app.web.forms import whole_number

    assert whole_number(" 12 ") == 12
    assert whole_number("²") is None
