"""vCard 4.0 download of a region's contacts, for an officer's phone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import SettingsDep
from app.auth.dependencies import AnyRole, SessionDep
from app.interop import vcard
from app.kit.clock import utcnow

router = APIRouter(prefix="/api/v1", tags=["contacts"])


@router.get(
    "/contacts.vcf",
    response_class=Response,
    responses={200: {"content": {"text/vcard": {}}, "description": "vCard 4.0, one per office"}},
)
def contacts_vcard(
    viewer: AnyRole,
    session: SessionDep,
    settings: SettingsDep,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    region: Annotated[str | None, Query(min_length=4, max_length=8)] = None,
) -> Response:
    """The offices of a country and region (plus its nationwide offices) as vCard 4.0.

    One card per office, phones in international format, a note with the verification date.
    Confidential organisations and closed offices are never included.
    """
    body = "".join(
        vcard.iter_cards(
            session,
            country=country,
            region=region,
            viewer=viewer,
            now=utcnow(),
            settings=settings,
        )
    )
    name = "-".join(filter(None, ["contacts", country, region])) + ".vcf"
    return Response(
        content=body,
        media_type=vcard.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
