"""The directory's CSV format, shared by `homeward import` and `homeward export --format csv`.

One row per office; the organisation's columns are repeated on each of its offices. Lists
(services, languages) are separated by ";". A blank region means the office is nationwide.
Phones come in numbered groups (`phone1`, `phone1_extension`, `phone1_kind`, `phone1_hours`,
`phone1_24_7`, `phone1_languages`, then `phone2_…`); the export writes at least three groups
and the import accepts any number. The README documents every column.
"""

from __future__ import annotations

import re
from datetime import datetime

from app.kit.clock import as_utc

# CSV column -> field of OrganizationCreate / OfficeCreate, in the export's column order.
ORGANIZATION_FIELD_OF = {
    "organization_name": "name",
    "organization_local_name": "local_name",
    "category": "category",
    "services": "services",
    "organization_description": "description",
    "organization_website": "website",
    "organization_email": "email",
    "confidential": "confidential",
    "is_demo": "is_demo",
}
OFFICE_FIELD_OF = {
    "office_name": "name",
    "country": "country",
    "region": "region",
    "city": "city",
    "address": "address",
    "postal_code": "postal_code",
    "latitude": "latitude",
    "longitude": "longitude",
    "opening_hours": "opening_hours",
    "office_email": "email",
    "office_website": "website",
    "languages": "languages",
    "meets_on_arrival": "meets_on_arrival",
    "status": "status",
}
# Suffix of a phone group's column (`phone1`, `phone1_kind`, …) -> field of PhoneCreate.
PHONE_FIELD_OF_SUFFIX = {
    "": "number",
    "_extension": "extension",
    "_kind": "kind",
    "_hours": "hours",
    "_24_7": "is_24_7",
    "_languages": "languages",
}
# The status is not a field of OrganizationCreate: the import applies it itself.
ORGANIZATION_COLUMNS: tuple[str, ...] = (*ORGANIZATION_FIELD_OF, "organization_status")
OFFICE_COLUMNS: tuple[str, ...] = tuple(OFFICE_FIELD_OF)
PHONE_SUFFIXES: tuple[str, ...] = tuple(PHONE_FIELD_OF_SUFFIX)
VERIFICATION_COLUMNS: tuple[str, ...] = ("last_verified_at", "verification_method", "verified_by")
REQUIRED_COLUMNS: tuple[str, ...] = ("organization_name", "category", "country")
MIN_PHONE_GROUPS = 3

LIST_COLUMNS = frozenset({"services", "languages"})
LIST_SEPARATOR = ";"

PHONE_COLUMN = re.compile(rf"^phone([1-9][0-9]?)({'|'.join(map(re.escape, PHONE_SUFFIXES))})$")


def phone_columns(count: int) -> list[str]:
    return [f"phone{i}{suffix}" for i in range(1, count + 1) for suffix in PHONE_SUFFIXES]


def header(phone_groups: int = MIN_PHONE_GROUPS) -> list[str]:
    """The export's columns, in order."""
    return [
        *ORGANIZATION_COLUMNS,
        *OFFICE_COLUMNS,
        *phone_columns(max(phone_groups, MIN_PHONE_GROUPS)),
        *VERIFICATION_COLUMNS,
    ]


def known_column(name: str) -> bool:
    return (
        name in ORGANIZATION_COLUMNS
        or name in OFFICE_COLUMNS
        or name in VERIFICATION_COLUMNS
        or PHONE_COLUMN.match(name) is not None
    )


def format_cell(value: object) -> str:
    """One value as the export writes it (and the import reads it back); the CSV writer
    (kit.safe_csv) escapes what a spreadsheet could run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        aware = as_utc(value)
        assert aware is not None
        return aware.isoformat()
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
