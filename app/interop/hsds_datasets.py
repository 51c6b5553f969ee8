"""Which HSDS dataset a path is, and its records: a tabular package (a directory, its
datapackage.json, or the package in JSON as Open Referral's `tabular.json`), or nested JSON
(one document, a list, or an ORAPI page of organizations, services, services at locations or
locations).

What each kind of document gives (see the README's import section):
- an organization with services: one record per service and location;
- an organization without services: the organisation itself is the contact, at its own
  locations and phones (its email and website are the organisation's);
- a service, or a service at a location: the service at each of its locations;
- a location alone: the location is the contact; its organisation is unknown, so the
  location's name is proposed as the organisation's name, flagged for the reviewer;
- a taxonomy, a taxonomy term or an API description (`base.json`): no contact records. A file
  holding only those is refused as a whole (`NoContactRecords`); among records, each is listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.interop.hsds_package import DatasetError, is_tabular_json, tables_from_json
from app.interop.hsds_reader import (
    Candidate,
    Problem,
    _objects,
    _text,
    candidates,
    package_candidates,
    read_package,
)
from app.interop.hsds_vocabulary import term_codes_by_id
from app.review.findings import finding

MAX_JSON_BYTES = 512 * 1024 * 1024


class NoContactRecords(DatasetError):
    """A readable file that holds no contact records (a taxonomy, an API description)."""


def _kind(doc: Any) -> str:
    """What an HSDS JSON document is: organization, service, service_at_location, location,
    or a kind that holds no contact (taxonomy, taxonomy_term, api description)."""
    if not isinstance(doc, dict):
        return "not an object"
    if isinstance(doc.get("service"), dict) and isinstance(doc.get("location"), dict):
        return "service_at_location"
    if "services" in doc:
        return "organization"
    if doc.keys() & {"status", "service_at_locations"} or isinstance(doc.get("organization"), dict):
        return "service"
    if "addresses" in doc or "location_type" in doc:
        return "location"
    if doc.keys() & {"taxonomy", "taxonomy_detail", "taxonomy_id", "code"}:
        return "taxonomy term"
    if doc.keys() & {"openapi_url", "profile"}:
        return "API description"
    if "uri" in doc and "version" in doc and "name" in doc and "website" not in doc:
        return "taxonomy"
    if "name" in doc:
        return "organization"
    return "unknown"


NO_CONTACT = frozenset({"taxonomy", "taxonomy term", "API description"})


def _json_documents(data: Any) -> list[Any]:
    contents = data.get("contents") if isinstance(data, dict) else None
    if isinstance(contents, list):
        return contents
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise DatasetError("expected a JSON list of organizations or services")


def _load(path: Path) -> Any:
    if path.stat().st_size > MAX_JSON_BYTES:
        raise DatasetError(f"{path.name} is larger than {MAX_JSON_BYTES // 1024 // 1024} MB")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path.name} is not JSON: {exc}") from exc


def read_json(path: Path) -> Iterator[Candidate | Problem]:
    """Records of a JSON dataset. Raises NoContactRecords when it holds none at all, and
    DatasetError when it cannot be read (checked before the first record is taken)."""
    data = _load(path)
    if is_tabular_json(data):
        return package_candidates(tables_from_json(data, name=path.name), name=path.name)
    docs = _json_documents(data)
    kinds = {_kind(doc) for doc in docs}
    if not docs or kinds <= NO_CONTACT:
        what = ", ".join(sorted(kinds)) or "an empty list"
        raise NoContactRecords(f"{path.name}: no contact records in this file ({what})")
    return _records(docs)


def _records(docs: list[Any]) -> Iterator[Candidate | Problem]:
    terms = term_codes_by_id()
    for n, doc in enumerate(docs):
        where = f"[{n}]"
        if not isinstance(doc, dict):
            yield Problem(where, "not an object")
            continue
        yield from _document(doc, where=where, terms=terms)


def _organization_alone(doc: dict[str, Any]) -> dict[str, Any]:
    """An organization listed without services as the service of its own locations and
    phones, so that the organisation itself is the contact."""
    return {
        "status": "active",
        "phones": doc.get("phones"),
        "service_at_locations": [{"location": loc} for loc in _objects(doc.get("locations"))],
    }


def _location_alone(
    doc: dict[str, Any], *, where: str, terms: dict[str, str]
) -> Iterator[Candidate | Problem]:
    """A location alone: its organisation is unknown, so the location's name is proposed as
    the organisation's, flagged for the reviewer to check or replace."""
    name = _text(doc.get("name")) or _text(doc.get("alternate_name"))
    if name is None:
        yield Problem(where, "a location without a name, service or organization", "name")
        return
    org = {"name": name}
    service = {"status": "active", "service_at_locations": [{"location": doc}]}
    flagged = finding(
        field="organization.name",
        path="organization.name",
        value=None,
        reason=f"organization unknown: the dataset gives a location alone; its name ({name}) "
        "is proposed as the organisation's: check it",
    )
    for item in candidates(org, service, where=where, terms=terms):
        if isinstance(item, Candidate):
            item.findings.insert(0, flagged)
        yield item


def _document(
    doc: dict[str, Any], *, where: str, terms: dict[str, str]
) -> Iterator[Candidate | Problem]:
    """Candidates of one JSON document, whichever HSDS object it is."""
    kind = _kind(doc)
    if kind == "service_at_location":
        service = doc["service"]
        org = service.get("organization") or doc.get("organization")
        if not isinstance(org, dict):
            yield Problem(where, "the service has no organization", "service.organization")
            return
        sal = {k: v for k, v in doc.items() if k != "service"}
        yield from candidates(
            org, {**service, "service_at_locations": [sal]}, where=where, terms=terms
        )
    elif kind == "organization":
        services = doc.get("services")
        if not isinstance(services, list) or not services:
            yield from candidates(doc, _organization_alone(doc), where=where, terms=terms)
            return
        for i, service in enumerate(services):
            if not isinstance(service, dict):
                yield Problem(f"{where}.services[{i}]", "not an object")
                continue
            yield from candidates(doc, service, where=f"{where}.services[{i}]", terms=terms)
    elif kind == "service":
        org = doc.get("organization")
        if not isinstance(org, dict):
            yield Problem(where, "the service has no organization", "organization")
            return
        yield from candidates(org, doc, where=where, terms=terms)
    elif kind == "location":
        yield from _location_alone(doc, where=where, terms=terms)
    elif kind in NO_CONTACT:
        yield Problem(where, f"a {kind}, not a contact record")
    else:
        yield Problem(where, "neither an organization, a service nor a location")


def read_document(doc: dict[str, Any], *, where: str) -> Iterator[Candidate | Problem]:
    """Candidates of one nested JSON record as an ORAPI serves it (a feed's service)."""
    return _document(doc, where=where, terms=term_codes_by_id())


def read_dataset(path: Path) -> tuple[str, Iterator[Candidate | Problem]]:
    """(dataset name, candidates) for a package directory, its datapackage.json, or JSON.
    The dataset is opened and checked here, before the first record is taken."""
    if path.is_dir():
        return path.name, read_package(path)
    if path.name == "datapackage.json":
        return path.parent.name, read_package(path.parent)
    if path.suffix.lower() == ".json":
        return path.stem, read_json(path)
    raise DatasetError(f"{path} is neither a data package directory nor a .json dataset")


__all__ = ["NoContactRecords", "read_dataset", "read_document", "read_json"]
