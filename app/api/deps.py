"""Shared request helpers for routers: versions, paging, the clock and settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Path, Response
from sqlalchemy.orm import Session

from app.auth.dependencies import Editor, SessionDep
from app.config import Settings, get_settings
from app.directory.closing import CloseAsked
from app.directory.provenance import Provenance
from app.directory.schemas import (
    ClosePhone,
    CloseRecord,
    OfficeUpdate,
    OrganizationUpdate,
    PhoneUpdate,
)
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


Changed = TypeVar("Changed")


@dataclass
class AdminEdit:
    """An admin's change to one record: who edits, the session, the version in `If-Match`
    (else the body's) and the response, which carries the record's new ETag."""

    editor: Editor
    session: SessionDep
    response: Response
    if_match: IfMatch = None

    def update(
        self,
        update: Callable[..., Changed],
        body: OfficeUpdate | OrganizationUpdate | PhoneUpdate,
        **record_id: int,
    ) -> Changed:
        """The directory service `update` run with the fields the body sets, the version
        the edit was based on and the editor as its provenance."""
        return update(
            self.session,
            **record_id,
            changes=body.model_dump(exclude_unset=True, exclude={"version"}),
            expected_version=expected_version(self.if_match, body.version),
            provenance=Provenance.admin_edit(self.editor),
        )

    def close(
        self,
        close: Callable[[Session, int, CloseAsked], Changed],
        body: CloseRecord | ClosePhone,
        record_id: int,
    ) -> Changed:
        """The closing `close` of record `record_id`, with the version, reason and note the
        body gives."""
        asked = CloseAsked(
            expected_version(self.if_match, body.version), body.reason, body.note, self.editor
        )
        return close(self.session, record_id, asked)

    def tag(self, version: int) -> None:
        """Send the record's new version as its ETag."""
        self.response.headers["ETag"] = etag(version)


AdminEditDep = Annotated[AdminEdit, Depends()]
