"""Text normalisation shared by validation and search."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def clean_text(value: str) -> str:
    """Trim and NFC-normalise; collapse inner runs of whitespace on one line."""
    value = unicodedata.normalize("NFC", value).strip()
    return value


def fold(value: str) -> str:
    """Accent- and case-insensitive search key: 'São Paulo' -> 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _non_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


ShortText = Annotated[
    str, AfterValidator(clean_text), StringConstraints(max_length=200), AfterValidator(_non_blank)
]
OptionalShortText = Annotated[str, AfterValidator(clean_text), StringConstraints(max_length=200)]
LongText = Annotated[str, AfterValidator(clean_text), StringConstraints(max_length=4000)]
