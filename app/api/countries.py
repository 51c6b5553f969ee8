"""Reference data: countries and ISO 3166-2 regions with coverage counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import SettingsDep
from app.auth.dependencies import AnyRole, SessionDep
from app.directory import search
from app.directory.reading import Reading

router = APIRouter(prefix="/api/v1/countries", tags=["reference"])

Lang = Annotated[str, Query(min_length=2, max_length=8, pattern="^[A-Za-z_-]+$")]


@router.get("")
def list_countries(
    viewer: AnyRole,
    session: SessionDep,
    settings: SettingsDep,
    lang: Lang = "en",
    with_contacts: bool = False,
) -> list[dict[str, Any]]:
    """Every ISO 3166-1 country with its number of contacts per category."""
    return search.country_summaries(
        session,
        reading=Reading.now_by(viewer, settings, lang=lang),
        with_contacts_only=with_contacts,
    )


@router.get("/{country}/regions")
def list_regions(
    country: str, viewer: AnyRole, session: SessionDep, settings: SettingsDep, lang: Lang = "en"
) -> dict[str, Any]:
    """The country's ISO 3166-2 subdivisions with counts and the categories each lacks."""
    return search.region_summaries(
        session, country=country, reading=Reading.now_by(viewer, settings, lang=lang)
    )
