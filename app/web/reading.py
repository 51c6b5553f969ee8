"""What a page reads of the directory: as its viewer may see it, at one moment of the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.directory import coverage, listing
from app.directory.coverage import CoverageMatrix
from app.directory.search import ContactFilters
from app.kit.clock import utcnow
from app.kit.principal import Principal


class Seen(TypedDict):
    """What every read of the directory is judged by: who reads, when, and the settings that
    judge freshness."""

    viewer: Principal
    now: datetime
    settings: Settings


@dataclass(frozen=True)
class PageReading:
    """Made once per request: the session and what the reads are judged by, so each read
    names only what it asks for."""

    session: Session
    viewer: Principal
    now: datetime = field(default_factory=utcnow)
    settings: Settings = field(default_factory=get_settings)

    @property
    def seen(self) -> Seen:
        return Seen(viewer=self.viewer, now=self.now, settings=self.settings)

    def contacts(
        self, filters: ContactFilters, *, page: int, per_page: int, lang: str = "en"
    ) -> dict[str, Any]:
        """One page of matching contacts (`listing.contact_page`)."""
        return listing.contact_page(
            self.session, filters=filters, page=page, per_page=per_page, lang=lang, **self.seen
        )

    def coverage(self, country: str, *, lang: str) -> CoverageMatrix:
        """A country's coverage matrix (`coverage.cached_coverage_matrix`)."""
        return coverage.cached_coverage_matrix(
            self.session, country=country, lang=lang, **self.seen
        )
