"""The sheet's QR codes: libqrencode's symbols at level M, UTF-8 with its ECI designator, as
8-bit greyscale PNGs, and every one reads back (zbar and zxing-cpp) to exactly the vCard it
holds: on its own, and printed on a sheet."""

from __future__ import annotations

import base64
import io
import random
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from app.sheets import qr
from app.sheets.blocklist import blocklist
from app.sheets.i18n import sheet_language
from app.sheets.pdf_render import html_to_pdf
from app.sheets.qr import PNG_DATA_URI, QUIET_ZONE, png, qr_png_data_uri, qr_symbol, vcard
from app.sheets.render import display_name, render_html
from app.sheets.schemas import SheetSize
from tests.sheets.test_render import PHONE, entry, sheet

FAX = replace(PHONE, e164="+2348031234568", kind="fax")

ALPHABET = "abcdefghijklmnopqrstuvwxyz ABCDEF0123456789;,:\\éçПолицияالشرطةตำรวจọ́+"
# Names a directory holds, in the scripts of the sheet's languages and the regions' own.
NAMES = [
    "Policía Nacional",
    "Café Solidaire",
    "مركز الشرطة — لاغوس",
    "منظمة دعم",
    "Полиция Лагоса",
    "Поліція",
    "สถานีตำรวจ",
    "Trạm cảnh sát",
    "Ilé Ìrànlọ́wọ́",
    "Qendra e Policisë",
    "警察",
    "Plain Name 24/7",
]


def vcard_like(rnd: random.Random, longest: int) -> str:
    text = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(1, longest)))
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{text}\r\nEND:VCARD"


def image_of(data_uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data_uri.removeprefix(PNG_DATA_URI))))


def zbar(path: Path, *options: str) -> str:
    out = subprocess.run(["zbarimg", "--quiet", "--raw", *options, str(path)], capture_output=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.decode("utf-8").rstrip("\n")


def test_the_symbol_is_a_qr_code_at_level_m() -> None:
    for payload in ("BEGIN:VCARD\r\nFN:x\r\nEND:VCARD", "BEGIN:VCARD\r\nFN:" + "x" * 120):
        code = image_of(qr_png_data_uri(payload))
        read = zxingcpp.read_barcode(code.resize((code.width * 4, code.height * 4)))
        assert read is not None
        assert (read.format, read.ec_level, read.text) == (
            zxingcpp.BarcodeFormat.QRCode,
            "M",
            payload,
        )
        symbol = qr_symbol(payload)
        assert symbol.width == 17 + 4 * symbol.version


def test_png_is_the_symbol_in_an_eight_bit_greyscale_image() -> None:
    """The symbol's modules, black on white, in a two-module quiet zone, 8-bit greyscale
    (which WeasyPrint embeds without converting it to RGB first), and it reads back."""
    rnd = random.Random(7)
    for _ in range(25):
        payload = vcard_like(rnd, 200)
        ours = image_of(qr_png_data_uri(payload))
        symbol = qr_symbol(payload)
        size = symbol.width
        assert ours.mode == "L"
        assert ours.size == (size + 2 * QUIET_ZONE, size + 2 * QUIET_ZONE)
        inner = (QUIET_ZONE, QUIET_ZONE, QUIET_ZONE + size, QUIET_ZONE + size)
        assert ours.crop(inner).tobytes() == bytes(255 * (1 - m) for m in symbol.modules)
        assert set(ours.tobytes()) == {0, 255}
        ring = ours.copy()
        ring.paste(255, inner)
        assert set(ring.tobytes()) == {255}
        read = zxingcpp.read_barcode(ours.resize((ours.width * 4, ours.height * 4)))
        assert read is not None and (read.text, read.ec_level) == (payload, "M")


@pytest.mark.parametrize("name", NAMES)
def test_a_name_in_any_script_reads_back_as_printed(tmp_path: Path, name: str) -> None:
    """UTF-8 with its designator: zbar, which guesses a charset where a code names none (it
    read an accented Latin name as Big5, an Arabic one in windows-1256 as Latin-1), and
    zxing-cpp both read the name as printed, and the number."""
    payload = vcard(entry(name=name, phones=(PHONE, FAX)), name)
    code = image_of(qr_png_data_uri(payload))
    code = code.resize((code.width * 8, code.height * 8), Image.Resampling.NEAREST)
    path = tmp_path / "code.png"
    code.save(path)
    assert zbar(path) == payload
    read = zxingcpp.read_barcode(code)
    assert read is not None and read.text == payload


def test_digits_are_a_numeric_segment_and_the_rest_bytes() -> None:
    """A run of eight digits or more (a number) takes a third of the bits it would as bytes:
    34 digits fit the smallest symbol at level M, 34 letters do not."""
    assert qr_symbol("1" * 34).version == 1
    assert qr_symbol("x" * 34).version == 3
    assert qr_symbol("TEL:+" + "1" * 34).version == 2  # a segment of bytes, then digits
    # Shorter runs stay bytes (a segment header would cost more than it saves).
    assert qr_symbol("1234567,1234567").version == qr_symbol("abcdefg,abcdefg").version


def test_a_payload_too_long_for_any_code_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        qr_symbol("x" * 3000)


def test_codes_of_every_size_scan_back_to_their_payload(tmp_path: Path) -> None:
    """With the mask fixed, codes of many lengths and scripts still read back exactly."""
    rnd = random.Random(11)
    payloads = [vcard_like(rnd, longest) for longest in (5, 40, 120, 300, 600) for _ in range(4)]
    for i, payload in enumerate(payloads):
        image = Image.open(io.BytesIO(png(qr_symbol(payload))))
        path = tmp_path / f"code-{i}.png"
        image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST).save(path)
        # -Sbinary: the symbol's bytes as they are, UTF-8.
        assert zbar(path, "-Sbinary") == payload, payload


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


def test_without_libqrencode_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(qr.ctypes.util, "find_library", lambda name: "libqrencode-missing.so")
    qr._libqrencode.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="install Debian's libqrencode4"):
            qr_symbol("x")
    finally:
        monkeypatch.undo()
        qr._libqrencode.cache_clear()
    assert qr_symbol("x").version == 1


def test_a_codes_number_dials_its_extension_after_a_pause(tmp_path: Path) -> None:
    """A phone's contacts keep "," (a pause): the dialler sends the extension once the call
    is answered. An extension no phone can dial stays on the printed line only."""
    phones = (replace(PHONE, extension="12 34"), replace(FAX, extension="ask for Ada"))
    payload = vcard(entry(phones=phones), "Example Support Centre")
    assert f"TEL;TYPE=VOICE:{PHONE.e164},1234\r\n" in payload
    assert f"TEL;TYPE=FAX:{FAX.e164}\r\n" in payload
    code = image_of(qr_png_data_uri(payload))
    path = tmp_path / "code.png"
    code.resize((code.width * 8, code.height * 8), Image.Resampling.NEAREST).save(path)
    assert zbar(path) == payload
