"""The shapes a sheet passes through: parameters, assembled data, officer-only notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class SheetFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"


class SheetSize(StrEnum):
    A4 = "a4"
    POCKET = "pocket"


@dataclass(frozen=True)
class SheetParams:
    """What was asked for: validated codes only (see service.checked_params)."""

    country: str
    region: str | None
    lang: str
    lang2: str | None
    size: SheetSize = SheetSize.A4


@dataclass(frozen=True)
class SheetPhone:
    e164: str
    national: str
    international: str
    kind: str
    hours: str | None
    is_24_7: bool
    extension: str | None = None


@dataclass(frozen=True)
class SheetEntry:
    """One office as printed. `name` is None when only a neutral category label is safe."""

    office_id: int
    category: str
    name: str | None
    local_name: str | None
    office_name: str | None
    city: str | None
    address: str | None
    opening_hours: str | None
    languages: tuple[str, ...]
    phones: tuple[SheetPhone, ...]
    meets_on_arrival: bool
    region: str | None
    nearest: bool
    verified_on: date
    is_demo: bool
    # Nearest entries only: kilometres from the region's centre, when coordinates allow.
    distance_km: int | None = None
    # Structured opening hours (Office.schedules), printed in the sheet's language.
    schedules: tuple[dict[str, Any], ...] = ()
    # The service given here (Office.service_name): the entry's title line, before `name`.
    service_name: str | None = None

    @property
    def nationwide(self) -> bool:
        return self.region is None


@dataclass(frozen=True)
class SheetNote:
    """Something an officer should know about the sheet (preview only, never printed)."""

    office_id: int
    name: str
    category: str
    region: str | None
    reason: str  # a key ("stale", "neutral_label"…) the page words in its language
    last_verified_at: date | None = None
    fields: tuple[str, ...] = ()  # what was withheld ("name", "address"…)


@dataclass(frozen=True)
class SheetData:
    params: SheetParams
    entries: tuple[SheetEntry, ...]
    snapshot_id: str
    # Core categories with no printable office in the region, the nation, or nearby.
    missing_categories: tuple[str, ...] = ()
    # Preview only: offices left out and entries whose text was withheld for discretion.
    excluded: tuple[SheetNote, ...] = field(default=(), compare=False)
    withheld: tuple[SheetNote, ...] = field(default=(), compare=False)

    @property
    def is_demo(self) -> bool:
        return any(e.is_demo for e in self.entries)
