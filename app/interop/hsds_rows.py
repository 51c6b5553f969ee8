"""Nested HSDS documents flattened into the rows of the tabular data package."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from app.interop.hsds_vocabulary import term_codes_by_id

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
    # What an imported record keeps of its source (hsds_source) nests these too.
    "contacts": "contact",
    "service_areas": "service_area",
    "cost_options": "cost_option",
    "funding": "funding",
    "required_documents": "required_document",
    "accessibility": "accessibility",
    "organization_identifiers": "organization_identifier",
    "programs": "program",
}
_SINGLE_CHILD_TABLES = {
    "location": "location",
    "program": "program",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
}


def flatten(table: str, doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (table, row) for a nested document and everything nested in it."""
    yield table, doc
    for key, value in doc.items():
        if key in _CHILD_TABLES and isinstance(value, list):
            for child in value:
                yield from flatten(_CHILD_TABLES[key], child)
        elif key in _SINGLE_CHILD_TABLES and isinstance(value, dict):
            if key == "taxonomy_term" and value.get("id") in term_codes_by_id():
                continue  # a Homeward term: the export writes the taxonomy once, first
            yield from flatten(_SINGLE_CHILD_TABLES[key], value)


def row_keys(table: str, doc: dict[str, Any]) -> set[tuple[str, Any]]:
    """(table, id) of every row a nested document holds."""
    return {(name, row.get("id")) for name, row in flatten(table, doc)}


def source_rows(
    table: str, doc: dict[str, Any], source: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The rows of an imported record's document, and the rows of its source package that
    link to no record and travel with it (`source["unlinked"]`, see hsds_source)."""
    for name, rows in (source.get("unlinked") or {}).items():
        for row in rows:
            yield name, row
    yield from flatten(table, doc)


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
        for row in location.get("accessibility", ()):
            yield "accessibility", row
    yield from _attached_rows(doc)
    # Added after the rest by hsds_details.write_office_details.
    for row in doc.get("service_areas", ()):
        yield "service_area", row
    for row in doc.get("contacts", ()):
        yield "contact", row


def grouped(rows: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, row in rows:
        out[table].append(row)
    return out
