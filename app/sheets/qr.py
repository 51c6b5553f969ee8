"""QR codes that save a contact: a vCard 3.0, encoded by libqrencode (Debian's libqrencode4,
through ctypes). An HTML sheet embeds each code as an inline PNG data URI, so it needs no
network; a PDF places the same pixels as a one-bit image (qr_bits, pdf_render.py).

The text is UTF-8, declared by an ECI designator (26) when it is not ASCII: a name in Arabic,
Cyrillic, Thai or with an accent reads back as printed with zbar and zxing-cpp alike
(tests/sheets/test_qr.py). zxing-cpp, which made the codes before, chose a charset per code
(windows-1256 for an Arabic name with a dash, which zbar read as mojibake). Runs of eight
digits or more (the numbers) are numeric segments, a third of the bits of bytes. libqrencode
takes ~0.23 ms of CPU a code, half of zxing-cpp's time, and releases the GIL.

A PNG rather than SVG in HTML: a one-pixel-per-module PNG scaled with `image-rendering:
pixelated` prints just as crisp, in a few hundred bytes. The PNG is 8-bit greyscale (Pillow)."""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import io
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import quote, unquote

from PIL import Image

from app.directory.phone_numbers import dial_string
from app.sheets.schemas import SheetEntry

QUIET_ZONE = 2  # modules of white around the code
EC_LEVEL = "M"  # 15% of the symbol may be lost

# libqrencode's enums (qrencode.h).
_EC_LEVELS = {"L": 0, "M": 1, "Q": 2, "H": 3}
_MODE_NUMERIC = 0
_MODE_BYTES = 2
_ECI_UTF8 = 26
# A numeric segment costs a header of its own and one for the bytes after it (26 bits up
# to version 9, 36 beyond): from eight digits on it is shorter than the digits as bytes.
_NUMERIC_RUN = re.compile(rb"[0-9]{8,}")
# A module as libqrencode gives it (its lowest bit: 1 dark) -> 0 or 1; and 0 or 1 -> grey.
_LOWEST_BIT = bytes(value & 1 for value in range(256))
_GREY = bytes([255, 0]) + bytes(254)
PNG_DATA_URI = "data:image/png;base64,"


class _QRcode(ctypes.Structure):
    _fields_ = [
        ("version", ctypes.c_int),
        ("width", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_ubyte)),
    ]


@cache
def _libqrencode() -> ctypes.CDLL:
    """libqrencode, loaded once (`make install` installs Debian's libqrencode4)."""
    name = ctypes.util.find_library("qrencode") or "libqrencode.so.4"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise RuntimeError(
            f"QR codes need libqrencode ({name}: {exc}); install Debian's libqrencode4"
        ) from exc
    lib.QRinput_new2.restype = ctypes.c_void_p
    lib.QRinput_new2.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.QRinput_append.restype = ctypes.c_int
    lib.QRinput_append.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
    lib.QRinput_appendECIheader.restype = ctypes.c_int
    lib.QRinput_appendECIheader.argtypes = [ctypes.c_void_p, ctypes.c_uint]
    lib.QRinput_free.restype = None
    lib.QRinput_free.argtypes = [ctypes.c_void_p]
    lib.QRcode_encodeInput.restype = ctypes.POINTER(_QRcode)
    lib.QRcode_encodeInput.argtypes = [ctypes.c_void_p]
    lib.QRcode_free.restype = None
    lib.QRcode_free.argtypes = [ctypes.POINTER(_QRcode)]
    return lib


@dataclass(frozen=True)
class QrSymbol:
    """A QR code: its version, its width in modules and its modules row by row, one byte
    each (1 dark, 0 light), without the quiet zone."""

    version: int
    width: int
    modules: bytes


def _segments(data: bytes) -> list[tuple[int, bytes]]:
    """`data` as (mode, bytes) segments: numeric for each run of _NUMERIC_RUN, bytes between."""
    segments, start = [], 0
    for run in _NUMERIC_RUN.finditer(data):
        if run.start() > start:
            segments.append((_MODE_BYTES, data[start : run.start()]))
        segments.append((_MODE_NUMERIC, run.group()))
        start = run.end()
    if start < len(data) or not segments:
        segments.append((_MODE_BYTES, data[start:]))
    return segments


def qr_symbol(payload: str) -> QrSymbol:
    """The symbol of `payload` at level EC_LEVEL, the smallest version it fits: UTF-8, with
    an ECI designator when it is not ASCII. Raises ValueError if it does not fit in a QR
    code at all."""
    lib = _libqrencode()
    data = payload.encode("utf-8")
    qr_input = lib.QRinput_new2(0, _EC_LEVELS[EC_LEVEL])
    if not qr_input:
        raise MemoryError("libqrencode could not start a symbol")
    try:
        if not data.isascii() and lib.QRinput_appendECIheader(qr_input, _ECI_UTF8) != 0:
            raise ValueError("libqrencode refused the UTF-8 designator")
        for mode, segment in _segments(data):
            if lib.QRinput_append(qr_input, mode, len(segment), segment) != 0:
                raise ValueError(f"libqrencode refused a segment of {len(data)} bytes")
        code = lib.QRcode_encodeInput(qr_input)
    finally:
        lib.QRinput_free(qr_input)
    if not code:
        raise ValueError(f"{len(data)} bytes do not fit in a QR code at level {EC_LEVEL}")
    try:
        version, width = code.contents.version, code.contents.width
        # Each byte's lowest bit is the module (1 dark); the others are libqrencode's notes.
        modules = ctypes.string_at(code.contents.data, width * width).translate(_LOWEST_BIT)
    finally:
        lib.QRcode_free(code)
    return QrSymbol(version=version, width=width, modules=modules)


def _escape(value: str) -> str:
    """vCard 3.0 text escaping (RFC 2426 §5)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard(entry: SheetEntry, display_name: str) -> str:
    """The contact as a vCard: the printed name and its numbers (E.164, then a pause and
    the extension where it can be dialled), kept short so the code stays scannable at
    pocket size."""
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escape(display_name)}"]
    for phone in entry.phones:
        kind = "CELL" if phone.kind in {"mobile", "whatsapp", "sms"} else "VOICE"
        if phone.kind == "fax":
            kind = "FAX"
        lines.append(f"TEL;TYPE={kind}:{dial_string(phone.e164, phone.extension)}")
    lines.append("END:VCARD")
    return "\r\n".join(lines)


def image(code: QrSymbol, border: int = QUIET_ZONE) -> Image.Image:
    """The symbol as an 8-bit greyscale image, one pixel per module (dark 0, light 255),
    quiet zone included."""
    size = code.width
    pixels = code.modules.translate(_GREY)
    width = size + 2 * border
    blank, side = b"\xff" * width * border, b"\xff" * border
    rows = b"".join(side + pixels[i : i + size] + side for i in range(0, size * size, size))
    return Image.frombytes("L", (width, width), blank + rows + blank)


def png(code: QrSymbol, border: int = QUIET_ZONE) -> bytes:
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
