"""The demo's Lagos pocket card (issue 17), in every sheet language: two A6 pages at most,
nothing below the 8 pt floor, no page left half empty by an entry that would not break,
right-to-left where the language is, and every code scans."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.config import Settings
from app.kit.clock import utcnow
from app.loading.demo_seed import seed_demo
from app.sheets import service
from app.sheets.i18n import sheet_language, sheet_languages
from app.sheets.render import FONT_SIZES, MIN_FONT_PT
from app.sheets.schemas import SheetFormat, SheetParams, SheetSize
from tests.directory.csv_samples import demo_subset

A6_WIDTH_PT, A6_HEIGHT_PT = 297.64, 419.53
SIDE_MARGIN_PT = 6 / 25.4 * 72  # render.PAGE_SETUP's 6 mm
BOTTOM_MARGIN_PT = 11 / 25.4 * 72  # render.PAGE_SETUP's 11 mm
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">')


def _words(pdf: Path) -> list[list[tuple[float, float, float]]]:
    """Per page, (left, right, bottom) in points from the top left of every word in the
    page area (below it: the footer in the page margin)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    limit = A6_HEIGHT_PT - BOTTOM_MARGIN_PT
    return [
        [(float(x0), float(x1), float(y)) for x0, x1, y in _WORD.findall(page) if float(y) <= limit]
        for page in html.split("<page ")[1:]
    ]


@pytest.mark.parametrize("lang", sorted(sheet_languages()))
def test_the_demo_lagos_pocket_card_fits_on_two_full_pages(
    db_session: Session, settings: Settings, tmp_path: Path, lang: str
) -> None:
    seed_demo(db_session, path=demo_subset(tmp_path, ("NG",)))
    now = utcnow()
    params = SheetParams("NG", "NG-LA", lang, None, SheetSize.POCKET)
    data = service.assemble_sheet(db_session, params=params, now=now, settings=settings)
    assert len(data.entries) >= 7
    content = service.render_data(
        data, fmt=SheetFormat.PDF, print_date=now.date(), settings=settings
    )
    pdf = tmp_path / "lagos-pocket.pdf"
    pdf.write_bytes(content)

    assert len(PdfReader(io.BytesIO(content)).pages) <= 2
    assert min(FONT_SIZES[SheetSize.POCKET].values()) >= MIN_FONT_PT >= 8.0
    # Every page but the last is filled to within a fifth of its bottom: no entry kept
    # whole ("break-inside: avoid") leaves half a page blank before it.
    words = _words(pdf)
    for page in words[:-1]:
        assert max(bottom for _, _, bottom in page) > 0.8 * (A6_HEIGHT_PT - BOTTOM_MARGIN_PT)
    # Lines start at the reading side: the right margin in Arabic, the left one otherwise.
    edge = A6_WIDTH_PT - SIDE_MARGIN_PT
    if sheet_language(lang).direction == "rtl":
        assert sum(1 for _, right, _ in words[0] if right > edge - 10) >= 10
    else:
        assert sum(1 for left, _, _ in words[0] if left < SIDE_MARGIN_PT + 10) >= 10

    # `make system-deps` installs zbar-tools: without it the codes go unchecked, which fails.
    assert shutil.which("zbarimg"), "zbar-tools is missing (make system-deps installs it)"
    # Printed at 600 dpi, as test_qr does: at 300 dpi poppler smooths each 4.4-pixel module
    # into grey edges, and zbar then misses a code or two whatever the layout (it did so in
    # French, Romanian, Albanian, Thai, Ukrainian and Vietnamese before this card changed).
    subprocess.run(["pdftoppm", "-r", "600", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(str(page) for page in tmp_path.glob("p-*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", *pages], capture_output=True, check=True)
    assert out.stdout.decode("utf-8").count("END:VCARD") == sum(1 for e in data.entries if e.phones)
