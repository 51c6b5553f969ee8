"""QR codes (zxing-cpp) that save a contact: a vCard 3.0. An HTML sheet embeds each as an
inline PNG data URI, so it needs no network; a PDF draws each as a vector path (qr_path,
drawn by app/sheets/pdf.py), never as an image.

A PNG rather than SVG in HTML: a one-pixel-per-module PNG scaled with `image-rendering:
pixelated` prints just as crisp, in a few hundred bytes. The PNG is 8-bit greyscale (Pillow).

zxing-cpp's encoder is C++ (its mask search too): ~0.45 ms of CPU a symbol where segno, in
Python, took ~1.25 ms with its mask fixed. It also splits a payload into numeric,
alphanumeric and byte segments, so a vCard's digits take less room and half the codes come
out one version smaller (larger modules at the same printed size)."""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from urllib.parse import quote, unquote

import zxingcpp
from PIL import Image

from app.sheets.schemas import SheetEntry

QUIET_ZONE = 2  # modules of white around the code
EC_LEVEL = "M"  # 15% of the symbol may be lost
PNG_DATA_URI = "data:image/png;base64,"


def _escape(value: str) -> str:
    """vCard 3.0 text escaping (RFC 2426 §5)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard(entry: SheetEntry, display_name: str) -> str:
    """The contact as a vCard: the printed name and its numbers (E.164), kept short so the
    code stays scannable at pocket size."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(display_name)}"]
    for phone in entry.phones:
        kind = "CELL" if phone.kind in {"mobile", "whatsapp", "sms"} else "VOICE"
        if phone.kind == "fax":
            kind = "FAX"
        lines.append(f"TEL;TYPE={kind}:{phone.e164}")
    lines.append("END:VCARD")
    return "\r\n".join(lines)


def qr_symbol(payload: str) -> zxingcpp.Barcode:
    """The symbol of `payload`: a QR code (not Micro QR) at level EC_LEVEL."""
    return zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)


def image(code: zxingcpp.Barcode, border: int = QUIET_ZONE) -> Image.Image:
    """The symbol as an 8-bit greyscale image, one pixel per module (dark 0, light 255),
    quiet zone included."""
    modules = code.to_image(scale=1, add_quiet_zones=False)
    size = modules.shape[0]
    pixels = memoryview(modules).tobytes()  # type: ignore[arg-type]  # the stub omits its buffer
    width = size + 2 * border
    blank, side = b"\xff" * width * border, b"\xff" * border
    rows = b"".join(side + pixels[i : i + size] + side for i in range(0, size * size, size))
    return Image.frombytes("L", (width, width), blank + rows + blank)


def png(code: zxingcpp.Barcode, border: int = QUIET_ZONE) -> bytes:
    """An 8-bit greyscale PNG of the symbol (`image`)."""
    out = io.BytesIO()
    # Level 3: a tenth of level 9's time for a fifth more bytes (~490 a code).
    image(code, border).save(out, format="PNG", compress_level=3)
    return out.getvalue()


@lru_cache(maxsize=8192)
def qr_png(payload: str) -> bytes:
    """The PNG of `payload` (one pixel per module, quiet zone included).

    Cached by payload: a contact's code only changes when its printed name or numbers do."""
    return png(qr_symbol(payload))


def qr_png_data_uri(payload: str) -> str:
    """A PNG data URI of `payload`, for an HTML sheet that must stand alone."""
    return PNG_DATA_URI + base64.b64encode(qr_png(payload)).decode("ascii")


def qr_ref(payload: str) -> str:
    """`payload` as a PDF's sheet carries it, in the `data-qr` attribute of the box its code
    is drawn in: percent-encoded, since an attribute's line breaks do not survive parsing."""
    return quote(payload, safe="")


def payload_of(ref: str) -> str:
    """The payload a `data-qr` attribute names."""
    return unquote(ref, errors="strict")


@lru_cache(maxsize=8192)
def qr_bits(payload: str) -> tuple[int, bytes]:
    """The code of `payload` as a PDF image's samples, one bit a module (0 dark, 1 light),
    rows padded to a byte, quiet zone included; and its width in modules.

    A PDF embeds these as they are (a few hundred bytes a code): the pixels of qr_png,
    without WeasyPrint decoding a PNG and compressing it again. Cached by payload."""
    bits = image(qr_symbol(payload)).convert("1", dither=Image.Dither.NONE)
    return bits.width, bits.tobytes()
