"""Nested HSDS documents flattened into the rows of the tabular data package."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

# ---- flattening nested documents into tabular rows --------------------------------------

_CHILD_TABLES = {
    "services": "service",
    "phones": "phone",
    "languages": "language",
    "attributes": "attribute",
    "metadata": "metadata",
    "service_at_locations": "service_at_location",
    "addresses": "address",
    "schedules": "schedule",
    "locations": "location",
}
_SINGLE_CHILD_TABLES = {"location": "location"}


def flatten(table: str, doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (table, row) for a nested document and everything nested in it."""
    yield table, doc
    for key, value in doc.items():
        if key in _CHILD_TABLES and isinstance(value, list):
            for child in value:
                yield from flatten(_CHILD_TABLES[key], child)
        elif key in _SINGLE_CHILD_TABLES and isinstance(value, dict):
            yield from flatten(_SINGLE_CHILD_TABLES[key], value)


def _attached_rows(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The language, attribute and metadata rows attached to a service or phone document."""
    for language in doc["languages"]:
        yield "language", language
    for attribute in doc["attributes"]:
        yield "attribute", attribute
    for entry in doc["metadata"]:
        yield "metadata", entry


def service_rows(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`flatten("service", service_doc(...))` unrolled for the shape service_doc makes: the
    export writes a dozen rows per office, and generator recursion costs more than the rows."""
    yield "service", doc
    for phone in doc["phones"]:
        yield "phone", phone
        yield from _attached_rows(phone)
    for schedule in doc["schedules"]:
        yield "schedule", schedule
    for sal in doc["service_at_locations"]:
        yield "service_at_location", sal
        location = sal["location"]
        yield "location", location
        for address in location["addresses"]:
            yield "address", address
    yield from _attached_rows(doc)


def grouped(rows: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, row in rows:
        out[table].append(row)
    return out
