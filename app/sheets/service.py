"""Contact sheets: assembly (database -> SheetData) and rendering through the cache.

Scope. A region sheet holds the region's printable offices and the country's nationwide
ones. For each core category (police, NGOs, lawyers, social welfare) with no printable office
in the region, the nearest printable offices of that category elsewhere in the country are
added and marked "nearest" (see nearest.py). A national sheet holds the nationwide offices,
with the capital's offices filling the same gaps.

Discretion (Recommendation 42). Free text from the directory is checked against the
blocklist before it reaches a template:
- a name that would print a blocked word ("Anti-Trafficking Unit") is replaced by the local
  name when that is clean, else by a neutral category label ("Police");
- an office name, address, city, opening hours or phone hours with a blocked word is left
  off the sheet;
every such substitution is listed in the officer preview. The rendered sheet is checked once
more as a whole (render.guard), and a hit refuses the sheet instead of printing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.config import Settings
from app.directory.enums import CATEGORY_ORDER, CORE_CATEGORIES
from app.directory.geography import normalise_language
from app.directory.models import Office, Organization, Phone
from app.directory.phone_numbers import PhoneDisplay, display
from app.directory.printable import active_phones, exclusion_reason, printable_offices_clause
from app.directory.validation import checked_country, checked_region
from app.directory.visibility import not_confidential
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue
from app.kit.i18n import P_
from app.kit.security_headers import DOCUMENT_POLICY
from app.kit.text import fold
from app.sheets import pdf_render, render
from app.sheets.blocklist import Blocklist, blocklist
from app.sheets.cache import CacheKey, sheet_cache
from app.sheets.errors import SheetRefused
from app.sheets.i18n import sheet_languages
from app.sheets.nearest import CAPITALS, centroid, haversine_km, located, rank_nearest
from app.sheets.schemas import (
    SheetData,
    SheetEntry,
    SheetFormat,
    SheetNote,
    SheetParams,
    SheetPhone,
    SheetSize,
)
from app.sheets.snapshot import snapshot_id

# How many offices fill a category the region lacks.
NEAREST_PER_CATEGORY = 2

MEDIA_TYPES = {SheetFormat.PDF: "application/pdf", SheetFormat.HTML: "text/html; charset=utf-8"}


@dataclass(frozen=True)
class RenderedSheet:
    content: bytes
    media_type: str
    filename: str
    snapshot_id: str
    cached: bool


def download_headers(sheet: RenderedSheet, fmt: SheetFormat) -> dict[str, str]:
    """The HTTP headers a rendered sheet is served with: the PDF as a download, the HTML page
    inline; its snapshot id; kept out of shared caches."""
    disposition = "inline" if fmt is SheetFormat.HTML else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{sheet.filename}"',
        "X-Snapshot-Id": sheet.snapshot_id,
        "Cache-Control": "private, no-store",
    }
    if fmt is SheetFormat.HTML:
        headers["Content-Security-Policy"] = DOCUMENT_POLICY
    return headers


def _checked_language(code: str | None, *, field: str) -> str:
    if code is None or not code.strip():
        raise InvalidValue(P_("a language is required"), field=field)
    try:
        lang = normalise_language(code)
    except ValueError as exc:
        raise InvalidValue.of(exc, field=field) from exc
    if lang not in sheet_languages():
        raise InvalidValue(
            P_("no sheet catalog for '%(lang)s'; available: %(available)s"),
            field=field,
            params={"lang": lang, "available": ", ".join(sheet_languages())},
        )
    return lang


def checked_params(
    *,
    country: str,
    region: str | None = None,
    lang: str = "en",
    lang2: str | None = None,
    size: str | SheetSize = SheetSize.A4,
) -> SheetParams:
    """Validate raw parameters; a bad one raises InvalidValue naming its field."""
    cc = checked_country(country)
    rc = checked_region(cc, region)
    primary = _checked_language(lang, field="lang")
    secondary = _checked_language(lang2, field="lang2") if lang2 else None
    if secondary == primary:
        secondary = None
    try:
        sheet_size = SheetSize(size)
    except ValueError as exc:
        raise InvalidValue(P_("size must be 'a4' or 'pocket'"), field="size") from exc
    return SheetParams(country=cc, region=rc, lang=primary, lang2=secondary, size=sheet_size)


# ---- assembly ----------------------------------------------------------------------------


def _load_options() -> list[Any]:
    return [
        contains_eager(Office.organization),
        selectinload(Office.phones),
        selectinload(Office.languages),
    ]


def _printable(
    session: Session, conds: Sequence[ColumnElement[bool]], *, now: datetime, settings: Settings
) -> list[Office]:
    stmt = (
        select(Office)
        .join(Office.organization)
        .where(*conds, printable_offices_clause(now=now, settings=settings))
        .options(*_load_options())
    )
    return list(session.execute(stmt).scalars().unique())


def _origin(session: Session, params: SheetParams) -> tuple[float, float] | None:
    """The point 'nearest' is measured from: the centroid of the region's offices (or, for a
    national sheet, of the capital region's), using any non-confidential office's location."""
    region = params.region or CAPITALS.get(params.country, (None, ""))[0]
    if region is None:
        return None
    rows = session.execute(
        select(Office.latitude, Office.longitude)
        .join(Office.organization)
        .where(
            Office.country == params.country,
            Office.region == region,
            Office.latitude.is_not(None),
            Office.longitude.is_not(None),
            not_confidential(),
        )
    ).all()
    return centroid(located(rows))


def _missing_categories(params: SheetParams, placed: Iterable[tuple[str | None, str]]) -> list[str]:
    """The core categories with no printable office in the region (on a national sheet: among
    the nationwide offices), given the (region, category) of each printable office in scope."""
    if params.region:
        local = {category for region, category in placed if region == params.region}
    else:
        local = {category for _, category in placed}
    return [c.value for c in CORE_CATEGORIES if c.value not in local]


def _elsewhere(params: SheetParams, missing: Sequence[str]) -> list[ColumnElement[bool]]:
    """Where stand-ins for the missing categories come from: the country's other regions."""
    elsewhere: ColumnElement[bool] = Office.region.is_not(None)
    if params.region:
        elsewhere = and_(elsewhere, Office.region != params.region)
    return [Office.country == params.country, elsewhere, Organization.category.in_(missing)]


def _nearest_offices(
    session: Session,
    params: SheetParams,
    missing: Sequence[str],
    *,
    now: datetime,
    settings: Settings,
) -> list[tuple[Office, int | None]]:
    if not missing:
        return []
    candidates = _printable(session, _elsewhere(params, missing), now=now, settings=settings)
    origin = _origin(session, params)
    chosen: list[tuple[Office, int | None]] = []
    for category in missing:
        in_category = [o for o in candidates if o.organization.category == category]
        for office in rank_nearest(in_category, origin=origin)[:NEAREST_PER_CATEGORY]:
            distance = None
            if origin and office.latitude is not None and office.longitude is not None:
                distance = round(
                    haversine_km(origin[0], origin[1], office.latitude, office.longitude)
                )
            chosen.append((office, distance))
    return chosen


@lru_cache(maxsize=65536)
def _phone_display(e164: str) -> PhoneDisplay:
    """National and international forms (phonenumbers parsing is the slow part of assembly)."""
    return display(e164)


def _clean(value: str | None, blocked: Blocklist) -> str | None:
    return value if value and blocked.is_clean(value) else None


def _entry(
    office: Office,
    *,
    blocked: Blocklist,
    nearest: bool,
    distance_km: int | None,
    withheld: list[SheetNote],
) -> SheetEntry:
    org = office.organization
    assert office.id is not None
    name = _clean(org.name, blocked) or _clean(org.local_name, blocked)
    local_name = _clean(org.local_name, blocked)
    if local_name == name:
        local_name = None
    dropped = [
        label
        for label, value in (
            ("name", org.name),
            ("local name", org.local_name),
            ("office name", office.name),
            ("service name", office.service_name),
            ("address", office.address),
            ("address line 2", office.address_2),
            ("city", office.city),
            ("opening hours", office.opening_hours),
            *(("phone hours", p.hours) for p in office.phones),
        )
        if value and not blocked.is_clean(value)
    ]
    if dropped:
        withheld.append(
            SheetNote(
                office_id=office.id,
                name=org.name,
                category=org.category,
                region=office.region,
                reason="neutral_label" if name is None else "blocklisted_word",
                fields=tuple(dropped),
            )
        )
    address_2 = _clean(office.address_2, blocked)
    phones = []
    for phone in active_phones(office):
        shown = _phone_display(phone.number)
        phones.append(
            SheetPhone(
                e164=phone.number,
                national=shown.national,
                international=shown.international,
                kind=phone.kind,
                hours=_clean(phone.hours, blocked),
                is_24_7=phone.is_24_7,
                extension=phone.extension,
            )
        )
    verified = as_utc(office.last_verified_at)
    assert verified is not None  # printable offices are verified
    return SheetEntry(
        office_id=office.id,
        category=org.category,
        name=name,
        local_name=local_name,
        office_name=_clean(office.name, blocked),
        city=_clean(office.city, blocked),
        address=", ".join(filter(None, (_clean(office.address, blocked), address_2))) or None,
        opening_hours=_clean(office.opening_hours, blocked),
        languages=tuple(office.language_codes),
        phones=tuple(phones),
        meets_on_arrival=office.meets_on_arrival,
        region=office.region,
        nearest=nearest,
        verified_on=verified.date(),
        is_demo=org.is_demo,
        distance_km=distance_km,
        schedules=tuple(office.schedules or ()),
        service_name=_clean(office.service_name, blocked),
    )


def _order_key(entry: SheetEntry) -> tuple[int, int, str, int]:
    ranks = {c.value: i for i, c in enumerate(CATEGORY_ORDER)}
    category = ranks.get(entry.category, len(ranks))
    if entry.nearest:
        # Nearest stand-ins keep the order rank_nearest gave them (the sort is stable).
        return (category, 1, "", 0)
    # Regional first, then the nearest stand-ins (regional offices too), then nationwide.
    return (category, 2 if entry.nationwide else 0, fold(entry.name or ""), entry.office_id)


def _exclusions(
    session: Session, params: SheetParams, *, now: datetime, settings: Settings
) -> list[SheetNote]:
    stmt = (
        select(Office)
        .join(Office.organization)
        .where(*_scope(params))
        .options(contains_eager(Office.organization))
        .order_by(Organization.name, Office.id)
    )
    notes = []
    for office in session.execute(stmt).scalars().unique():
        reason = exclusion_reason(office, office.organization, now=now, settings=settings)
        if reason is None:
            continue
        assert office.id is not None
        verified = as_utc(office.last_verified_at)
        notes.append(
            SheetNote(
                office_id=office.id,
                name=office.organization.name + (f" — {office.name}" if office.name else ""),
                category=office.organization.category,
                region=office.region,
                reason=reason.value,
                last_verified_at=verified.date() if verified else None,
            )
        )
    return notes


def _scope(params: SheetParams) -> list[ColumnElement[bool]]:
    if params.region:
        return [
            Office.country == params.country,
            or_(Office.region == params.region, Office.region.is_(None)),
        ]
    return [Office.country == params.country, Office.region.is_(None)]


def assemble_sheet(
    session: Session,
    *,
    params: SheetParams,
    now: datetime,
    settings: Settings,
    with_notes: bool = False,
) -> SheetData:
    """Everything a sheet prints, from the database, with its snapshot id.

    `with_notes` adds the officer-only lists (left-out offices, withheld text).
    """
    blocked = blocklist(settings.sheet_blocklist_extra)
    offices = _printable(session, _scope(params), now=now, settings=settings)
    missing = _missing_categories(params, ((o.region, o.organization.category) for o in offices))
    withheld: list[SheetNote] = []
    entries = [
        _entry(o, blocked=blocked, nearest=False, distance_km=None, withheld=withheld)
        for o in offices
    ]
    for office, distance in _nearest_offices(session, params, missing, now=now, settings=settings):
        entries.append(
            _entry(office, blocked=blocked, nearest=True, distance_km=distance, withheld=withheld)
        )
    entries.sort(key=_order_key)
    present = {e.category for e in entries}
    frozen = tuple(entries)
    return SheetData(
        params=params,
        entries=frozen,
        snapshot_id=snapshot_id(params, frozen),
        missing_categories=tuple(c.value for c in CORE_CATEGORIES if c.value not in present),
        excluded=tuple(_exclusions(session, params, now=now, settings=settings))
        if with_notes
        else (),
        withheld=tuple(withheld) if with_notes else (),
    )


def _version_rows(
    session: Session, conds: Sequence[ColumnElement[bool]], *, now: datetime, settings: Settings
) -> list[tuple[Any, ...]]:
    """The printable offices under `conds` as plain rows (no ORM objects): id, region and
    category, and what changes whenever anything printed about them does, i.e. the office,
    organisation and phone versions and the verification time. One row per phone."""
    stmt = (
        select(
            Office.id,
            Office.region,
            Organization.category,
            Office.version,
            Organization.version,
            Office.last_verified_at,
            Phone.id,
            Phone.version,
        )
        .select_from(Office)
        .join(Organization, Organization.id == Office.organization_id)
        .outerjoin(Phone, Phone.office_id == Office.id)
        .where(*conds, printable_offices_clause(now=now, settings=settings))
        .order_by(Office.id, Phone.id)
    )
    return [tuple(row) for row in session.execute(stmt)]


def sheet_fingerprint(
    session: Session, *, params: SheetParams, now: datetime, settings: Settings
) -> str:
    """A hash of everything that decides what `assemble_sheet` returns, from one light query.

    It covers the parameters, the blocklist settings and the versions of every office on the
    sheet with its organisation and phones (edits bump them, directory writes go through
    the ORM) and its verification time; an office that closes, goes stale or becomes
    confidential leaves the rows. When a category is filled from elsewhere, the candidates
    of the other regions and the point distances are measured from are covered as well
    (two more queries). Equal fingerprints assemble to the same snapshot, which lets
    `render_sheet` serve a repeat without assembling it. In-process only: not printed.
    """
    rows = _version_rows(session, _scope(params), now=now, settings=settings)
    parts: list[Any] = [params, tuple(settings.sheet_blocklist_extra), rows]
    missing = _missing_categories(params, ((region, category) for _, region, category, *_ in rows))
    if missing:
        elsewhere = _version_rows(session, _elsewhere(params, missing), now=now, settings=settings)
        parts += [missing, _origin(session, params), elsewhere]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


# ---- rendering ---------------------------------------------------------------------------


def sheet_filename(params: SheetParams, fmt: SheetFormat, snapshot: str) -> str:
    scope = params.region or params.country
    langs = params.lang + (f"-{params.lang2}" if params.lang2 else "")
    return f"contacts-{scope}-{langs}-{params.size.value}-{snapshot}.{fmt.value}"


def render_data(
    data: SheetData, *, fmt: SheetFormat, print_date: date, settings: Settings
) -> bytes:
    """SheetData -> HTML or PDF bytes (no cache). Raises SheetRefused on a blocked word."""
    blocked = blocklist(settings.sheet_blocklist_extra)
    html = render.render_html(
        data, print_date=print_date, blocked=blocked, for_pdf=fmt is SheetFormat.PDF
    )
    if fmt is SheetFormat.HTML:
        return html.encode("utf-8")
    return pdf_render.html_to_pdf(html, data.params.size)


def render_sheet(
    session: Session,
    *,
    params: SheetParams,
    fmt: SheetFormat,
    now: datetime,
    settings: Settings,
) -> RenderedSheet:
    """The sheet for `params` as PDF or HTML, from the cache when the printed data and the
    print date are unchanged.

    A repeat costs the fingerprint query and a lookup: the snapshot id is remembered per
    fingerprint, so the sheet is only assembled when something that decides it changed."""
    cache = sheet_cache(settings.sheet_cache_size)
    fingerprint = sheet_fingerprint(session, params=params, now=now, settings=settings)
    snapshot = cache.snapshot_for(fingerprint)
    content = None
    if snapshot is not None:
        content = cache.get(CacheKey(snapshot, fmt.value, now.date()))
    cached = content is not None
    if content is None:
        data = assemble_sheet(session, params=params, now=now, settings=settings)
        snapshot = data.snapshot_id
        cache.remember(fingerprint, snapshot)
        key = CacheKey(snapshot_id=snapshot, format=fmt.value, print_date=now.date())
        # An edit that prints nothing new (an e-mail address) keeps the snapshot's bytes.
        content = cache.get(key)
        cached = content is not None
        if content is None:
            content = render_data(data, fmt=fmt, print_date=now.date(), settings=settings)
            cache.put(key, content)
    assert snapshot is not None
    return RenderedSheet(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        filename=sheet_filename(params, fmt, snapshot),
        snapshot_id=snapshot,
        cached=cached,
    )


def preview_sheet(
    session: Session, *, params: SheetParams, now: datetime, settings: Settings
) -> tuple[SheetData, str]:
    """The officer preview page (HTML): the sheet, plus what was left out and why."""
    data = assemble_sheet(session, params=params, now=now, settings=settings, with_notes=True)
    try:
        sheet_html: str | None = render.render_html(
            data, print_date=now.date(), blocked=blocklist(settings.sheet_blocklist_extra)
        )
        refused = None
    except SheetRefused as exc:
        # The officer still sees why: the preview is where a refused sheet gets fixed.
        sheet_html, refused = None, exc.message
    page = render.render_preview(
        data, sheet_html=sheet_html, refused=refused, print_date=now.date()
    )
    return data, page
