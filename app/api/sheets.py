"""Printable contact sheets for returnees (Recommendations 42–45): officer and above."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep
from app.auth.dependencies import SessionDep, Staff
from app.kit.clock import utcnow
from app.sheets import service
from app.sheets.schemas import SheetFormat, SheetSize

router = APIRouter(prefix="/api/v1", tags=["sheets"])

LangQuery = Annotated[str, Query(min_length=2, max_length=3, description="ISO 639-1")]


@router.get(
    "/sheets/{country}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
def get_sheet(
    country: str,
    officer: Staff,
    session: SessionDep,
    settings: SettingsDep,
    region: Annotated[str | None, Query(max_length=8)] = None,
    lang: LangQuery = "en",
    lang2: Annotated[str | None, Query(min_length=2, max_length=3)] = None,
    format: SheetFormat = SheetFormat.PDF,
    size: SheetSize = SheetSize.A4,
) -> Response:
    """The contact sheet for a country (and region) as PDF or self-contained HTML.

    Only active, recently verified, non-confidential offices are printed, with neutral
    wording. The `X-Snapshot-Id` header (also in the footer) identifies the printed data.
    """
    params = service.checked_params(
        country=country, region=region, lang=lang, lang2=lang2, size=size
    )
    sheet = service.render_sheet(
        session, params=params, fmt=format, now=utcnow(), settings=settings
    )
    disposition = "inline" if format is SheetFormat.HTML else "attachment"
    return Response(
        content=sheet.content,
        media_type=sheet.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{sheet.filename}"',
            "X-Snapshot-Id": sheet.snapshot_id,
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/sheets/{country}/preview", response_class=HTMLResponse)
def preview_sheet(
    country: str,
    officer: Staff,
    session: SessionDep,
    settings: SettingsDep,
    region: Annotated[str | None, Query(max_length=8)] = None,
    lang: LangQuery = "en",
    lang2: Annotated[str | None, Query(min_length=2, max_length=3)] = None,
    size: SheetSize = SheetSize.A4,
) -> HTMLResponse:
    """Officer preview (never printed): the sheet, and which offices were left out and why."""
    params = service.checked_params(
        country=country, region=region, lang=lang, lang2=lang2, size=size
    )
    data, html = service.preview_sheet(session, params=params, now=utcnow(), settings=settings)
    return HTMLResponse(
        html, headers={"X-Snapshot-Id": data.snapshot_id, "Cache-Control": "private, no-store"}
    )
