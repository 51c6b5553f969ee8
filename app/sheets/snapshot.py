"""The snapshot id: a short hash of exactly what a sheet prints.

It covers the scope, the languages, the size and every printed entry field (names, address,
hours, languages, each phone, the verification date as printed) and the layout version. It
leaves out the print date: the same data printed on two days keeps one id, so a complaint
about a wrong number ("sheet 3F9A-C21B-07") leads to the data, and an edit or verification
that changes anything printed gives a new id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import is_dataclass
from typing import Any

from app.sheets.schemas import SheetEntry, SheetParams

# Bump when the templates change what a sheet shows, so old ids are not reused.
LAYOUT_VERSION = 1


def _default(value: Any) -> Any:
    if is_dataclass(value):
        # Field by field without asdict()'s deep copies; key order is fixed by sort_keys.
        return vars(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def snapshot_id(params: SheetParams, entries: tuple[SheetEntry, ...]) -> str:
    """A short id like `3F2A-91C0-7B`: the first 40 bits of a SHA-256 of the printed data."""
    payload = {
        "layout": LAYOUT_VERSION,
        "params": params,
        "entries": entries,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=_default)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"
