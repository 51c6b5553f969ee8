"""Named sheet errors."""

from __future__ import annotations

from app.kit.errors import Conflict


class SheetRefused(Conflict):
    """The discretion guard found a blocklisted word: nothing is emitted (Recommendation 42)."""

    code = "sheet_refused"
