"""Country-dependent rules, shared by the API, imports and NGO submissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.directory.geography import (
    UnknownCountry,
    UnknownRegion,
    country_from_text,
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
        raise invalid_value(err, field=name) from exc


def invalid_value(error: Mapping[str, Any], *, field: str) -> InvalidValue:
    """A pydantic error as a 422 on `field`, keeping the template of an `Explained` one."""
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ValueError):
        return InvalidValue.of(cause, field=field)
    return InvalidValue(str(error["msg"]).removeprefix("Value error, "), field=field)


def checked_country(country: str, *, field: str = "country") -> str:
    try:
        return normalise_country(country)
    except UnknownCountry as exc:
        raise InvalidValue.of(exc, field=field) from exc


def checked_country_text(text: str, *, lang: str = "en", field: str = "country") -> str:
    """A country typed by a person (name or ISO code, see `country_from_text`), as its code."""
    try:
        return country_from_text(text, lang)
    except UnknownCountry as exc:
        raise InvalidValue.of(exc, field=field) from exc


def checked_region(country: str, region: str | None, *, field: str = "region") -> str | None:
    if region is None or region == "":
        return None
    try:
        return normalise_region(country, region)
    except UnknownRegion as exc:
        raise InvalidValue.of(exc, field=field) from exc


def checked_place(
    changes: Mapping[str, Any], *, country_now: str, region_now: str | None, prefix: str = ""
) -> dict[str, Any]:
    """The country and region among an office's `changes`, checked, as the changes to make
    (fields named under `prefix`). A region belongs to one country: moving the country
    clears the region unless one is given, and a region is checked in the country it ends in.
    """
    out: dict[str, Any] = {}
    country = country_now
    if "country" in changes:
        country = out["country"] = checked_country(changes["country"], field=f"{prefix}country")
    if "region" in changes:
        out["region"] = checked_region(country, changes["region"], field=f"{prefix}region")
    elif country != country_now and region_now is not None:
        out["region"] = None
    return out


def checked_phone(number: str, country: str, *, field: str = "number") -> str:
    try:
        return to_e164(number, country)
    except InvalidPhoneNumber as exc:
        raise InvalidValue.of(exc, field=field) from exc
