"""Who reads the directory, as of when, under which settings and in which language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.config import Settings
from app.kit.clock import utcnow
from app.kit.principal import Principal


@dataclass(frozen=True)
class Reading:
    """What every read of the directory depends on besides its own arguments: made once per
    request and handed to the read functions (coverage, summaries, contact pages)."""

    viewer: Principal
    now: datetime
    settings: Settings
    lang: str = "en"

    @classmethod
    def now_by(cls, viewer: Principal, settings: Settings, *, lang: str = "en") -> Reading:
        """A reading by `viewer` as of this moment."""
        return cls(viewer=viewer, now=utcnow(), settings=settings, lang=lang)
