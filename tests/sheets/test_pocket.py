"""The demo's Lagos pocket card (issue 17): two A6 pages at most, nothing below the 8 pt
floor, no page left half empty by an entry that would not break, and every code scans."""

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
from app.sheets.render import FONT_SIZES, MIN_FONT_PT
from app.sheets.schemas import SheetFormat, SheetParams, SheetSize
from tests.directory.csv_samples import demo_subset

A6_HEIGHT_PT = 419.53
BOTTOM_MARGIN_PT = 11 / 25.4 * 72  # render.PAGE_SETUP's 11 mm


def _word_bottoms(pdf: Path) -> list[list[float]]:
    """Per page, the bottom edge (points from the top) of every word in the page area."""
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True
    ).stdout.decode()
    pages = html.split("<page ")[1:]
    limit = A6_HEIGHT_PT - BOTTOM_MARGIN_PT  # below it: the footer in the page margin
    return [
        [float(y) for y in re.findall(r'yMax="([\d.]+)"', page) if float(y) <= limit]
        for page in pages
    ]


def test_the_demo_lagos_pocket_card_fits_on_two_full_pages(
    db_session: Session, settings: Settings, tmp_path: Path
) -> None:
    seed_demo(db_session, path=demo_subset(tmp_path, ("NG",)))
    now = utcnow()
    params = SheetParams("NG", "NG-LA", "en", None, SheetSize.POCKET)
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
    bottoms = _word_bottoms(pdf)
    for page in bottoms[:-1]:
        assert max(page) > 0.8 * (A6_HEIGHT_PT - BOTTOM_MARGIN_PT)

    if shutil.which("zbarimg") is None:
        pytest.skip("zbar-tools is missing")
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(str(page) for page in tmp_path.glob("p-*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", *pages], capture_output=True, check=True)
    assert out.stdout.decode("utf-8").count("END:VCARD") == sum(1 for e in data.entries if e.phones)
