"""SheetData -> HTML (one Jinja2 environment, autoescaped) -> PDF (WeasyPrint).

Every output passes the discretion guard before it leaves: the visible text of the HTML and
every QR payload are checked against the blocklist, and a hit raises SheetRefused.
"""

from __future__ import annotations

import base64
import gc
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.directory.enums import CATEGORY_ORDER, Category
from app.kit.i18n import P_
from app.kit.text import fold
from app.sheets.blocklist import Blocklist
from app.sheets.errors import SheetRefused
from app.sheets.i18n import N_, SheetLanguage, sheet_language
from app.sheets.opening_hours import schedule_lines
from app.sheets.qr import PNG_DATA_URI, QR_URI, payload_of, qr_png, qr_png_data_uri, qr_uri, vcard
from app.sheets.schemas import SheetData, SheetEntry, SheetSize

TEMPLATES_DIR = Path(__file__).parent / "templates"

# The one Jinja2 environment for sheets: autoescaped, strict about missing names.
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "css"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


_RTL_BIDI = {"R", "AL"}


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in _RTL_BIDI for ch in text)


def _needs_isolation(context: Context, text: str) -> bool:
    """Only sheets that mix directions need bidi isolation. The control characters make
    Pango run the bidi algorithm on every line, which costs a third of a PDF's layout."""
    lang = context.get("t")
    if isinstance(lang, SheetLanguage) and lang.direction == "rtl":
        return True
    if context.get("t2") is not None and context["t2"].direction == "rtl":
        return True
    return _has_rtl(text)


@pass_context
def isolate(context: Context, text: str) -> str:
    """Wrap directory text in a first-strong isolate, so "12 Example Street" keeps its own
    direction inside an Arabic sheet (Unicode bidi, honoured by browsers and by Pango)."""
    return f"\u2068{text}\u2069" if _needs_isolation(context, text) else text


@pass_context
def ltr(context: Context, text: str) -> str:
    """Phone numbers always read left to right ("+234 803…" must not become "…803 234+")."""
    return f"\u2066{text}\u2069" if _needs_isolation(context, text) else text


ENV.filters["isolate"] = isolate
ENV.filters["ltr"] = ltr

# Section headings: neutral wording (Rec. 42); police first and prominent (Rec. 45).
SECTION_HEADINGS: dict[str, str] = {
    Category.LAW_ENFORCEMENT: N_("Police — if you feel unsafe"),
    Category.NGO: N_("Support organisations"),
    Category.LAWYER: N_("Lawyers and legal aid"),
    Category.SOCIAL_WELFARE: N_("Social services"),
    Category.HELPLINE: N_("Helplines"),
    Category.INTERNATIONAL_ORG: N_("International organisations"),
}
# Printed instead of a name that would say more than it should (see service.py).
NEUTRAL_NAMES: dict[str, str] = {
    Category.LAW_ENFORCEMENT: N_("Police"),
    Category.NGO: N_("Support organisation"),
    Category.LAWYER: N_("Legal aid"),
    Category.SOCIAL_WELFARE: N_("Social services office"),
    Category.HELPLINE: N_("Helpline"),
    Category.INTERNATIONAL_ORG: N_("International organisation"),
}
PHONE_KINDS: dict[str, str] = {
    "hotline": N_("Hotline"),
    "mobile": N_("Mobile"),
    "whatsapp": N_("WhatsApp"),
    "sms": N_("SMS"),
    "fax": N_("Fax"),
}
PAGE_LABEL = N_("Page %(page)s of %(pages)s")

# Noto for Latin, Cyrillic and Greek, then Arabic and Thai (fonts-noto-core).
FONT_FAMILY = Markup(
    '"Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans Thai", "DejaVu Sans", '
    "sans-serif"
)
# Readability floor: nothing on a sheet is set smaller than this (points), pocket included.
MIN_FONT_PT = 8.0
FONT_SIZES: dict[SheetSize, dict[str, float]] = {
    SheetSize.A4: {"base": 10.5, "small": 9.0, "name": 12.5, "h1": 19.0, "h2": 13.5},
    SheetSize.POCKET: {"base": 8.0, "small": 8.0, "name": 9.0, "h1": 12.0, "h2": 9.5},
}
# A pocket card's lines are set tighter (1.1: the demo's Lagos card needs it in Vietnamese,
# whose stacked accents still clear the line above), so that a city's card fits on two A6
# pages; its dates of verification take CLDR's abbreviated month ("3 нояб. 2026 г.", not
# "3 ноября 2026 г."), which saves a wrapped line on most entries in Arabic, Thai, Russian.
PAGE_SETUP: dict[SheetSize, dict[str, str]] = {
    SheetSize.A4: {
        "size": "A4",
        "margin": "14mm 14mm 18mm 14mm",
        "qr": "24mm",
        "leading": "1.35",
        "dates": "long",
    },
    SheetSize.POCKET: {
        "size": "A6",
        "margin": "7mm 6mm 11mm 6mm",
        "qr": "17mm",
        "leading": "1.1",
        "dates": "medium",
    },
}


def css_string(text: str) -> Markup:
    """A quoted CSS string literal, safe inside <style> (no quote or tag can break out)."""
    out = ['"']
    for ch in text:
        if ch in '"\\<>&\n\r' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    out.append('"')
    return Markup("".join(out))


def page_counter_content(lang: SheetLanguage) -> Markup:
    """The translated "Page x of y" as CSS `content`, with WeasyPrint's page counters."""
    template = lang.gettext(PAGE_LABEL)
    parts: list[str] = []
    rest = template
    while rest:
        i_page, i_pages = rest.find("%(page)s"), rest.find("%(pages)s")
        hits = [(i, t) for i, t in ((i_page, "page"), (i_pages, "pages")) if i >= 0]
        if not hits:
            parts.append(css_string(rest))
            break
        index, name = min(hits)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append(f"counter({name})")
        rest = rest[index + len(f"%({name})s") :]
    return Markup(" ".join(parts))


@dataclass(frozen=True)
class Section:
    category: str
    entries: list[dict[str, Any]]


# Markup of our own template: attribute values are escaped, so no ">" hides inside a tag.
_MARKUP = re.compile(r"<(style|script)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)


def visible_texts(html: str) -> list[str]:
    """The text runs a reader sees: everything outside tags, <style> and <script>."""
    runs = _MARKUP.sub("\x00", html).split("\x00")
    return [unescape(run) for run in runs if run.strip()]


def visible_text(html: str) -> str:
    return " ".join(visible_texts(html))


def guard(texts: list[str], blocked: Blocklist) -> None:
    """Refuse to emit a sheet whose text contains a blocklisted word (Recommendation 42).

    Text runs are checked one by one (verdicts are memoised, so a repeat costs a lookup);
    a phrase cannot hide across runs, since every run ends at a tag boundary."""
    dirty = [text for text in texts if not blocked.is_clean(text)]
    if dirty:
        found = sorted({word for text in dirty for word in blocked.find(text)})
        raise SheetRefused(
            P_("the sheet would print a blocklisted word: %(words)s"),
            field="sheet",
            params={"words": ", ".join(found)},
        )


def display_name(entry: SheetEntry, lang: SheetLanguage) -> str:
    return entry.name or lang.gettext(NEUTRAL_NAMES.get(entry.category, N_("Support organisation")))


def address_line(address: str | None, city: str | None) -> str | None:
    """Address and city, without repeating a city the address already names."""
    if address and city and re.search(rf"(?<!\w){re.escape(fold(city))}(?!\w)", fold(address)):
        return address
    return ", ".join(part for part in (address, city) if part) or None


def _entry_context(
    entry: SheetEntry, data: SheetData, lang: SheetLanguage, *, for_pdf: bool
) -> dict[str, Any]:
    name = display_name(entry, lang)
    payload = vcard(entry, name)
    place = None
    if entry.nearest:
        place = lang.region(entry.region) or entry.city or lang.country(data.params.country)
    return {
        "e": entry,
        "name": name,
        "address": address_line(entry.address, entry.city),
        "qr_payload": payload,
        "qr": ((qr_uri if for_pdf else qr_png_data_uri)(payload) if entry.phones else None),
        "nearest_place": place,
        "distance": (
            format_decimal(entry.distance_km, locale=lang.code)
            if entry.distance_km is not None
            else None
        ),
        "languages": (
            format_list([lang.language(code) for code in entry.languages], locale=lang.code)
            if entry.languages
            else None
        ),
        "verified_on": lang.date(entry.verified_on, PAGE_SETUP[data.params.size]["dates"]),
        "hours": "; ".join(
            [*schedule_lines(entry.schedules, lang), *filter(None, [entry.opening_hours])]
        ),
    }


def sections(data: SheetData, lang: SheetLanguage, *, for_pdf: bool = False) -> list[Section]:
    order = {c.value: i for i, c in enumerate(CATEGORY_ORDER)}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for entry in data.entries:
        grouped.setdefault(entry.category, []).append(
            _entry_context(entry, data, lang, for_pdf=for_pdf)
        )
    return [
        Section(category=cat, entries=grouped[cat])
        for cat in sorted(grouped, key=lambda c: (order.get(c, len(order)), c))
    ]


def _place(data: SheetData, lang: SheetLanguage) -> str:
    """The place, "Region, Country", in the sheet's language.

    A region is named in the sheet's language where Unicode CLDR (or pycountry's ISO 3166-2
    catalog) has it; where neither has, the official ISO 3166-2 name prints (what signs
    and offices there use) rather than a guessed transliteration, isolated so that a Latin
    name keeps its place in a right-to-left title."""
    country = lang.country(data.params.country)
    region = lang.region(data.params.region)
    if region and lang.direction == "rtl" and not _has_rtl(region):
        region = f"\u2068{region}\u2069"
    if region:
        return lang.gettext("%(region)s, %(country)s", region=region, country=country)
    return country


def render_html(
    data: SheetData,
    *,
    print_date: date,
    blocked: Blocklist,
    for_pdf: bool = False,
) -> str:
    """The sheet as one self-contained HTML document (inline CSS and QR codes, no scripts)."""
    lang = sheet_language(data.params.lang)
    lang2 = sheet_language(data.params.lang2) if data.params.lang2 else None
    size = data.params.size
    body_sections = sections(data, lang, for_pdf=for_pdf)
    footer_text = " · ".join(
        [
            lang.gettext("Printed on %(date)s", date=lang.date(print_date)),
            lang.gettext("Reference %(id)s", id=data.snapshot_id),
        ]
    )
    context = {
        "data": data,
        "t": lang,
        "t2": lang2,
        "_": lang.gettext,
        "_2": lang2.gettext if lang2 else None,
        "headings": SECTION_HEADINGS,
        "phone_kinds": PHONE_KINDS,
        "sections": body_sections,
        "place": _place(data, lang),
        "place2": _place(data, lang2) if lang2 else None,
        "footer_text": footer_text,
        "fonts": FONT_SIZES[size],
        "page": PAGE_SETUP[size],
        "font_family": FONT_FAMILY,
        "size": size.value,
        "for_pdf": for_pdf,
        "page_counter": page_counter_content(lang),
        "css_string": css_string,
    }
    html = ENV.get_template("sheet.html").render(context)
    texts = [*visible_texts(html), footer_text]
    texts += [entry["qr_payload"] for section in body_sections for entry in section.entries]
    guard(texts, blocked)
    return html


class _ImageCache(dict[str, object]):
    """WeasyPrint's image cache, bounded: a QR code seen once (same contact, same numbers)
    is not decoded again on the next sheet."""

    max_entries = 4096

    def __setitem__(self, key: str, value: object) -> None:
        if len(self) >= self.max_entries:
            self.pop(next(iter(self)))
        super().__setitem__(key, value)


# Per thread: building a font configuration costs time, and sharing one (or the image
# cache) across threads is not documented as safe.
_local = threading.local()


# The longest sheet (in characters of HTML) rendered with the garbage collector paused. The
# render's garbage then stays until it ends: ~0.5 MB per KB of HTML (a 40-entry sheet is
# ~60 KB, so ~30 MB), which this bounds to ~75 MB; a longer sheet renders with it running.
COLLECTOR_PAUSE_MAX_HTML = 150_000


@contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while WeasyPrint builds a document.

    A render allocates a few hundred thousand objects that live until it ends, which
    triggers a full collection over the whole process heap (a server's or the CLI's,
    ~200,000 objects) in almost every render: a fifth of a sheet's CPU time. The render's
    garbage is collected as usual once the collector runs again. A render that finds it
    already paused (another thread's render) leaves it alone; the render that paused it
    resumes it, so it is never left off.
    """
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# WeasyPrint ships no type information, so its URLFetcher is Any to mypy.
class _InlineImages(URLFetcher):  # type: ignore[misc]
    """Fetches a sheet's QR codes straight from the URI, a `qr:` payload (a PDF's sheet) or
    a PNG data URI: urllib's opener, WeasyPrint's default, spent ~1 ms on each. A sheet is
    self-contained, so anything else is refused (WeasyPrint leaves the image out and logs
    it)."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith(QR_URI):
            image = qr_png(payload_of(url))
        elif url.startswith(PNG_DATA_URI):
            image = base64.b64decode(url[len(PNG_DATA_URI) :], validate=True)
        else:
            raise ValueError(f"a sheet fetches nothing but its own images, not {url[:60]!r}")
        return URLFetcherResponse(url, image, {"Content-Type": "image/png"})


def _thread_state() -> Any:
    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
        _local.images = _ImageCache()
        _local.stylesheets = {}
        _local.fetcher = _InlineImages()
    return _local


def sheet_stylesheet(size: SheetSize) -> CSS:
    """sheet.css for one size, parsed once per thread: it changes only with the size, and
    parsing and validating it again cost every PDF ~15 ms (the page margins' text, which
    changes with every sheet, stays in the document: sheet-margins.css)."""
    state = _thread_state()
    if size not in state.stylesheets:
        text = ENV.get_template("sheet.css").render(
            fonts=FONT_SIZES[size], page=PAGE_SETUP[size], font_family=FONT_FAMILY
        )
        state.stylesheets[size] = CSS(
            string=text, base_url=str(TEMPLATES_DIR), font_config=state.font_config
        )
    stylesheet: CSS = state.stylesheets[size]
    return stylesheet


def html_to_pdf(html: str, size: SheetSize) -> bytes:
    """A sheet rendered `for_pdf` (which carries only its margins' style) as PDF, with
    sheet.css for its size; fonts (Noto, via fontconfig) are subset and embedded."""
    state = _thread_state()
    with _collector_paused(len(html) <= COLLECTOR_PAUSE_MAX_HTML):
        document = HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=state.fetcher)
        pdf = document.write_pdf(
            stylesheets=[sheet_stylesheet(size)], font_config=state.font_config, cache=state.images
        )
    assert pdf is not None
    return bytes(pdf)


def render_preview(
    data: SheetData, *, sheet_html: str | None, refused: str | None, print_date: date
) -> str:
    """The officer preview: what will print, and what was left out and why (never printed)."""
    lang = sheet_language(data.params.lang)
    return ENV.get_template("preview.html").render(
        data=data,
        sheet_html=sheet_html,
        refused=refused,
        place=_place(data, sheet_language("en")),
        print_date=print_date,
        # One date style, Babel's, as on the sheet (the preview itself is in English).
        date=sheet_language("en").date,
        display_name=lambda entry: display_name(entry, lang),
    )
