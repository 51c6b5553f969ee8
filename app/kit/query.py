"""A query string validated as one Pydantic model, in one pass.

FastAPI validates query parameters one by one, re-deriving each parameter's annotation on
every request; for the officers' search (13 parameters, the hottest route) that cost more
CPU than its SQL. `query_model(Model)` gives the route a dependency that reads the query
string once and validates it with the model's compiled validator, and `openapi_parameters`
documents the same fields in OpenAPI. The rules and errors stay FastAPI's: lax parsing of
numbers and booleans, the last value of a repeated single-valued parameter, every value of a
list parameter, unknown parameters ignored, and a `RequestValidationError` located at
`("query", field, ...)`, which `kit.http` turns into the usual 422 body.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in typing.get_args(annotation))


def _list_parameters(model: type[BaseModel]) -> frozenset[str]:
    """The query names (aliases) of the model's list fields: repeatable parameters."""
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_list(field.annotation)
    )


def query_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency that validates the request's query string as `model`.

    `async`, so that it costs no threadpool hop.
    """
    repeatable = _list_parameters(model)

    async def parse(request: Request) -> M:
        params = request.query_params
        data = {
            name: params.getlist(name) if name in repeatable else value
            for name, value in params.items()
        }
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in errors]
            ) from None

    return parse


def _inline_refs(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with each `$ref` to the model's `$defs` replaced by the definition itself."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline_refs(definitions[ref.removeprefix("#/$defs/")], definitions)
        return {key: _inline_refs(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline_refs(item, definitions) for item in schema]
    return schema


def openapi_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters, for a route's `openapi_extra`."""
    schema = model.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema["properties"].items():
        inlined = _inline_refs(field_schema, definitions)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in inlined:
            parameter["description"] = inlined.pop("description")
        parameter["schema"] = inlined
        parameters.append(parameter)
    return parameters
