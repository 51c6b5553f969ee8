"""The officer's "Print sheet": choose languages and size, preview what will be printed (and
what is left out, and why), then download the PDF. Assembly and rendering are the sheets
domain's services."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from babel.lists import format_list
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.auth.dependencies import STAFF, SessionDep
from app.config import get_settings
from app.directory.geography import country_name, language_name, region_name
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.principal import Principal
from app.sheets import service as sheets
from app.sheets.i18n import sheet_languages
from app.sheets.schemas import SheetFormat, SheetNote, SheetSize
from app.web import i18n, labels
from app.web.forms import reason
from app.web.i18n import N_, _
from app.web.officer import country_options, region_options
from app.web.session import checked_form, require_page
from app.web.templating import render_form

router = APIRouter(include_in_schema=False, dependencies=[Depends(checked_form)])

StaffPage = Annotated[Principal, require_page(*STAFF)]

EXCLUSION_REASONS = {
    "confidential": N_("Confidential organisation — never printed"),
    "organization_closed": N_("Organisation closed"),
    "closed": N_("Office closed"),
    "temporarily_closed": N_("Temporarily closed"),
    "stale": N_("Stale — not verified recently enough, or a call found a wrong number"),
    "unverified": N_("Never verified"),
}
# Why an entry's text was withheld from the sheet, and what was (app/sheets/service.py).
WITHHELD_REASONS = {
    "neutral_label": N_("printed as a neutral label; withheld: %(fields)s"),
    "blocklisted_word": N_("withheld (blocklisted word): %(fields)s"),
}
WITHHELD_FIELDS = {
    "name": N_("name"),
    "local name": N_("local name"),
    "office name": N_("office name"),
    "address": N_("address"),
    "city": N_("city"),
    "opening hours": N_("opening hours"),
    "phone hours": N_("phone hours"),
}


def withheld_reason(note: SheetNote) -> str:
    """Why `note`'s text was withheld, in the page's language."""
    fields = format_list(
        [_(WITHHELD_FIELDS.get(f, f)) for f in note.fields], locale=i18n.current_language()
    )
    template = WITHHELD_REASONS.get(note.reason)
    return _(template, fields=fields) if template else note.reason


SIZES = {SheetSize.A4.value: N_("A4 page"), SheetSize.POCKET.value: N_("Pocket card (A6)")}

Code = Annotated[str | None, Query(max_length=8)]
ChosenCode = Annotated[str | None, Field(max_length=8)]


class SheetChoice(BaseModel):
    """The sheet chosen on the page, as the query string sends it (checked by the sheets
    service, not here)."""

    country: ChosenCode = None
    region: ChosenCode = None
    lang: ChosenCode = None
    lang2: ChosenCode = None
    size: ChosenCode = None

    def values(self) -> dict[str, str]:
        """The form's values: what was chosen, with the defaults shown for the rest."""
        return {
            "country": (self.country or "").upper(),
            "region": (self.region or "").upper(),
            "lang": self.lang or "en",
            "lang2": self.lang2 or "",
            "size": self.size or SheetSize.A4.value,
        }


@cache
def _language_options() -> list[tuple[str, str]]:
    return [(code, f"{language_name(code, code)} ({code})") for code in sheet_languages()]


@router.get("/officer/sheet")
def sheet_page(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    choice: Annotated[SheetChoice, Query()],
) -> Response:
    """Choose the sheet; with a language chosen, preview it with the left-out entries."""
    values = choice.values()
    errors: dict[str, str] = {}
    data = None
    params = None
    country = choice.country
    if country and choice.lang:
        try:
            params = sheets.checked_params(
                country=country,
                region=choice.region or None,
                lang=choice.lang,
                lang2=choice.lang2 or None,
                size=values["size"],
            )
        except InvalidValue as exc:
            errors[exc.field or "country"] = reason(exc)
        else:
            data = sheets.assemble_sheet(
                session, params=params, now=utcnow(), settings=get_settings(), with_notes=True
            )
    elif country:
        try:
            values["country"] = sheets.checked_params(country=country).country
        except InvalidValue as exc:
            errors["country"] = reason(exc)
    chosen = values["country"] if "country" not in errors and values["country"] else None
    lang_shown = i18n.current_language()  # place names in the page's language
    return render_form(
        request,
        "sheet.html",
        principal=principal,
        title=_("Print sheet"),
        values=values,
        errors=errors,
        countries=country_options(lang_shown),
        regions=region_options(chosen, lang_shown) if chosen else [],
        languages=_language_options(),
        sizes=labels.options(SIZES),
        data=data,
        params=params,
        country_label=country_name(chosen, lang_shown) if chosen else None,
        region_label=region_name(params.region, lang_shown) if params and params.region else None,
        reasons=EXCLUSION_REASONS,
        withheld_reason=withheld_reason,
    )


@router.get("/officer/sheet/download")
def download(
    request: Request,
    principal: StaffPage,
    session: SessionDep,
    country: Annotated[str, Query(min_length=2, max_length=2)],
    lang: Annotated[str, Query(min_length=2, max_length=3)],
    region: Code = None,
    lang2: Code = None,
    size: SheetSize = SheetSize.A4,
    format: SheetFormat = SheetFormat.PDF,
) -> Response:
    """The sheet itself: a PDF download, or the printable HTML page."""
    params = sheets.checked_params(
        country=country, region=region or None, lang=lang, lang2=lang2 or None, size=size
    )
    sheet = sheets.render_sheet(
        session, params=params, fmt=format, now=utcnow(), settings=get_settings()
    )
    return Response(
        content=sheet.content,
        media_type=sheet.media_type,
        headers=sheets.download_headers(sheet, format) | {"X-Content-Type-Options": "nosniff"},
    )
