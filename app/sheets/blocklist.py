"""The discretion guard (Recommendation 42): words a printed sheet must never carry.

The list lives next to the catalogs in `locale/blocklist.json`, one list per shipped language,
plus `settings.sheet_blocklist_extra`. Every sheet is checked against the terms of *every*
language, since an English organisation name on a French sheet is just as visible.

Matching folds case and accents (`fold`). In scripts written with spaces between words a
term matches whole words, and a trailing `*` on a word also matches longer words (`victim*`
matches "victims"). Arabic and Thai terms match anywhere: Arabic attaches particles such as
"ال" or "و" to the word, and Thai is written without spaces.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from app.kit.text import fold

BLOCKLIST_PATH = Path(__file__).parent / "locale" / "blocklist.json"

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})


def _fold(text: str) -> str:
    return fold(text.translate(_APOSTROPHES))


def _unspaced_script(term: str) -> bool:
    """Arabic and Thai: match inside words (see the module docstring)."""
    for ch in term:
        name = unicodedata.name(ch, "")
        if name.startswith(("ARABIC", "THAI")):
            return True
    return False


def _pattern(term: str) -> str:
    folded = _fold(term)
    if _unspaced_script(term):
        return re.escape(folded.replace("*", ""))
    parts = []
    for token in folded.split():
        stem = token.rstrip("*")
        parts.append(re.escape(stem) + (r"\w*" if token.endswith("*") else ""))
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


@cache
def shipped_terms() -> dict[str, tuple[str, ...]]:
    """The blocklist per language, as shipped in locale/blocklist.json."""
    raw = json.loads(BLOCKLIST_PATH.read_text(encoding="utf-8"))
    return {lang: tuple(terms) for lang, terms in raw.items() if not lang.startswith("_")}


class Blocklist:
    """A compiled blocklist. Verdicts are memoised per text: a directory's names and
    addresses recur on every sheet of a region."""

    def __init__(self, terms: tuple[str, ...], regex: re.Pattern[str]) -> None:
        self.terms = terms
        self.regex = regex
        self._verdicts: dict[str, bool] = {}

    def find(self, text: str) -> list[str]:
        """The blocked words found in `text` (folded), in order of appearance."""
        return [m.group(0) for m in self.regex.finditer(_fold(text))]

    def is_clean(self, text: str | None) -> bool:
        if not text:
            return True
        verdict = self._verdicts.get(text)
        if verdict is None:
            verdict = self.regex.search(_fold(text)) is None
            if len(self._verdicts) > 100_000:
                self._verdicts.clear()
            self._verdicts[text] = verdict
        return verdict


@cache
def _compiled(extra: tuple[str, ...]) -> Blocklist:
    terms = tuple(sorted({t for terms in shipped_terms().values() for t in terms} | set(extra)))
    regex = re.compile("|".join(f"(?:{_pattern(t)})" for t in terms if t.strip()))
    return Blocklist(terms=terms, regex=regex)


def blocklist(extra: Iterable[str] = ()) -> Blocklist:
    """The shipped terms of every language plus `extra` (settings.sheet_blocklist_extra)."""
    return _compiled(tuple(sorted(t for t in extra if t.strip())))
