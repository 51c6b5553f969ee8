"""SheetData -> HTML (one Jinja2 environment, autoescaped); pdf_render.py makes the PDF.

Every output passes the discretion guard before it leaves: the visible text of the HTML and
every QR payload are checked against the blocklist, and a hit raises SheetRefused.
"""

from __future__ import annotations

import re
import unicodedata
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

from app.directory.enums import CATEGORY_ORDER, Category
from app.kit.i18n import P_
from app.kit.text import fold
from app.sheets.blocklist import Blocklist
from app.sheets.errors import SheetRefused
from app.sheets.i18n import N_, SheetLanguage, sheet_language
from app.sheets.opening_hours import schedule_lines
from app.sheets.qr import qr_png_data_uri, qr_ref, vcard
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
    # ASCII has no right-to-left letter: most of a sheet's text is decided without a lookup.
    return not text.isascii() and any(unicodedata.bidirectional(ch) in _RTL_BIDI for ch in text)


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
        "qr": ((qr_ref if for_pdf else qr_png_data_uri)(payload) if entry.phones else None),
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
