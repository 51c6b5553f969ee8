"""The PDF step (app/sheets/pdf_render.py): what it does for speed must not change a page.

* expat's tree (and the whitespace left out between blocks) prints the pages WeasyPrint's
  own HTML parser prints from the same HTML, pixel for pixel;
* HTML that expat refuses still prints, through WeasyPrint's parser;
* the codes it places into the finished pages are where, and what, the HTML sheet's PNG
  codes are when WeasyPrint lays that sheet out: the same pixels, read back by zxing-cpp
  in the same places, and the text does not move.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageChops

from app.sheets import pdf_render, render
from app.sheets.i18n import sheet_language
from app.sheets.qr import vcard
from app.sheets.render import display_name
from app.sheets.schemas import SheetSize
from tests.sheets.test_qr import FAX
from tests.sheets.test_render import PHONE, entry, html_of, page_images, sheet

ENTRIES = [
    entry(office_id=1, category="law_enforcement", name=None, office_name="Lagos desk"),
    entry(office_id=2, meets_on_arrival=True, opening_hours="Mon–Fri 08:00–17:00"),
    entry(office_id=3, nearest=True, region="NG-OG", distance_km=40, phones=()),
    entry(office_id=4, name="Ilé Ìrànlọ́wọ́ (demo)", phones=(PHONE, FAX), local_name="Ilé"),
    entry(office_id=5, category="lawyer", name="Legal Aid Council " * 4, nearest=True),
]
CASES = [("en", None, "a4"), ("ar", "en", "a4"), ("ar", "en", "pocket"), ("th", None, "pocket")]


def case_html(lang: str, lang2: str | None, size: str) -> tuple[SheetSize, str]:
    """A case's size, and its sheet of ENTRIES as rendered for a PDF."""
    sheet_size = SheetSize(size)
    data = sheet(*ENTRIES, lang=lang, lang2=lang2, size=sheet_size)
    return sheet_size, html_of(data, for_pdf=True)


def weasyprints_own_parse(html: str, size: SheetSize) -> bytes:
    """The same HTML through WeasyPrint's HTML parser, whitespace and all."""
    document = pdf_render.HTML(
        string=html, base_url=str(render.TEMPLATES_DIR), url_fetcher=pdf_render._FetchNothing()
    )
    pdf: bytes = document.write_pdf(
        stylesheets=[pdf_render.sheet_stylesheet(size)], finisher=pdf_render._draw_codes(size)
    )
    return pdf


@pytest.mark.parametrize(("lang", "lang2", "size"), CASES)
def test_expat_prints_the_pages_weasyprints_parser_prints(
    tmp_path: Path, lang: str, lang2: str | None, size: str
) -> None:
    sheet_size, html = case_html(lang, lang2, size)
    assert isinstance(pdf_render.sheet_document(html), pdf_render._ParsedSheet)
    ours = page_images(pdf_render.html_to_pdf(html, sheet_size), tmp_path / "expat")
    theirs = page_images(weasyprints_own_parse(html, sheet_size), tmp_path / "html5")
    assert ours and ours == theirs


def test_html_that_expat_refuses_prints_through_weasyprints_parser(tmp_path: Path) -> None:
    # A control character (a directory text could hold one) is not XML; an unclosed tag
    # is not either.
    for html in ("<p>Call \x0b now</p>", "<p>Call<br> now"):
        assert not isinstance(pdf_render.sheet_document(html), pdf_render._ParsedSheet)
        path = tmp_path / "refused.pdf"
        path.write_bytes(pdf_render.html_to_pdf(html, SheetSize.A4))
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        assert "now" in text.stdout.decode()


def words(pdf: bytes, path: Path) -> list[tuple[str, ...]]:
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True)
    return re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
        out.stdout.decode(),
    )


def codes(pdf: bytes, path: Path) -> list[tuple[int, str, int, int]]:
    """Every code zxing-cpp reads on the pages at 200 dpi: page, text, top-left corner."""
    page_images(pdf, path, dpi=200)
    found = []
    for page, png in enumerate(sorted(path.parent.glob(f"{path.name}-*.png"))):
        for code in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode):
            corner = code.position.top_left
            found.append((page, code.text, corner.x, corner.y))
    return sorted(found)


@pytest.mark.parametrize(("lang", "lang2", "size"), CASES)
def test_codes_are_placed_where_the_html_sheets_images_sit_and_nothing_else_moves(
    tmp_path: Path, lang: str, lang2: str | None, size: str
) -> None:
    sheet_size = SheetSize(size)
    data = sheet(*ENTRIES, lang=lang, lang2=lang2, size=sheet_size)
    placed_by_us = pdf_render.html_to_pdf(html_of(data, for_pdf=True), sheet_size)
    # The HTML sheet, printed: its codes are PNG images (WeasyPrint reads the data URIs).
    images = pdf_render.HTML(string=html_of(data)).write_pdf()
    coded = sum(1 for e in ENTRIES if e.phones)
    assert placed_by_us.count(b"/Subtype /Image") == images.count(b"/Subtype /Image") == coded
    # The same pages, but for poppler smoothing a one-bit image a shade differently from an
    # 8-bit one at 60 dpi (a few pixels inside a code, by at most 10 levels of 255).
    ours, html = (
        page_images(placed_by_us, tmp_path / "ours"),
        page_images(images, tmp_path / "html"),
    )
    assert len(ours) == len(html)
    for page in range(1, len(ours) + 1):
        ours_page, html_page = (Image.open(tmp_path / f"{n}-{page}.png") for n in ("ours", "html"))
        difference = ImageChops.difference(ours_page.convert("L"), html_page.convert("L"))
        assert difference.getextrema()[1] <= 16, page
    # The same words in the same places (to a hundredth of a point: the HTML sheet's second
    # link, around the number from abroad, rounds some of them differently).
    ours, theirs = words(placed_by_us, tmp_path / "v.pdf"), words(images, tmp_path / "i.pdf")
    assert [w[4] for w in ours] == [w[4] for w in theirs]
    for word, other in zip(ours, theirs, strict=True):
        assert all(
            abs(float(a) - float(b)) < 0.01 for a, b in zip(word[:4], other[:4], strict=True)
        ), word
    drawn, placed = codes(placed_by_us, tmp_path / "ours"), codes(images, tmp_path / "images")
    lang_ = sheet_language(lang)
    expected = sorted(
        vcard(e, display_name(e, lang_)).replace("\r\n", "\n") for e in ENTRIES if e.phones
    )
    assert sorted(text.replace("\r\n", "\n") for _, text, _, _ in drawn) == expected
    assert len(placed) == len(drawn)
    for (page, text, x, y), (page_i, text_i, x_i, y_i) in zip(drawn, placed, strict=True):
        assert (page, text) == (page_i, text_i)
        assert abs(x - x_i) <= 3 and abs(y - y_i) <= 3, (text, (x, y), (x_i, y_i))
