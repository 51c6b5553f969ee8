"""Shared request helpers for routers: versions, paging, the clock and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path

from app.config import Settings, get_settings
from app.kit.errors import InvalidValue
from app.kit.models import MAX_ID


async def current_settings() -> Settings:
    """The settings, as a dependency. `async` because FastAPI runs every plain `def`
    dependency in the threadpool, and a thread hop per request costs more than this lookup."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(current_settings)]


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version an edit was based on, from `If-Match` or the body's `version`."""
    if if_match is None:
        return body_version
    raw = if_match.strip().removeprefix("W/").strip('"')
    try:
        header_version = int(raw)
    except ValueError as exc:
        raise InvalidValue("If-Match must be a version number", field="If-Match") from exc
    if body_version is not None and body_version != header_version:
        raise InvalidValue("If-Match and body 'version' disagree", field="version")
    return header_version


IfMatch = Annotated[str | None, Header(alias="If-Match")]

# Path ids outside the INTEGER range are a 422, not a driver overflow.
OfficeId = Annotated[int, Path(ge=1, le=MAX_ID)]
OrganizationId = Annotated[int, Path(ge=1, le=MAX_ID)]
PhoneId = Annotated[int, Path(ge=1, le=MAX_ID)]
KeyId = Annotated[int, Path(ge=1, le=MAX_ID)]


def etag(version: int) -> str:
    """The strong ETag of a record's version, as `If-Match` expects it back."""
    return f'"{version}"'
