"""Printable contact sheets for returnees (Recommendations 42–45): officer and above."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from app.api.deps import SettingsDep
from app.auth.dependencies import SessionDep, Staff
from app.kit.clock import utcnow
from app.kit.security_headers import DOCUMENT_POLICY
from app.sheets import service
from app.sheets.schemas import SheetFormat, SheetParams, SheetSize

router = APIRouter(prefix="/api/v1", tags=["sheets"])

LangQuery = Annotated[str, Query(min_length=2, max_length=3, description="ISO 639-1")]


async def sheet_params(
    country: str,
    region: Annotated[str | None, Query(max_length=8)] = None,
    lang: LangQuery = "en",
    lang2: Annotated[str | None, Query(min_length=2, max_length=3)] = None,
    size: SheetSize = SheetSize.A4,
) -> SheetParams:
    """Which sheet: the country in the path, region, languages and size from the query,
    checked (a bad one is a 422 naming it). `async`: checking needs no thread."""
    return service.checked_params(country=country, region=region, lang=lang, lang2=lang2, size=size)


CheckedSheetParams = Annotated[SheetParams, Depends(sheet_params)]


@router.get(
    "/sheets/{country}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
def get_sheet(
    officer: Staff,
    session: SessionDep,
    settings: SettingsDep,
    params: CheckedSheetParams,
    format: SheetFormat = SheetFormat.PDF,
) -> Response:
    """The contact sheet for a country (and region) as PDF or self-contained HTML.

    Only active, recently verified, non-confidential offices are printed, with neutral
    wording. The `X-Snapshot-Id` header (also in the footer) identifies the printed data.
    """
    sheet = service.render_sheet(
        session, params=params, fmt=format, now=utcnow(), settings=settings
    )
    return Response(
        content=sheet.content,
        media_type=sheet.media_type,
        headers=service.download_headers(sheet, format),
    )


@router.get("/sheets/{country}/preview", response_class=HTMLResponse)
def preview_sheet(
    officer: Staff, session: SessionDep, settings: SettingsDep, params: CheckedSheetParams
) -> HTMLResponse:
    """Officer preview (never printed): the sheet, and which offices were left out and why."""
    data, html = service.preview_sheet(session, params=params, now=utcnow(), settings=settings)
    return HTMLResponse(
        html,
        headers={
            "X-Snapshot-Id": data.snapshot_id,
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": DOCUMENT_POLICY,
        },
    )
