"""The sheet's QR codes: the same symbols and PNGs as segno (the reference), much faster, and
readable by a real decoder."""

from __future__ import annotations

import base64
import io
import random
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import segno
from PIL import Image
from segno import consts

from app.sheets import qr_symbol
from app.sheets.blocklist import blocklist
from app.sheets.i18n import sheet_language
from app.sheets.qr import PNG_DATA_URI, png, qr_png_data_uri, vcard
from app.sheets.qr_symbol import PayloadTooLong, alignment_positions, encode
from app.sheets.render import display_name, html_to_pdf, render_html
from app.sheets.schemas import SheetSize
from tests.sheets.test_render import PHONE, entry, sheet

FAX = replace(PHONE, e164="+2348031234568", kind="fax")

ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCDEF0123456789;,:\\éçПолицияالشرطةตำรวจọ́+"


def vcard_like(rnd: random.Random, longest: int) -> str:
    text = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, longest)))
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{text}\r\nEND:VCARD"


def reference(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False)


def rows_of(code: segno.QRCode) -> tuple[str, ...]:
    return tuple("".join(map(str, row)) for row in code.matrix)


def test_alignment_patterns_sit_where_the_standard_puts_them() -> None:
    for version in range(2, 41):
        assert alignment_positions(version) == tuple(consts.ALIGNMENT_POS[version - 2])
    assert alignment_positions(1) == ()


def test_block_structure_matches_the_standard_table() -> None:
    levels = {"M": consts.ERROR_LEVEL_M, "Q": consts.ERROR_LEVEL_Q, "H": consts.ERROR_LEVEL_H}
    for name, level in levels.items():
        for version in range(1, 41):
            ecc, blocks1, data1, blocks2, data2 = qr_symbol._BLOCKS[name][version - 1]
            expected = [(e.num_blocks, e.num_total, e.num_data) for e in consts.ECC[version][level]]
            ours = [(blocks1, data1 + ecc, data1)] + (
                [(blocks2, data2 + ecc, data2)] * bool(blocks2)
            )
            assert ours == expected, (name, version)


@pytest.mark.parametrize("longest", [20, 120, 400, 1200])
def test_symbols_are_segnos_module_for_module(longest: int) -> None:
    """Versions 1-40, levels M/Q/H, Latin-1, Shift JIS and UTF-8 payloads, every mask."""
    rnd = random.Random(longest)
    seen_masks, seen_levels = set(), set()
    for _ in range(60 if longest < 1000 else 12):
        payload = vcard_like(rnd, longest)
        ours, theirs = encode(payload), reference(payload)
        assert (ours.version, ours.level, ours.mask) == (
            theirs.version,
            theirs.error,
            theirs.mask,
        ), payload
        assert ours.rows == rows_of(theirs), payload
        seen_masks.add(ours.mask)
        seen_levels.add(ours.level)
    if longest == 120:
        assert len(seen_masks) >= 6 and {"M", "Q"} <= seen_levels


def test_a_stream_that_ends_on_a_byte_boundary_is_padded_as_segno_pads_it() -> None:
    # 4 + 8 + 8n bits + 4 terminator bits end on a byte boundary for every n (version < 10).
    for size in (10, 11, 40, 104, 105):
        payload = "BEGIN:VCARD\r\n" + "x" * size
        assert encode(payload).rows == rows_of(reference(payload))


def test_every_level_and_version_boundary_matches() -> None:
    for version in (1, 9, 10, 26, 27, 40):
        for level in ("M", "Q", "H"):
            capacity = qr_symbol._data_codewords(version, level) * 8
            size = (capacity - 4 - (8 if version < 10 else 16)) // 8
            payload = "\r\n" + "y" * (size - 2)
            ours, theirs = encode(payload), reference(payload)
            assert (ours.version, ours.level) == (theirs.version, theirs.error)
            assert ours.rows == rows_of(theirs)


def test_a_payload_too_long_for_any_symbol_is_refused() -> None:
    with pytest.raises(PayloadTooLong):
        encode("\r\n" + "z" * 2400)


def test_a_code_costs_a_fraction_of_what_segno_spends() -> None:
    """The point of qr_symbol: a fresh 40-entry sheet draws 40 codes (CPU time, so a busy
    machine does not decide)."""
    rnd = random.Random(3)
    payloads = [vcard_like(rnd, 90) for _ in range(20)]
    start = time.process_time()
    for payload in payloads:
        reference(payload)
    theirs = time.process_time() - start
    start = time.process_time()
    for payload in payloads:
        encode(payload)
    ours = time.process_time() - start
    assert ours * 5 < theirs, (ours, theirs)


def pixels(data_uri: str) -> list[int]:
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.removeprefix(PNG_DATA_URI))))
    return list(image.convert("L").tobytes())


def test_png_has_segnos_pixels_in_a_greyscale_image() -> None:
    """The same image segno draws (black on white, a two-module quiet zone), but 8-bit
    greyscale, which WeasyPrint embeds without converting it to RGB first."""
    rnd = random.Random(7)
    for _ in range(25):
        payload = vcard_like(rnd, 200)
        ours = qr_png_data_uri(payload)
        theirs = reference(payload).png_data_uri(scale=1, border=2, dark="#000", light="#fff")
        assert pixels(ours) == pixels(theirs)
        image = Image.open(io.BytesIO(base64.b64decode(ours.removeprefix(PNG_DATA_URI))))
        assert image.mode == "L"


def test_png_is_eight_bit_greyscale_with_the_quiet_zone() -> None:
    image = png(("101", "010", "111"), border=2)
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert image[16:26] == b"\x00\x00\x00\x07\x00\x00\x00\x07\x08\x00"  # 7x7, 8 bits, grey
    decoded = Image.open(io.BytesIO(image))
    assert decoded.getpixel((2, 2)) == 0 and decoded.getpixel((3, 2)) == 255
    assert decoded.getpixel((0, 0)) == 255 and decoded.getpixel((6, 6)) == 255


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools is not installed")
def test_every_code_on_a_printed_sheet_scans_back_to_its_vcard(tmp_path: Path) -> None:
    """A pocket sheet (the smallest codes), Arabic (an RTL page, a UTF-8 payload), printed
    at 600 dpi and read by zbar."""
    entries = [
        entry(office_id=1, name="Example Support Centre (demo)"),
        entry(office_id=2, name=None, category="law_enforcement"),  # the Arabic label
        entry(office_id=3, name="Ilé Ìrànlọ́wọ́ (demo)", phones=(PHONE, FAX)),
    ]
    data = sheet(*entries, lang="ar", size=SheetSize.POCKET)
    html = render_html(data, print_date=date(2026, 12, 3), blocked=blocklist(), for_pdf=True)
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(html_to_pdf(html, SheetSize.POCKET))
    subprocess.run(["pdftoppm", "-r", "600", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(str(page) for page in tmp_path.glob("page-*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", *pages], capture_output=True, check=True)
    scanned = out.stdout.decode("utf-8").replace("\r\n", "\n").strip("\n").split("\nEND:VCARD")
    lang = sheet_language("ar")
    expected = {vcard(e, display_name(e, lang)).replace("\r\n", "\n") for e in entries}
    assert {card.strip("\n") + "\nEND:VCARD" for card in scanned if card.strip()} == expected
    assert any("الشرطة" in card for card in expected)
