"""Country-dependent rules, shared by the API, imports and NGO submissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.directory.geography import (
    UnknownCountry,
    UnknownRegion,
    normalise_country,
    normalise_region,
)
from app.directory.phone_numbers import InvalidPhoneNumber, to_e164
from app.kit.errors import InvalidValue

M = TypeVar("M", bound=BaseModel)


def checked_model(model: type[M], data: Mapping[str, Any], *, prefix: str) -> M:
    """Validate with a schema; the first error becomes a 422 naming its path under `prefix`."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        name = ".".join(p for p in (prefix, loc) if p) or "body"
        raise InvalidValue(str(err["msg"]).removeprefix("Value error, "), field=name) from exc


def checked_country(country: str, *, field: str = "country") -> str:
    try:
        return normalise_country(country)
    except UnknownCountry as exc:
        raise InvalidValue(str(exc), field=field) from exc


def checked_region(country: str, region: str | None, *, field: str = "region") -> str | None:
    if region is None or region == "":
        return None
    try:
        return normalise_region(country, region)
    except UnknownRegion as exc:
        raise InvalidValue(str(exc), field=field) from exc


def checked_phone(number: str, country: str, *, field: str = "number") -> str:
    try:
        return to_e164(number, country)
    except InvalidPhoneNumber as exc:
        raise InvalidValue(str(exc), field=field) from exc
