"""Text normalisation shared by validation and search."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from app.kit.errors import Explained
from app.kit.i18n import N_

# Whitespace a multi-line text may keep; every other control character is refused.
_MULTILINE_CONTROLS = frozenset("\n\t")


def _refuse_unprintable(value: str, *, allowed: frozenset[str] = frozenset()) -> None:
    # NUL cannot be stored by PostgreSQL and lone surrogates cannot be encoded as UTF-8:
    # both would otherwise surface as a 500 from the driver.
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs" or (category == "Cc" and ch not in allowed):
            raise Explained(
                N_("must not contain the control character %(char)s"), char=f"U+{ord(ch):04X}"
            )


def clean_text(value: str) -> str:
    """One line: NFC-normalised, trimmed, inner runs of whitespace collapsed to one space."""
    value = unicodedata.normalize("NFC", " ".join(value.split()))
    _refuse_unprintable(value)
    return value


def clean_multiline(value: str) -> str:
    """Several lines: NFC-normalised, line endings unified, trimmed; tabs and newlines kept."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = unicodedata.normalize("NFC", value).strip()
    _refuse_unprintable(value, allowed=_MULTILINE_CONTROLS)
    return value


def fold(value: str) -> str:
    """Accent- and case-insensitive search key: 'São Paulo' -> 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def like_anywhere(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its `%`, `_` and `\\` taken literally (use it
    with `escape="\\"`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _non_blank(value: str) -> str:
    if not value:
        raise Explained(N_("must not be blank"))
    return value


def _at_most(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        # Counted after trimming and normalising, so padding never makes a value too long.
        if len(value) > limit:
            raise Explained(
                N_("must be at most %(limit)s characters (got %(length)s)"),
                limit=limit,
                length=len(value),
            )
        return value

    return AfterValidator(check)


_Line = AfterValidator(clean_text)
_Lines = AfterValidator(clean_multiline)
_Required = AfterValidator(_non_blank)

# Limits match the database columns, so a long value is a 422 here and never a driver error.
ShortText = Annotated[str, _Line, _at_most(200), _Required]
OptionalShortText = Annotated[str, _Line, _at_most(200)]
AddressText = Annotated[str, _Line, _at_most(500)]
PostalCodeText = Annotated[str, _Line, _at_most(20)]
HoursText = Annotated[str, _Lines, _at_most(500)]
NoteText = Annotated[str, _Lines, _at_most(2000)]
LongText = Annotated[str, _Lines, _at_most(4000)]


def is_whole_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also accepts "²" and "①", which `int()` refuses."""
    return text.isascii() and text.isdigit()
