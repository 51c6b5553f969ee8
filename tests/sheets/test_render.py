"""HTML rendering from SheetData, without a database (and the PDF step's collector pause)."""

from __future__ import annotations

import gc
import io
import re
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from app.sheets import pdf_render, render
from app.sheets.blocklist import blocklist
from app.sheets.errors import SheetRefused
from app.sheets.qr import png, qr_png_data_uri, qr_symbol, vcard
from app.sheets.render import (
    FONT_SIZES,
    MIN_FONT_PT,
    address_line,
    css_string,
    render_html,
    visible_text,
)
from app.sheets.schemas import SheetData, SheetEntry, SheetParams, SheetPhone, SheetSize
from app.sheets.snapshot import snapshot_id

PHONE = SheetPhone(
    e164="+2348031234567",
    national="0803 123 4567",
    international="+234 803 123 4567",
    kind="voice",
    hours=None,
    is_24_7=False,
)


def entry(**overrides: object) -> SheetEntry:
    values: dict[str, object] = {
        "office_id": 1,
        "category": "ngo",
        "name": "Example Support Centre (demo)",
        "local_name": None,
        "office_name": None,
        "city": "Lagos",
        "address": "12 Example Street",
        "opening_hours": None,
        "languages": ("en", "yo"),
        "phones": (PHONE,),
        "meets_on_arrival": False,
        "region": "NG-LA",
        "nearest": False,
        "verified_on": date(2026, 11, 2),
        "is_demo": False,
    }
    values.update(overrides)
    return SheetEntry(**values)  # type: ignore[arg-type]


def sheet(*entries: SheetEntry, lang: str = "en", lang2: str | None = None, size=SheetSize.A4):
    params = SheetParams("NG", "NG-LA", lang, lang2, size)
    return SheetData(params=params, entries=entries, snapshot_id=snapshot_id(params, entries))


def html_of(data: SheetData, **kwargs: object) -> str:
    return render_html(data, print_date=date(2026, 11, 29), blocked=blocklist(), **kwargs)


def test_html_is_self_contained_with_a_print_stylesheet() -> None:
    html = html_of(sheet(entry()))
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "url(" not in html
    assert "@media print" in html and "@page" in html
    srcs = re.findall(r'<img class="qr" src="([^"]+)"', html)
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,")


def test_each_phone_links_tel_and_shows_both_formats() -> None:
    html = html_of(sheet(entry()))
    assert html.count('href="tel:+2348031234567"') == 2
    text = visible_text(html)
    assert "0803 123 4567" in text and "+234 803 123 4567" in text
    assert "Verified on November 2, 2026" in text
    assert "Languages: English and Yoruba" in text


def test_arabic_sheet_is_right_to_left_and_bilingual_lines_carry_their_language() -> None:
    html = html_of(sheet(entry(), lang="ar", lang2="en"))
    assert '<html lang="ar" dir="rtl">' in html
    assert '<span class="l2" lang="en" dir="ltr">' in html


def test_directory_text_is_escaped() -> None:
    html = html_of(sheet(entry(name="<script>alert(1)</script> Centre", address='"><img src=x>')))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x>" not in html


def test_css_strings_cannot_break_out_of_the_style_element() -> None:
    literal = str(css_string('Printed "x" </style><script>'))
    assert literal.startswith('"') and literal.endswith('"')
    assert '"' not in literal[1:-1] and "<" not in literal


def test_guard_refuses_an_offending_name_that_reached_the_template() -> None:
    with pytest.raises(SheetRefused) as refused:
        html_of(sheet(entry(name="Anti-Trafficking Unit", category="law_enforcement")))
    assert "trafficking" in refused.value.message


def test_neutral_label_prints_when_no_name_is_safe() -> None:
    text = visible_text(html_of(sheet(entry(name=None, category="law_enforcement"), lang="fr")))
    assert "Police — si vous ne vous sentez pas en sécurité" in text
    assert re.search(r"\bPolice\b", text.replace("Police —", ""))


def test_demo_data_is_marked_and_nearest_entries_say_where_they_are() -> None:
    data = sheet(entry(is_demo=True, nearest=True, region="NG-OG", distance_km=1234))
    text = visible_text(html_of(data, for_pdf=False))
    assert "DEMO — fictional numbers, do not call" in text
    assert "Nearest office in this category — Ogun, about 1,234 km away" in text
    fr = visible_text(html_of(replace(data, params=replace(data.params, lang="fr"))))
    assert "à environ 1\u202f234 km" in fr


def test_print_date_is_printed_but_not_part_of_the_snapshot() -> None:
    data = sheet(entry())
    one = render_html(data, print_date=date(2026, 11, 29), blocked=blocklist())
    two = render_html(data, print_date=date(2026, 12, 1), blocked=blocklist())
    assert "Printed on November 29, 2026" in one and "Printed on December 1, 2026" in two
    assert f"Reference {data.snapshot_id}" in one and f"Reference {data.snapshot_id}" in two


def test_vcard_saves_the_printed_name_and_numbers() -> None:
    card = vcard(entry(phones=(PHONE, replace(PHONE, e164="+2348031234568", kind="fax"))), "X; Y")
    assert card.splitlines() == [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:X\\; Y",
        "TEL;TYPE=VOICE:+2348031234567",
        "TEL;TYPE=FAX:+2348031234568",
        "END:VCARD",
    ]


@pytest.mark.parametrize("size", list(SheetSize))
def test_no_text_is_set_below_the_readability_floor(size: SheetSize) -> None:
    assert min(FONT_SIZES[size].values()) >= MIN_FONT_PT
    html = html_of(sheet(entry(), size=size))
    declared = re.findall(r"font-size:\s*([^;}]+)", html)
    # Every size is in points, so the floor can be checked (no em or % that could shrink).
    assert declared and all(v.strip().endswith("pt") for v in declared), declared
    assert min(float(v.strip()[:-2]) for v in declared) >= MIN_FONT_PT
    page = "A6" if size is SheetSize.POCKET else "A4"
    assert f"size: {page};" in html


@pytest.mark.parametrize(
    ("address", "city", "line"),
    [
        ("12 Example Street, Ikeja", "Lagos", "12 Example Street, Ikeja, Lagos"),
        ("12 Example Street, Lagos", "Lagos", "12 Example Street, Lagos"),
        ("Rruga e Durrësit 5, TIRANË", "Tiranë", "Rruga e Durrësit 5, TIRANË"),
        ("5 Lagosian Way", "Lagos", "5 Lagosian Way, Lagos"),
        (None, "Lagos", "Lagos"),
        (None, None, None),
    ],
)
def test_address_line_does_not_repeat_the_city(
    address: str | None, city: str | None, line: str | None
) -> None:
    assert address_line(address, city) == line


def test_a_pdf_render_pauses_the_collector_and_always_resumes_it() -> None:
    seen: list[bool] = []
    failing = False
    write_pdf = pdf_render.HTML.write_pdf

    def spy(self: Any, *args: Any, **kwargs: Any) -> bytes:
        seen.append(gc.isenabled())
        if failing:
            raise RuntimeError("layout failed")
        return write_pdf(self, *args, **kwargs)  # type: ignore[no-any-return]

    small = "<p>Hello</p>"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_render.HTML, "write_pdf", spy)
        assert pdf_render.html_to_pdf(small, SheetSize.A4).startswith(b"%PDF")
        assert gc.isenabled()
        long = "<p>" + "x" * pdf_render.COLLECTOR_PAUSE_MAX_HTML + "</p>"
        pdf_render.html_to_pdf(long, SheetSize.A4)
        failing = True
        with pytest.raises(RuntimeError):
            pdf_render.html_to_pdf(small, SheetSize.A4)
        assert gc.isenabled()
        # A collector another render paused is left paused.
        failing = False
        gc.disable()
        try:
            pdf_render.html_to_pdf(small, SheetSize.A4)
            assert not gc.isenabled()
        finally:
            gc.enable()
    # Paused for a sheet, running for a very long one.
    assert seen == [False, True, False, False]


def test_a_pdf_gets_the_stylesheet_parsed_once_per_size() -> None:
    html = html_of(sheet(entry(), size=SheetSize.POCKET), for_pdf=True)
    assert ".coded" not in html and "@bottom-left" in html  # only the margins' style
    # Its QR codes are named by payload, drawn into the page: no image, no base64.
    assert 'data-qr="BEGIN%3AVCARD' in html and "base64" not in html and "<img" not in html
    stylesheet = pdf_render.sheet_stylesheet
    assert stylesheet(SheetSize.POCKET) is stylesheet(SheetSize.POCKET)
    assert stylesheet(SheetSize.A4) is not stylesheet(SheetSize.POCKET)
    pdf = PdfReader(io.BytesIO(pdf_render.html_to_pdf(html, SheetSize.POCKET)))
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (298, 420)  # A6, from it


def test_a_sheets_pdf_fetches_nothing(tmp_path: Path) -> None:
    fetcher = pdf_render._FetchNothing()
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(qr_symbol("a file on the server")))
    code = qr_png_data_uri("BEGIN:VCARD\r\nFN:x\r\nEND:VCARD")
    for url in (secret.as_uri(), "http://127.0.0.1:9/x.png", code, "data:text/html,<b>x</b>"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    # In a document, such an image is left out; the page still prints.
    html = f'<p>x</p><img src="{secret.as_uri()}"/><img src="{code}"/>'
    pdf = pdf_render.html_to_pdf(html, SheetSize.A4)
    assert pdf.startswith(b"%PDF") and b"/Subtype /Image" not in pdf


def page_images(pdf: bytes, path: Path, dpi: int = 60) -> list[bytes]:
    """The PDF's pages as RGB pixels, rendered by poppler."""
    path.with_suffix(".pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(path.with_suffix(".pdf")), str(path)],
        check=True,
    )
    return [
        Image.open(page).convert("RGB").tobytes()
        for page in sorted(path.parent.glob(f"{path.name}-*.png"))
    ]


@pytest.mark.parametrize(("lang", "lang2", "size"), [("en", None, "a4"), ("ar", "en", "pocket")])
def test_the_parsed_stylesheet_prints_what_the_inline_one_printed(
    tmp_path: Path, lang: str, lang2: str | None, size: str
) -> None:
    """sheet.css comes to a PDF parsed, as a user stylesheet; the pages must be those of the
    same CSS inline in the document (as every PDF was made before)."""
    sheet_size = SheetSize(size)
    entries = [
        entry(office_id=1, category="law_enforcement", name=None),
        entry(office_id=2, meets_on_arrival=True, opening_hours="Mon–Fri 08:00–17:00"),
        entry(office_id=3, nearest=True, region="NG-OG", distance_km=40, phones=()),
    ]
    html = html_of(sheet(*entries, lang=lang, lang2=lang2, size=sheet_size), for_pdf=True)
    css = render.ENV.get_template("sheet.css").render(
        fonts=FONT_SIZES[sheet_size],
        page=render.PAGE_SETUP[sheet_size],
        font_family=render.FONT_FAMILY,
    )
    inline = html.replace("<style>", "<style>\n" + css, 1)
    parsed = pdf_render.html_to_pdf(html, sheet_size)
    in_document = pdf_render.HTML(
        string=inline, base_url=str(render.TEMPLATES_DIR), url_fetcher=pdf_render._FetchNothing()
    ).write_pdf(finisher=pdf_render._draw_codes(sheet_size))
    pages = page_images(parsed, tmp_path / "parsed")
    assert pages and pages == page_images(in_document, tmp_path / "inline")


def test_the_title_names_the_region_in_the_sheets_script_where_a_name_exists() -> None:
    # Unicode CLDR's subdivision names (issue 17: Lagos was in Latin script in Arabic).
    assert "รัฐเลกอส" in visible_text(html_of(sheet(entry(), lang="th")))
    assert "Лагос, Нігерія" in visible_text(html_of(sheet(entry(), lang="uk")))
    arabic = visible_text(html_of(sheet(entry(), lang="ar")))
    assert "ولاية لاغوس، نيجيريا" in arabic
    assert "Lagos," not in arabic
    # Where neither CLDR nor pycountry has an Arabic name, the official name prints,
    # isolated in the right-to-left title.
    params = SheetParams("GB", "GB-AGB", "ar", None)
    argyll = SheetData(params=params, entries=(entry(),), snapshot_id=snapshot_id(params, ()))
    assert "\u2068Argyll and Bute\u2069، المملكة المتحدة" in visible_text(html_of(argyll))


def test_the_preview_writes_dates_in_the_sheets_style() -> None:
    page = render.render_preview(
        sheet(entry()), sheet_html="", refused=None, print_date=date(2026, 11, 29)
    )
    assert "previewed November 29, 2026" in page
    assert "<td>November 2, 2026</td>" in page
    assert "2026-11-02" not in page
