"""The tables of an HSDS tabular package, read and checked before any record is taken.

HSDS 3.0, 2.0 and 1.x name some tables differently (`service_at_location` was
`services_at_location`, `address` was `physical_address`, `schedule` was `regular_schedule`);
each table here is found under any of its names, as a resource of `datapackage.json` or as a
file beside it. A package that is broken as a whole is refused (`DatasetError`, naming the
file and row) before anything is queued: a file that is not UTF-8, a CSV cut off mid-row
(a quote left open, a row with fewer or more cells than its header), a missing column a
join needs, an id used twice in one table, or a reference to a row that is not there.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.kit import safe_csv

Rows = list[dict[str, str]]


class DatasetError(ValueError):
    """The dataset as a whole cannot be read (not a package, not JSON, a broken CSV...)."""


@dataclass(frozen=True)
class Table:
    names: tuple[str, ...]  # its resource names across HSDS versions, newest first
    required: tuple[str, ...] = ()  # the columns the import joins on or cannot do without
    references: tuple[tuple[str, str], ...] = ()  # (column, table it points into)


TABLES: dict[str, Table] = {
    "organization": Table(("organization", "organizations"), ("id", "name")),
    "service": Table(
        ("service", "services"),
        ("id", "organization_id"),
        (("organization_id", "organization"), ("location_id", "location")),
    ),
    "location": Table(("location", "locations"), ("id",)),
    "service_at_location": Table(
        ("service_at_location", "services_at_location", "services_at_locations"),
        ("service_id", "location_id"),
        (("service_id", "service"), ("location_id", "location")),
    ),
    "address": Table(
        ("address", "addresses", "physical_address", "physical_addresses"),
        ("location_id",),
        (("location_id", "location"),),
    ),
    "postal_address": Table(
        ("postal_address", "postal_addresses"), ("location_id",), (("location_id", "location"),)
    ),
    "phone": Table(
        ("phone", "phones"),
        ("number",),
        (
            ("service_id", "service"),
            ("location_id", "location"),
            ("service_at_location_id", "service_at_location"),
        ),
    ),
    "language": Table(
        ("language", "languages"),
        (),
        (("service_id", "service"), ("location_id", "location"), ("phone_id", "phone")),
    ),
    "schedule": Table(
        ("schedule", "schedules", "regular_schedule", "regular_schedules"),
        (),
        (
            ("service_id", "service"),
            ("location_id", "location"),
            ("service_at_location_id", "service_at_location"),
        ),
    ),
    "attribute": Table(("attribute", "attributes")),
    "metadata": Table(("metadata",)),
    "taxonomy_term": Table(("taxonomy_term", "taxonomy_terms")),
    # Kept verbatim with the records they belong to (hsds_source), for the round trip.
    "contact": Table(("contact", "contacts")),
    "service_area": Table(("service_area", "service_areas")),
    "cost_option": Table(("cost_option", "cost_options")),
    "funding": Table(("funding", "fundings")),
    "required_document": Table(("required_document", "required_documents")),
    "program": Table(("program", "programs")),
    "accessibility": Table(("accessibility", "accessibility_for_disabilities")),
    "organization_identifier": Table(("organization_identifier", "organization_identifiers")),
    "taxonomy": Table(("taxonomy", "taxonomies")),
    "meta_table_description": Table(("meta_table_description", "meta_table_descriptions")),
}


def _resource_paths(package: Path) -> dict[str, str]:
    try:
        descriptor = json.loads(package.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{package.name} is not JSON: {exc}") from exc
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise DatasetError(f"{package.name} lists no resources")
    paths = {}
    for resource in descriptor["resources"]:
        if isinstance(resource, dict) and isinstance(resource.get("path"), str):
            name = Path(resource["path"]).name  # never leave the package directory
            paths[str(resource.get("name"))] = name
    return paths


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise DatasetError(
            f"{path.name} row {row}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def read_csv(
    path: Path, table: Table | None = None, *, distinct: dict[str, str] | None = None
) -> Rows:
    """The rows of one CSV as dicts (formula escapes undone), checked whole: row numbers in
    errors count the header as row 1.

    `distinct` holds one string object per distinct value, shared by the tables of a package:
    ids repeated as foreign keys, codes and flags would otherwise each be a string of their
    own, and a large package's tables are all in memory at once."""
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    rows: Rows = []
    distinct = {} if distinct is None else distinct
    try:
        header = next(reader, None)
        if header is None:
            return rows
        header = [h.strip() for h in header]
        missing = [c for c in (table.required if table else ()) if c not in header]
        if missing:
            raise DatasetError(f"{path.name} row 1: no column {', '.join(missing)}")
        for n, cells in enumerate(reader, start=2):
            if not cells:
                continue
            if len(cells) != len(header):
                raise DatasetError(
                    f"{path.name} row {n}: {len(cells)} cells where the header has "
                    f"{len(header)} (a row cut off, or a quote left open)"
                )
            values = (distinct.setdefault(v, v) for v in map(safe_csv.unescape, cells))
            rows.append(dict(zip(header, values, strict=True)))
    except csv.Error as exc:
        raise DatasetError(
            f"{path.name} row {len(rows) + 2}: {exc} (a row cut off, or a quote left open)"
        ) from exc
    return rows


def _check_ids(name: str, rows: Rows) -> None:
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        row_id = row.get("id")
        if not row_id:
            continue
        if row_id in seen:
            raise DatasetError(
                f"{name} row {n}: id {row_id} is already the id of row {seen[row_id]}"
            )
        seen[row_id] = n


def _check_references(tables: dict[str, Rows], files: dict[str, str]) -> None:
    ids = {key: {r["id"] for r in rows if r.get("id")} for key, rows in tables.items()}
    for key, rows in tables.items():
        for column, target in TABLES[key].references:
            if target not in files:
                continue  # a table the package does not have: nothing to point into
            for n, row in enumerate(rows, start=2):
                value = row.get(column)
                if value and value not in ids[target]:
                    raise DatasetError(
                        f"{files[key]} row {n}: {column} {value} is no id in {files[target]}"
                    )


def read_tables(directory: Path) -> dict[str, Rows]:
    """Every table the import reads (an absent one is empty), checked as a whole."""
    package = directory / "datapackage.json"
    resources = _resource_paths(package) if package.exists() else {}
    files: dict[str, str] = {}
    for key, table in TABLES.items():
        found = next((resources[n] for n in table.names if n in resources), None)
        found = found or next(
            (f"{n}.csv" for n in table.names if (directory / f"{n}.csv").is_file()), None
        )
        if found and (directory / found).is_file():
            files[key] = found
    distinct: dict[str, str] = {}
    tables = {
        key: read_csv(directory / name, TABLES[key], distinct=distinct)
        for key, name in files.items()
    }
    return _checked(tables, files)


def is_tabular_json(data: Any) -> bool:
    """Whether a JSON document is a tabular package in JSON (Open Referral's `tabular.json`:
    each CSV file's name -> its rows)."""
    return (
        isinstance(data, dict)
        and bool(data)
        and all(isinstance(k, str) and k.endswith(".csv") for k in data)
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def tables_from_json(data: dict[str, Any], *, name: str) -> dict[str, Rows]:
    """The tables of a tabular package in JSON, as `read_tables` gives them, checked the same
    way; rows are numbered as in the CSV file each stands for (its header is row 1)."""
    files: dict[str, str] = {}
    tables: dict[str, Rows] = {}
    for key, table in TABLES.items():
        found = next((f"{n}.csv" for n in table.names if f"{n}.csv" in data), None)
        if found is None:
            continue
        label = f"{name} {found}"
        rows = data[found]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DatasetError(f"{label}: not a list of rows")
        checked = [{str(k): _cell(v) for k, v in row.items()} for row in rows]
        missing = [c for c in table.required if checked and c not in checked[0]]
        if missing:
            raise DatasetError(f"{label} row 1: no column {', '.join(missing)}")
        files[key], tables[key] = label, checked
    return _checked(tables, files)


def _checked(tables: dict[str, Rows], files: dict[str, str]) -> dict[str, Rows]:
    for key, rows in tables.items():
        _check_ids(files[key], rows)
    _check_references(tables, files)
    for key in TABLES:
        tables.setdefault(key, [])
    return tables


def by_column(rows: Rows, key: str) -> dict[str, Rows]:
    """Rows grouped by their value in column `key` (rows without one are left out)."""
    out: dict[str, Rows] = defaultdict(list)
    for row in rows:
        if row.get(key):
            out[row[key]].append(row)
    return out


SERVICE_KEPT = ("contacts", "service_areas", "cost_options", "funding", "required_documents")
ORGANIZATION_KEPT = ("contacts", "funding", "programs", "organization_identifiers", "phones")


def kept_tables(tables: dict[str, Rows]) -> dict[str, dict[str, Rows]]:
    """The tables Homeward keeps verbatim (hsds_source), indexed by what nests them."""
    terms = by_column(tables["taxonomy_term"], "id")
    taxonomies = by_column(tables["taxonomy"], "id")
    for attribute in tables["attribute"]:
        term = terms.get(attribute.get("taxonomy_term_id", ""))
        if term:
            detail = taxonomies.get(term[0].get("taxonomy_id", ""))
            nested_term: Any = {
                **term[0],
                **({"taxonomy_detail": detail[0]} if detail else {}),
            }
            attribute["taxonomy_term"] = nested_term  # a row nests its term, as JSON does
    contacts = tables["contact"]
    by_service = {
        "contacts": by_column(contacts, "service_id"),
        "service_areas": by_column(tables["service_area"], "service_id"),
        "cost_options": by_column(tables["cost_option"], "service_id"),
        "funding": by_column(tables["funding"], "service_id"),
        "required_documents": by_column(tables["required_document"], "service_id"),
    }
    by_organization = {
        "org_contacts": by_column(
            [c for c in contacts if not c.get("service_id")], "organization_id"
        ),
        "org_funding": by_column(
            [f for f in tables["funding"] if not f.get("service_id")], "organization_id"
        ),
        "org_programs": by_column(tables["program"], "organization_id"),
        "org_organization_identifiers": by_column(
            tables["organization_identifier"], "organization_id"
        ),
        "org_phones": by_column(
            [p for p in tables["phone"] if not p.get("service_id") and not p.get("location_id")],
            "organization_id",
        ),
    }
    return {
        **by_service,
        **by_organization,
        "program": by_column(tables["program"], "id"),
        "accessibility": by_column(tables["accessibility"], "location_id"),
        "contact_sal": by_column(contacts, "service_at_location_id"),
        "contact_location": by_column(contacts, "location_id"),
    }


__all__ = [
    "TABLES",
    "DatasetError",
    "Rows",
    "by_column",
    "is_tabular_json",
    "kept_tables",
    "read_tables",
    "tables_from_json",
]
