"""QR codes (segno) that save a contact: a vCard 3.0, embedded as an inline PNG data URI so the
sheet needs no network, in HTML or in the PDF.

PNG rather than SVG: WeasyPrint parses an SVG path point by point, which cost seconds for a
40-entry sheet; a one-pixel-per-module PNG scaled with `image-rendering: pixelated` prints
just as crisp."""

from __future__ import annotations

from functools import lru_cache

import segno

from app.sheets.schemas import SheetEntry


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


@lru_cache(maxsize=8192)
def qr_png_data_uri(payload: str) -> str:
    """A PNG data URI of `payload` (one pixel per module, quiet zone included).

    Cached by payload: choosing the best mask is most of a sheet's HTML time, and a contact's
    code only changes when its printed name or numbers do."""
    code = segno.make(payload, error="m", micro=False)
    return code.png_data_uri(scale=1, border=2, dark="#000", light="#fff")
