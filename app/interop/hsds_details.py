"""HSDS service areas, contacts, accessibility and organisation identifiers as Homeward data
(directory.details): taken from a source record at import, written back from the data at
export.

An import takes each row's modelled values into the office (or organisation) and leaves in
the kept source record (hsds_source) only the row's skeleton: its id, its links and the
columns Homeward does not model, so no value is kept twice. An export writes each item back
into the skeleton of the same id (wherever the source nested it); an item without one (a
reviewer's) becomes a new row of the service, its location or the organisation; a skeleton
whose item was removed since is dropped. A row the directory's checks refuse (a URL that is
not http, an item too long) is not taken: it stays whole in the source copy and goes back out
as it came.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from app.directory.details import MAX_ITEMS, OFFICE_DETAILS, ORGANIZATION_DETAILS
from app.interop.hsds_vocabulary import NOT_RECORDED, hsds_id

# Homeward field -> (HSDS key of its rows, HSDS table)
HSDS_KEYS = {
    "service_areas": ("service_areas", "service_area"),
    "contacts": ("contacts", "contact"),
    "accessibility": ("accessibility", "accessibility"),
    "identifiers": ("organization_identifiers", "organization_identifier"),
}
DETAILS = {**OFFICE_DETAILS, **ORGANIZATION_DETAILS}
MODELLED = {
    name: tuple(k for k in model.model_fields if k != "source_id")
    for name, model in DETAILS.items()
}
# Where a service document nests each field's rows: the service, its service at location,
# the location; new rows go to the first.
_SERVICE_HOLDERS = {
    "service_areas": ("service",),
    "contacts": ("service", "sal", "location"),
    "accessibility": ("location",),
}


def source_value(value: Any) -> Any:
    """A source's value as Homeward takes it: trimmed, and None when blank or 'not recorded'."""
    if value is None or (isinstance(value, str) and value.strip() in ("", NOT_RECORDED)):
        return None
    return value.strip() if isinstance(value, str) else value


def _values(field: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key in MODELLED[field]:
        value = source_value(row.get(key))
        if value is not None and not isinstance(value, (dict, list, bool)):
            out[key] = value if isinstance(value, str) else str(value)
    return out


def _taken(field: str, row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The item a source row gives, or None when the directory's checks refuse it: such a
    row is not taken and stays in the source copy whole, to be exported as it came."""
    item = _values(field, row)
    source_id = row.get("id")
    if not item or not isinstance(source_id, str) or not source_id:
        return None
    try:
        DETAILS[field].model_validate(item)
    except ValidationError:
        return None
    return {**item, "source_id": source_id}


def _holders(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sals = service.get("service_at_locations") or []
    sal = sals[0] if sals and isinstance(sals[0], dict) else {}
    location: dict[str, Any] = sal["location"] if isinstance(sal.get("location"), dict) else {}
    return {"service": service, "sal": sal, "location": location}


def take(field: str, holders: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """The items of `field` the rows in `holders` give, each source row once (by its id)."""
    key, _ = HSDS_KEYS[field]
    items: dict[str, dict[str, Any]] = {}
    for holder in holders:
        for row in holder.get(key) or []:
            if len(items) < MAX_ITEMS and isinstance(row, Mapping):
                item = _taken(field, row)
                if item is not None:
                    items.setdefault(item["source_id"], item)
    return list(items.values()) or None


def office_details(service: dict[str, Any]) -> dict[str, Any]:
    """The office fields of a service at one location (`service_at_locations[0]`)."""
    holders = _holders(service)
    return {
        field: take(field, [holders[h] for h in where]) for field, where in _SERVICE_HOLDERS.items()
    }


def organization_details(org: dict[str, Any]) -> dict[str, Any]:
    return {"identifiers": take("identifiers", [org])}


def _skeleton(row: Any, taken: Mapping[str, dict[str, Any]]) -> Any:
    row_id = row.get("id") if isinstance(row, Mapping) else None
    item = taken.get(row_id) if isinstance(row_id, str) else None
    return row if item is None else {k: v for k, v in row.items() if k not in item}


def skeletons(
    doc: dict[str, Any], taken: Mapping[str, list[dict[str, Any]] | None]
) -> dict[str, Any]:
    """`doc` (a shallow copy of a source record) with the rows the import took (`taken`:
    field -> its items) as skeletons; nested holders are copied, never changed in place."""
    out = dict(doc)
    holders = {"doc": out}
    sals = out.get("service_at_locations")
    if isinstance(sals, list) and sals and isinstance(sals[0], dict):
        sal = dict(sals[0])
        out["service_at_locations"] = [sal, *sals[1:]]
        holders["sal"] = sal
        if isinstance(sal.get("location"), dict):
            holders["location"] = sal["location"] = dict(sal["location"])
    for field, items in taken.items():
        key, _ = HSDS_KEYS[field]
        by_id = {item["source_id"]: item for item in items or []}
        for holder in holders.values():
            if by_id and isinstance(holder.get(key), list):
                holder[key] = [_skeleton(row, by_id) for row in holder[key]]
    return out


def _put_back(
    field: str,
    items: list[dict[str, Any]] | None,
    holders: list[dict[str, Any]],
    *,
    owner: tuple[int, ...],
    links: dict[str, Any],
) -> None:
    """Write `items` into the skeletons of `holders` (by source id); the rest are new rows of
    the first holder."""
    key, table = HSDS_KEYS[field]
    by_id = {i["source_id"]: i for i in items or [] if i.get("source_id")}
    placed: set[str] = set()
    for holder in holders:
        rows = holder.get(key)
        if not isinstance(rows, list):
            continue
        kept = []
        for row in rows:
            if isinstance(row, dict) and row.get("id") in by_id:
                item = by_id[row["id"]]
                kept.append({**row, **{k: item[k] for k in MODELLED[field] if item.get(k)}})
                placed.add(row["id"])
            elif not isinstance(row, dict) or _values(field, row):
                kept.append(row)  # never taken (refused by the checks): as it came
        holder[key] = kept
    new = [
        {
            "id": item.get("source_id") or hsds_id(table, *owner, n),
            **links,
            **{k: item.get(k) for k in MODELLED[field]},
        }
        for n, item in enumerate(items or [])
        if item.get("source_id") not in placed
    ]
    if new:
        holders[0].setdefault(key, []).extend(new)


def write_office_details(doc: dict[str, Any], office_id: int, details: Mapping[str, Any]) -> None:
    """Put an office's details into its HSDS service document (in place)."""
    holders = _holders(doc)
    location = holders["location"]
    for field, where in _SERVICE_HOLDERS.items():
        home = where[0]
        links = {"service_id": doc.get("id")} if home == "service" else {}
        if home == "location":
            links = {"location_id": location.get("id")}
        _put_back(
            field,
            details.get(field),
            [holders[h] for h in where],
            owner=(office_id,),
            links=links,
        )


def write_organization_details(
    doc: dict[str, Any], organization_id: int, identifiers: list[dict[str, Any]] | None
) -> None:
    _put_back(
        "identifiers",
        identifiers,
        [doc],
        owner=(organization_id,),
        links={"organization_id": doc.get("id")},
    )
