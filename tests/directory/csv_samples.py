"""CSV builders for the import and export tests."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from app.directory.csv_format import header
from app.loading.demo_seed import load_demo_document

# Valid for phonenumbers: libphonenumber's example numbers (fictional), last digits varied.
NG_FIXED = "+234 2033 12 34{:02d}"
AL_FIXED = "+355 22 3456{:02d}"


# Where a row's office is in each country unless the row says otherwise, as CSV cells (a
# country made up to be refused keeps Lagos's cells, so only its country is wrong).
CSV_PLACES = {
    "NG": {"region": "NG-LA", "city": "Lagos", "languages": "en;yo", "phone1": NG_FIXED.format(50)},
    "AL": {"region": "AL-11", "city": "Tiranë", "languages": "sq", "phone1": AL_FIXED.format(50)},
}


def row(country: str = "NG", **values: str) -> dict[str, str]:
    """A CSV row: a lawyer's office in the `country`'s place (Lagos by default)."""
    base = {
        "organization_name": "Example Legal Aid Centre (demo)",
        "category": "lawyer",
        "services": "legal_aid;documentation",
        "is_demo": "true",
        "country": country,
        **CSV_PLACES.get(country, CSV_PLACES["NG"]),
        "phone1_kind": "voice",
    }
    base.update(values)
    return base


def to_csv(rows: Iterable[Mapping[str, str]], columns: list[str] | None = None) -> bytes:
    columns = columns or header()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(dict(r))
    return out.getvalue().encode()


def demo_subset(directory: Path, countries: tuple[str, ...] = ("NG", "MD")) -> Path:
    """seeds/demo.json cut down to a few countries, so tests that seed stay fast."""
    document = load_demo_document()
    document["organisations"] = [
        org
        for org in document["organisations"]
        if all(office["country"] in countries for office in org["offices"])
    ]
    path = directory / "demo-subset.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path
