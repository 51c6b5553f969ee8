"""The OpenAPI description of Homeward's ORAPI, served at `/hsds/openapi.json`.

It is cut from the app's own OpenAPI (the /hsds routes, their parameters and documented
responses), so it cannot drift from what the routes do. The routes document their 200
bodies with Open Referral's published schemas (`page_response`, `document_response`) and the
errors they can answer with (`errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

OPEN_REFERRAL_SCHEMAS = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
NDJSON = "application/x-ndjson"
BEARER = "bearerKey"

# Open Referral's `Page` (openapi.json, components/schemas/Page).
PAGE = {
    "type": "object",
    "properties": {
        "total_items": {"type": "integer", "description": "How many records match, in all."},
        "total_pages": {"type": "integer", "description": "How many pages they fill."},
        "page_number": {"type": "integer", "description": "The number of this page."},
        "size": {"type": "integer", "description": "How many records this page holds."},
        "first_page": {"type": "boolean", "description": "Whether this is page 1."},
        "last_page": {"type": "boolean", "description": "Whether no page follows this one."},
        "empty": {"type": "boolean", "description": "Whether this page holds no record."},
    },
}

ERROR_BODY = {
    "type": "object",
    "required": ["error", "message", "detail"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}

_ERRORS = {
    401: "No key, or an unknown or revoked key: send 'Authorization: Bearer <key>'.",
    404: "No record with this id that this key may see.",
    422: "A parameter is invalid; the body names it and why.",
}


def schema(relative: str) -> dict[str, str]:
    """One of Open Referral's published schemas, e.g. "compiled/service.json".

    In the app's own OpenAPI (the /docs and /redoc pages, which must work with no network)
    it stays a described object; `orapi_openapi` turns it into a $ref to the published file
    for the ORAPI's clients."""
    return {
        "type": "object",
        "description": f"Open Referral HSDS schema {OPEN_REFERRAL_SCHEMAS}{relative}",
        HSDS_SCHEMA: relative,
    }


HSDS_SCHEMA = "x-hsds-schema"


def with_published_refs(value: Any) -> Any:
    """`value` with every `schema()` placeholder replaced by a $ref to the published schema."""
    if isinstance(value, dict):
        if HSDS_SCHEMA in value:
            return {"$ref": OPEN_REFERRAL_SCHEMAS + value[HSDS_SCHEMA]}
        return {key: with_published_refs(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_published_refs(item) for item in value]
    return value


def page_response(item: str, description: str) -> dict[str, Any]:
    """A list's 200: an ORAPI page of `item`, or with `format=ndjson` one `item` a line."""
    page = {"allOf": [PAGE], "properties": {"contents": {"type": "array", "items": schema(item)}}}
    return {
        "description": f"{description} With format=ndjson: every record, one per line.",
        "content": {"application/json": {"schema": page}, NDJSON: {"schema": schema(item)}},
    }


def document_response(item: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema(item)}}}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Documented error responses, with Homeward's error body."""
    return {
        status: {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": ERROR_BODY}},
        }
        for status in statuses
    }


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/components/"):
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _components(app_spec: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """The app's components that `paths` refer to, directly or through each other."""
    found: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    while pending:
        _, _, section, name = pending.pop().split("/", 3)
        if name in found.get(section, {}):
            continue
        target = app_spec["components"][section][name]
        found.setdefault(section, {})[name] = target
        pending.extend(_refs(target))
    return found


def orapi_openapi(
    app_spec: dict[str, Any], *, prefix: str, server_url: str, version: str, profile: str
) -> dict[str, Any]:
    """The ORAPI part of the app's OpenAPI: the paths under `prefix`, relative to a server at
    `server_url`, with the components they use and the bearer key they need."""
    paths = {
        path.removeprefix(prefix) or "/": with_published_refs(item)
        for path, item in app_spec["paths"].items()
        if path.startswith(f"{prefix}/")
    }
    components = _components(app_spec, paths)
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "A Homeward API key."}
    }
    return {
        "openapi": app_spec["openapi"],
        "info": {
            "title": "Homeward ORAPI",
            "version": app_spec["info"]["version"],
            "summary": f"Open Referral API, HSDS {version}, over Homeward's directory.",
            "description": (
                f"Open Referral's ORAPI (HSDS {version}, profile {profile}) over Homeward's "
                "verified directory: services are offices, organizations are organisations, "
                "each office is one service_at_location; the taxonomy is Homeward's own."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{BEARER: []}],
        "paths": paths,
        "components": components,
    }
