"""Reading HSDS 3.0 datasets made by others: a tabular data package or nested JSON.

Both become a stream of `Candidate`s (one per service at a location: what Homeward calls an
office, with its organisation, phones and the verifications the dataset records, in the
directory's own field names) or `Problem`s
(what could not be mapped, with the CSV row or JSON path). Validation is left to the
directory's schemas; this module translates, and says what it had to guess or could not
take as findings on the candidate (a country told by a phone number, a region it does not
know). A package's tables are read and checked whole in hsds_package.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.directory.enums import Category, PhoneKind, ServiceTag, VerificationMethod
from app.directory.geography import regions_by_code
from app.directory.phone_numbers import country_of
from app.interop.hsds_package import DatasetError, Rows, read_tables
from app.interop.hsds_vocabulary import (
    NOT_RECORDED,
    PHONE_KIND_FROM_HSDS,
    STATUS_FROM_HSDS,
    VERIFIED_ACTION,
    VERIFIED_APPROVER,
    VERIFIED_FIELD,
    VERIFIED_SOURCE,
    term_codes_by_id,
)
from app.kit.text import fold
from app.review.findings import finding

# CSV fields can be large (descriptions); the default limit of 128 KiB is kept per field.
MAX_JSON_BYTES = 512 * 1024 * 1024


@dataclass
class Problem:
    """A record that was not queued, and why."""

    where: str
    reason: str
    field: str | None = None


@dataclass
class Candidate:
    """One office from the dataset, in Homeward's field names (not yet validated)."""

    where: str
    org_key: str
    organization: dict[str, Any]
    office: dict[str, Any]
    category_given: bool = True
    notes: list[str] = field(default_factory=list)
    # Values the dataset gives that could not be taken (review.findings), for the reviewer.
    findings: list[dict[str, Any]] = field(default_factory=list)
    # The verifications the dataset claims for this office (review.VerificationClaim fields).
    verifications: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or text == NOT_RECORDED:
        return None
    return text


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _phone_number(value: Any) -> str | None:
    text = _text(value)
    # Open Referral's own examples quote numbers ('"+44 1234 234567"').
    return text.strip("\"' ") if text else None


def _region(country: str | None, value: Any) -> tuple[str | None, str | None]:
    """(ISO 3166-2 code, problem) from a state_province given as a code or a name."""
    text = _text(value)
    if text is None or not country:
        return None, None
    regions = regions_by_code(country.strip().upper())
    code = text.upper()
    if code in regions:
        return code, None
    if f"{country.upper()}-{code}" in regions:
        return f"{country.upper()}-{code}", None
    wanted = fold(text)
    for region in regions.values():
        if fold(region.name) == wanted:
            return region.code, None
    return None, f"'{text}' is not an ISO 3166-2 subdivision of {country.upper()} (nor its name)"


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list field; anything else (a string, a number, a stray dict) is none:
    data made by others is not trusted to have the right shape."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _codes(attributes: Any, terms: dict[str, str]) -> list[tuple[str, Any]]:
    """Homeward taxonomy codes on a record: (code, value)."""
    out = []
    for attribute in _objects(attributes):
        code = None
        term = attribute.get("taxonomy_term")
        if isinstance(term, dict):
            code = term.get("code")
        code = code or terms.get(str(attribute.get("taxonomy_term_id") or "").lower())
        if isinstance(code, str) and code:
            out.append((code, attribute.get("value")))
    return out


def _flag(codes: list[tuple[str, Any]], name: str) -> bool:
    return any(c == f"flag:{name}" and str(v).lower() != "false" for c, v in codes)


def _language_codes(languages: Any) -> list[str]:
    out = []
    for lang in _objects(languages):
        # HSDS 1.x and 2.x name the code `language`.
        code = _text(lang.get("code")) or _text(lang.get("language"))
        if code and code not in out:
            out.append(code.lower())
    return out


def _datetime(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _verifier(updated_by: Any) -> str | None:
    """The verifier of our own metadata row's `updated_by`: "<who>[; approved by <reviewer>]
    [; source: <source>]" (see hsds_records.load_offices)."""
    text = _text(updated_by)
    if text is None:
        return None
    for suffix in (VERIFIED_SOURCE, VERIFIED_APPROVER):
        head, found, _ = text.rpartition(suffix)
        if found:
            text = head
    return text.strip() or None


def _verifications(service: dict[str, Any]) -> list[dict[str, Any]]:
    """The verifications a service records: one per metadata row of a verification (our own
    export writes one per verification event), else one on its `assured_date`.

    Never later than the dataset says: a row's exact time counts only when it falls on the
    row's `last_action_date`, else that day's start is taken, as it is for `assured_date`.
    What does not parse is passed on as it is, for the queue's validation to name.
    """
    claims: list[dict[str, Any]] = []
    for row in _objects(service.get("metadata")):
        action = _text(row.get("last_action_type")) or ""
        if row.get("field_name") != VERIFIED_FIELD or not action.startswith(VERIFIED_ACTION):
            continue
        day = _text(row.get("last_action_date"))
        exact = _datetime(row.get("replacement_value"))
        at: Any = exact if exact and day and exact.date().isoformat() == day else None
        if at is None:
            at = _datetime(day) or day
        claims.append(
            {
                "verified_at": at,
                "verified_by": _verifier(row.get("updated_by")),
                "method": action.removeprefix(VERIFIED_ACTION).strip(),
            }
        )
    assured = _text(service.get("assured_date"))
    if assured:
        at = _datetime(assured[:10]) or assured
        covered = any(
            isinstance(c["verified_at"], datetime)
            and isinstance(at, datetime)
            and c["verified_at"] >= at
            for c in claims
        )
        if not covered:
            claims.append(
                {
                    "verified_at": at,
                    "verified_by": _text(service.get("assurer_email")),
                    # The dataset's own network vouches for it; how is not said.
                    "method": VerificationMethod.NGO_NETWORK.value,
                }
            )
    return claims


def _phones(
    service: dict[str, Any], sal: dict[str, Any], location: dict[str, Any], terms: dict[str, str]
) -> list[dict[str, Any]]:
    """The phones of a service at a location, in Homeward's fields, each number once."""
    phones = []
    seen: set[str] = set()
    for phone in (
        _objects(service.get("phones"))
        + _objects(sal.get("phones"))
        + _objects(location.get("phones"))
    ):
        number = _phone_number(phone.get("number"))
        if not number or number in seen:
            continue
        seen.add(number)
        phone_codes = _codes(phone.get("attributes", []), terms)
        kinds = [c.split(":", 1)[1] for c, _ in phone_codes if c.startswith("phone_kind:")]
        kinds = [k for k in kinds if k in set(PhoneKind)]
        hsds_type = (_text(phone.get("type")) or "voice").lower()
        phones.append(
            {
                "number": number,
                "kind": kinds[0] if kinds else PHONE_KIND_FROM_HSDS.get(hsds_type, "voice"),
                "hours": _text(phone.get("description")),
                "is_24_7": _flag(phone_codes, "open_24_7"),
                "languages": _language_codes(phone.get("languages", [])),
            }
        )
    return phones


def candidates(
    org: dict[str, Any],
    service: dict[str, Any],
    *,
    where: str,
    terms: dict[str, str],
) -> Iterator[Candidate | Problem]:
    """One candidate per location of an HSDS service (nested form)."""
    org_codes = _codes(org.get("attributes", []), terms)
    service_codes = _codes(service.get("attributes", []), terms)
    categories = [
        c.split(":", 1)[1] for c, _ in org_codes + service_codes if c.startswith("category:")
    ]
    categories = [c for c in categories if c in set(Category)]
    tags = sorted(
        {c.split(":", 1)[1] for c, _ in org_codes + service_codes if c.startswith("service:")}
        & {t.value for t in ServiceTag}
    )
    organization = {
        "name": _text(org.get("name")),
        "local_name": _text(org.get("alternate_name")),
        "category": categories[0] if categories else Category.NGO.value,
        "description": _text(org.get("description")),
        "website": _text(org.get("website") or org.get("url")),
        "email": _text(org.get("email")),
        "services": tags,
        "confidential": _flag(org_codes, "confidential"),
        "is_demo": _flag(org_codes, "demo"),
    }
    status_text = (_text(service.get("status")) or "active").lower()
    status = STATUS_FROM_HSDS.get(status_text)
    if status is None:
        yield Problem(where, f"unknown service status '{status_text}'", "status")
        return
    locations = [
        (i, sal, sal["location"])
        for i, sal in enumerate(_objects(service.get("service_at_locations")))
        if isinstance(sal.get("location"), dict)
    ]
    if not locations:
        # Listed without its locations (an ORAPI list): its phones may still tell its country.
        locations = [(0, {}, {})]
    org_key = str(org.get("id") or org.get("name"))
    verifications = _verifications(service)
    for index, sal, location in locations:
        here = f"{where}.service_at_locations[{index}]" if len(locations) > 1 else where
        addresses = _objects(location.get("addresses"))
        physical = [a for a in addresses if a.get("address_type") == "physical"] or addresses
        address = physical[0] if physical else {}
        phones = _phones(service, sal, location, terms)
        found: list[dict[str, Any]] = []
        country = _text(address.get("country"))
        if not country:
            told = next(((p["number"], c) for p in phones if (c := country_of(p["number"]))), None)
            if told is None:
                yield Problem(
                    here,
                    "no country: no address gives one and no phone number is in international "
                    "form to tell it from",
                    "address.country",
                )
                continue
            number, country = told
            found.append(
                finding(
                    field="office.country",
                    path="office.country",
                    value=None,
                    reason=f"the dataset gives no country; {country} was taken from the phone "
                    f"number {number}: check it",
                )
            )
        region, region_problem = _region(country, address.get("state_province"))
        if region_problem:
            found.append(
                finding(
                    field="office.region",
                    path="office.region",
                    value=_text(address.get("state_province")),
                    reason=region_problem,
                )
            )
        street = ", ".join(
            p for p in (_text(address.get("address_1")), _text(address.get("address_2"))) if p
        )
        schedules = [
            s
            for s in _objects(service.get("schedules"))
            + _objects(sal.get("schedules"))
            + _objects(location.get("schedules"))
            if _text(s.get("description"))
        ]
        location_name = _text(location.get("name"))
        service_name = _text(service.get("name"))
        name = location_name or (service_name if service_name != organization["name"] else None)
        office = {
            "name": name,
            "country": country,
            "region": region,
            "city": _text(address.get("city")),
            "address": street or None,
            "postal_code": _text(address.get("postal_code")),
            "latitude": _number(location.get("latitude")),
            "longitude": _number(location.get("longitude")),
            "opening_hours": _text(schedules[0].get("description")) if schedules else None,
            "email": _text(service.get("email")),
            "website": _text(service.get("url")),
            "languages": _language_codes(
                _objects(service.get("languages")) + _objects(location.get("languages"))
            ),
            "meets_on_arrival": _flag(service_codes, "meets_on_arrival"),
            "status": status,
            "phones": phones,
        }
        yield Candidate(
            where=here,
            org_key=org_key,
            organization=organization,
            office=office,
            category_given=bool(categories),
            verifications=verifications,
            findings=found,
        )


# ---- nested JSON ---------------------------------------------------------------------------


def _json_documents(data: Any) -> list[Any]:
    contents = data.get("contents") if isinstance(data, dict) else None
    if isinstance(contents, list):
        return contents
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return data
    raise DatasetError("expected a JSON list of organizations or services")


def read_json(path: Path) -> Iterator[Candidate | Problem]:
    """Candidates from a JSON dataset: organizations with services, or services with their
    organization (a list, one document, or an ORAPI page)."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise DatasetError(f"{path.name} is larger than {MAX_JSON_BYTES // 1024 // 1024} MB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path.name} is not JSON: {exc}") from exc
    terms = term_codes_by_id()
    for n, doc in enumerate(_json_documents(data)):
        where = f"[{n}]"
        if not isinstance(doc, dict):
            yield Problem(where, "not an object")
            continue
        yield from _document(doc, where=where, terms=terms)


def _document(
    doc: dict[str, Any], *, where: str, terms: dict[str, str]
) -> Iterator[Candidate | Problem]:
    """Candidates of one JSON document, whichever HSDS object it is."""
    if isinstance(doc.get("service"), dict) and isinstance(doc.get("location"), dict):
        # A service_at_location: its service, at this location only.
        service = doc["service"]
        org = service.get("organization") or doc.get("organization")
        if not isinstance(org, dict):
            yield Problem(where, "the service has no organization", "service.organization")
            return
        sal = {k: v for k, v in doc.items() if k != "service"}
        nested = {**service, "service_at_locations": [sal]}
        yield from candidates(org, nested, where=where, terms=terms)
    elif isinstance(doc.get("services"), list):
        if not doc["services"]:
            yield Problem(where, "the organization has no service to list", "services")
        for i, service in enumerate(doc["services"]):
            if not isinstance(service, dict):
                yield Problem(f"{where}.services[{i}]", "not an object")
                continue
            yield from candidates(doc, service, where=f"{where}.services[{i}]", terms=terms)
    elif (
        "status" in doc
        or "service_at_locations" in doc
        or isinstance(doc.get("organization"), dict)
    ):
        org = doc.get("organization")
        if not isinstance(org, dict):
            yield Problem(where, "the service has no organization", "organization")
            return
        yield from candidates(org, doc, where=where, terms=terms)
    elif "addresses" in doc or "location_type" in doc:
        yield Problem(
            where, "a location without a service or organization: nothing to list it under"
        )
    elif doc.keys() & {"taxonomy_id", "taxonomy", "code", "version"}:
        yield Problem(where, "a taxonomy or API description, not an organization or service")
    elif doc and all(str(k).endswith(".csv") for k in doc):
        yield Problem(where, "a description of the tabular files, not records")
    elif "name" in doc:
        # An organization as ORAPI lists them (without services): no office, no country.
        yield Problem(
            where, "the organization lists no service, so no office to import", "services"
        )
    else:
        yield Problem(where, "neither an organization with services nor a service")


def read_document(doc: dict[str, Any], *, where: str) -> Iterator[Candidate | Problem]:
    """Candidates of one nested JSON record as an ORAPI serves it (a feed's service)."""
    return _document(doc, where=where, terms=term_codes_by_id())


# ---- tabular data package ------------------------------------------------------------------


def _by(rows: Rows, key: str) -> dict[str, Rows]:
    out: dict[str, Rows] = defaultdict(list)
    for row in rows:
        if row.get(key):
            out[row[key]].append(row)
    return out


def _services_at_locations(tables: dict[str, Rows]) -> dict[str, Rows]:
    """service id -> its service_at_location rows; HSDS 1.x may instead give a service its
    one location as `services.location_id`."""
    by_service = _by(tables["service_at_location"], "service_id")
    for service in tables["service"]:
        sid, lid = service.get("id", ""), service.get("location_id")
        if lid and sid not in by_service:
            by_service[sid] = [{"id": "", "service_id": sid, "location_id": lid}]
    return by_service


def read_package(directory: Path) -> Iterator[Candidate | Problem]:
    """Candidates from a tabular package (HSDS 3.0, 2.0 or 1.x): the CSVs joined back into
    nested documents. The package is checked whole first (hsds_package)."""
    tables = read_tables(directory)
    organizations = {r["id"]: r for r in tables["organization"] if r.get("id")}
    services = tables["service"]
    if not services:
        raise DatasetError(f"{directory} holds no services.csv (or it is empty)")
    locations = {r["id"]: r for r in tables["location"] if r.get("id")}
    sal_by_service = _services_at_locations(tables)
    addresses = _by(
        [{"address_type": "physical", **r} for r in tables["address"]]
        + [{"address_type": "postal", **r} for r in tables["postal_address"]],
        "location_id",
    )
    phones = tables["phone"]
    phones_by_service, phones_by_location = _by(phones, "service_id"), _by(phones, "location_id")
    phones_by_sal = _by(phones, "service_at_location_id")
    languages = tables["language"]
    langs_by_service, langs_by_phone = _by(languages, "service_id"), _by(languages, "phone_id")
    langs_by_location = _by(languages, "location_id")
    schedules = tables["schedule"]
    sched_by_service = _by(schedules, "service_id")
    sched_by_location = _by(schedules, "location_id")
    sched_by_sal = _by(schedules, "service_at_location_id")
    attributes = _by(tables["attribute"], "link_id")
    metadata = _by(tables["metadata"], "resource_id")
    terms = dict(term_codes_by_id())
    for row in tables["taxonomy_term"]:
        if row.get("id") and row.get("code"):
            terms[row["id"].lower()] = row["code"]

    def with_phones(phone_rows: Rows) -> list[dict[str, Any]]:
        return [
            {
                **p,
                "languages": langs_by_phone.get(p.get("id", ""), []),
                "attributes": attributes.get(p.get("id", ""), []),
            }
            for p in phone_rows
        ]

    for n, service in enumerate(services, start=2):
        where = f"services.csv row {n}"
        org = organizations.get(service.get("organization_id", ""))
        if org is None:
            yield Problem(where, "no organization with this organization_id", "organization_id")
            continue
        nested_sals: list[dict[str, Any]] = []
        for sal in sal_by_service.get(service.get("id", ""), []):
            location = locations.get(sal.get("location_id", ""))
            if location is None:
                continue
            lid = location["id"]
            nested_sals.append(
                {
                    **sal,
                    "phones": with_phones(phones_by_sal.get(sal.get("id", ""), [])),
                    "schedules": sched_by_sal.get(sal.get("id", ""), []),
                    "location": {
                        **location,
                        "addresses": addresses.get(lid, []),
                        "phones": with_phones(
                            [p for p in phones_by_location.get(lid, []) if not p.get("service_id")]
                        ),
                        "languages": langs_by_location.get(lid, []),
                        "schedules": sched_by_location.get(lid, []),
                    },
                }
            )
        sid = service.get("id", "")
        nested = {
            **service,
            "phones": with_phones(phones_by_service.get(sid, [])),
            "languages": langs_by_service.get(sid, []),
            "schedules": sched_by_service.get(sid, []),
            "attributes": attributes.get(sid, []),
            "metadata": metadata.get(sid, []),
            "service_at_locations": nested_sals,
        }
        nested_org = {**org, "attributes": attributes.get(org["id"], [])}
        yield from candidates(nested_org, nested, where=where, terms=terms)


def read_dataset(path: Path) -> tuple[str, Iterator[Candidate | Problem]]:
    """(dataset name, candidates) for a package directory, its datapackage.json, or JSON."""
    if path.is_dir():
        return path.name, read_package(path)
    if path.name == "datapackage.json":
        return path.parent.name, read_package(path.parent)
    if path.suffix.lower() == ".json":
        return path.stem, read_json(path)
    raise DatasetError(f"{path} is neither a data package directory nor a .json dataset")
