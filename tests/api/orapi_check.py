"""Check ORAPI bodies against Open Referral's openapi.json and compiled schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.interop.spec import SPEC, load

RAW = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
OPENAPI = "urn:homeward-test:orapi-openapi.json"


@cache
def _registry() -> Registry:
    resources = [(OPENAPI, Resource.from_contents(load("schema/openapi.json"), DRAFT202012))]
    for path in sorted((SPEC / "schema").glob("*.json")) + sorted(
        (SPEC / "schema" / "compiled").glob("*.json")
    ):
        relative = path.relative_to(SPEC / "schema").as_posix()
        if relative == "openapi.json":
            continue
        resources.append(
            (RAW + relative, Resource.from_contents(load(f"schema/{relative}"), DRAFT202012))
        )
    return Registry().with_resources(resources)


def _check(schema: dict[str, Any], body: Any) -> None:
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


def check_response(path: str, body: Any) -> None:
    """Validate `body` against the 200 response schema of GET `path` in the ORAPI spec."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    _check(
        {"$ref": f"{OPENAPI}#/paths/{pointer}/get/responses/200/content/application~1json/schema"},
        body,
    )


def check_schema(relative: str, body: Any) -> None:
    """Validate `body` against one of Open Referral's schemas, e.g. "compiled/service.json"."""
    _check({"$ref": RAW + relative}, body)
