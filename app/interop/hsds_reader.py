"""Reading HSDS 3.0 datasets made by others: a tabular data package or nested JSON.

Both become a stream of `Candidate`s (one per service at a location: what Homeward calls an
office, with its organisation, phones and the verifications the dataset records, in the
directory's own field names) or `Problem`s
(what could not be mapped, with the CSV row or JSON path). Validation is left to the
directory's schemas; this module translates, and says what it had to guess or could not
take as findings on the candidate (a country told by a phone number, or none at all, a
region it does not know). A package's tables are read and checked whole in hsds_package;
which kind of JSON document is which is told in hsds_datasets.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.directory.enums import Category, PhoneKind, ServiceTag, VerificationMethod
from app.directory.geography import UnknownCountry, country_from_text, regions_by_code
from app.directory.phone_numbers import country_of
from app.interop.hsds_details import office_details, organization_details
from app.interop.hsds_package import (
    ORGANIZATION_KEPT,
    SERVICE_KEPT,
    DatasetError,
    Rows,
    by_column,
    kept_tables,
    read_tables,
)
from app.interop.hsds_rows import row_keys
from app.interop.hsds_source import (
    external_id,
    office_source,
    organization_source,
    structured_schedules,
)
from app.interop.hsds_tables import TABLES_BY_NAME
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
    if text is None:
        return None, None
    if not country:
        return None, "a region is checked in its country, and the dataset gives none"
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


def _place(
    address: dict[str, Any], phones: list[dict[str, Any]]
) -> tuple[str | None, list[dict[str, Any]]]:
    """(country, findings) of an office: its address's country (a code or a name), else the
    country of its first number in international form, said as a finding; else none, also
    said as a finding, for a reviewer to set before approving (review.findings)."""
    given = _text(address.get("country"))
    problem = "the dataset gives no country"
    if given:
        try:
            return country_from_text(given), []
        except UnknownCountry as exc:
            problem = str(exc)
    told = next(((p["number"], c) for p in phones if (c := country_of(p["number"]))), None)
    if told is not None:
        number, country = told
        reason = f"{problem}; {country} was taken from the phone number {number}: check it"
    else:
        country = None
        reason = (
            f"{problem}, and no phone number is in international form to tell it from: "
            "set the country before approving"
        )
    found = finding(field="office.country", path="office.country", value=given, reason=reason)
    return country, [found]


def _reachable(office: dict[str, Any], organization: dict[str, Any]) -> bool:
    """Whether a record holds a way to reach it (else it is no contact to queue)."""
    return any(
        office.get(k) not in (None, [], "")
        for k in ("phones", "email", "website", "address", "city", "latitude")
    ) or bool(organization.get("email") or organization.get("website"))


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


def _language_notes(languages: list[dict[str, Any]]) -> dict[str, str] | None:
    """HSDS language notes by code ("via bilingual staff when they are in")."""
    notes: dict[str, str] = {}
    for lang in languages:
        codes, note = _language_codes([lang]), _text(lang.get("note"))
        if codes and note:
            notes.setdefault(codes[0], note)
    return notes or None


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
                "extension": _text(
                    int(ext) if isinstance(ext := phone.get("extension"), float) else ext
                ),
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
    unlinked: dict[str, Rows] | None = None,
) -> Iterator[Candidate | Problem]:
    """One candidate per location of an HSDS service (nested form), each keeping its source
    record (hsds_source); `unlinked` rows of its package travel with the first."""
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
    organization: dict[str, Any] = {
        "name": _text(org.get("name")),
        "local_name": _text(org.get("alternate_name")),
        "category": categories[0] if categories else Category.NGO.value,
        "description": _text(org.get("description")),
        "website": _text(org.get("website") or org.get("url")),
        "email": _text(org.get("email")),
        "services": tags,
        "confidential": _flag(org_codes, "confidential"),
        "is_demo": _flag(org_codes, "demo"),
        **organization_details(org),
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
    organization["hsds_source"] = organization_source(org, organization)
    org_key = str(org.get("id") or org.get("name"))
    verifications = _verifications(service)
    for index, sal, location in locations:
        here = f"{where}.service_at_locations[{index}]" if len(locations) > 1 else where
        addresses = _objects(location.get("addresses"))
        physical = [a for a in addresses if a.get("address_type") == "physical"] or addresses
        address = physical[0] if physical else {}
        phones = _phones(service, sal, location, terms)
        found: list[dict[str, Any]] = []
        country, found = _place(address, phones)
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
        all_schedules = (
            _objects(service.get("schedules"))
            + _objects(sal.get("schedules"))
            + _objects(location.get("schedules"))
        )
        schedules = [s for s in all_schedules if _text(s.get("description"))]
        location_name = _text(location.get("name"))
        service_name = _text(service.get("name"))
        name = location_name or (service_name if service_name != organization["name"] else None)
        languages = _objects(service.get("languages")) + _objects(location.get("languages"))
        office: dict[str, Any] = {
            "name": name,
            # Only a name of its own: Homeward's export names a service after its place.
            "service_name": None
            if service_name in (location_name, organization["name"])
            else service_name,
            "service_description": _text(service.get("description")),
            "country": country,
            "region": region,
            "city": _text(address.get("city")),
            "address": _text(address.get("address_1")),
            "address_2": _text(address.get("address_2")),
            "postal_code": _text(address.get("postal_code")),
            "latitude": _number(location.get("latitude")),
            "longitude": _number(location.get("longitude")),
            "opening_hours": _text(schedules[0].get("description")) if schedules else None,
            "email": _text(service.get("email")),
            "website": _text(service.get("url")),
            "languages": _language_codes(languages),
            "language_notes": _language_notes(languages),
            "meets_on_arrival": _flag(service_codes, "meets_on_arrival"),
            "status": status,
            "phones": phones,
            "schedules": structured_schedules(all_schedules),
            "external_id": external_id(service, location),
            **office_details({**service, "service_at_locations": [sal]}),
        }
        if not _reachable(office, organization):
            yield Problem(
                here, "nothing to contact: no phone, email, website, address or coordinates"
            )
            continue
        office["hsds_source"] = office_source(service, sal, office)
        if index == 0 and unlinked:
            office["hsds_source"]["unlinked"] = unlinked
        yield Candidate(
            where=here,
            org_key=org_key,
            organization=organization,
            office=office,
            category_given=bool(categories),
            verifications=verifications,
            findings=found,
        )


# ---- tabular data package ------------------------------------------------------------------


_by = by_column


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
    return package_candidates(read_tables(directory), name=str(directory))


def package_candidates(tables: dict[str, Rows], *, name: str) -> Iterator[Candidate | Problem]:
    """Candidates from a package's tables as `hsds_package` reads and checks them (from CSV
    files, or the JSON form of Open Referral's `tabular.json`)."""
    if not tables["service"]:
        raise DatasetError(f"{name} holds no services.csv (or it is empty)")
    return _joined(tables)


def _joined(tables: dict[str, Rows]) -> Iterator[Candidate | Problem]:
    organizations = {r["id"]: r for r in tables["organization"] if r.get("id")}
    services = tables["service"]
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

    kept = kept_tables(tables)
    nested_all: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    for n, service in enumerate(services, start=2):
        where = f"services.csv row {n}"
        org = organizations.get(service.get("organization_id", ""))
        if org is None:
            nested_all.append((where, None, service))
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
                    "contacts": kept["contact_sal"].get(sal.get("id", ""), []),
                    "location": {
                        **location,
                        "accessibility": kept["accessibility"].get(lid, []),
                        "contacts": kept["contact_location"].get(lid, []),
                        "attributes": attributes.get(lid, []),
                        "metadata": metadata.get(lid, []),
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
        nested: dict[str, Any] = {
            **service,
            "phones": with_phones(phones_by_service.get(sid, [])),
            "languages": langs_by_service.get(sid, []),
            "schedules": sched_by_service.get(sid, []),
            "attributes": attributes.get(sid, []),
            "metadata": metadata.get(sid, []),
            "service_at_locations": nested_sals,
            **{key: kept[key].get(sid, []) for key in SERVICE_KEPT},
        }
        program = kept["program"].get(service.get("program_id", ""))
        if program:
            nested["program"] = program[0]
        oid = org["id"]
        nested_org: dict[str, Any] = {
            **org,
            "attributes": attributes.get(oid, []),
            "metadata": metadata.get(oid, []),
            **{key: kept[f"org_{key}"].get(oid, []) for key in ORGANIZATION_KEPT},
        }
        nested_all.append((where, nested_org, nested))
    # What links to no record is not lost: it travels with the first record (hsds_source).
    linked: set[tuple[str, Any]] = set()
    for _, org_doc, service_doc in nested_all:
        if org_doc is not None:
            linked |= row_keys("organization", org_doc) | row_keys("service", service_doc)
    unlinked = {
        key: left
        for key, rows in tables.items()
        if key in TABLES_BY_NAME
        and (left := [r for r in rows if r.get("id") and (key, r["id"]) not in linked])
    }
    for where, org_doc, service_doc in nested_all:
        if org_doc is None:
            yield Problem(where, "no organization with this organization_id", "organization_id")
            continue
        yield from candidates(org_doc, service_doc, where=where, terms=terms, unlinked=unlinked)
        unlinked = {}
