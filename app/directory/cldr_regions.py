"""Region (ISO 3166-2 subdivision) names in a language, from Unicode CLDR.

Babel ships CLDR's country names but not its subdivision names, and pycountry's ISO 3166-2
catalogs have few languages (no Arabic name for a Nigerian state). CLDR keeps them in
`common/subdivisions/<lang>.xml`, which Debian's `unicode-cldr-core` installs (see
`Settings.cldr_subdivisions_dir`); it is read as shipped, so updating the package updates
the names. A subdivision's CLDR id is its ISO 3166-2 code in lower case without the hyphen
(`ngla` for NG-LA).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache

from app.config import get_settings

# Names CLDR has wrong, left out so the next source (pycountry, then the ISO name) is used:
# (language, CLDR id). CLDR 41 calls Nigeria's Federal Capital Territory "Chatham Islands"
# in Thai.
KNOWN_WRONG = frozenset({("th", "ngfc")})


def cldr_id(code: str) -> str:
    """`NG-LA` -> `ngla`."""
    return code.replace("-", "").lower()


@cache
def _names(lang: str) -> dict[str, str]:
    """CLDR id -> name for `lang` (empty when CLDR has no file for it)."""
    if not lang.isalpha():
        return {}
    path = get_settings().cldr_subdivisions_dir / f"{lang.lower()}.xml"
    try:
        root = ET.parse(path).getroot()  # a local file from a Debian package
    except (OSError, ET.ParseError):
        return {}
    return {
        str(node.get("type")): node.text.strip()
        for node in root.iter("subdivision")
        if node.get("type") and node.text and node.text.strip()
    }


def cldr_region_name(code: str, lang: str) -> str | None:
    """The region's name in `lang` as CLDR has it, or None."""
    base = lang.split("_", 1)[0].split("-", 1)[0]
    if (base, cldr_id(code)) in KNOWN_WRONG:
        return None
    return _names(base).get(cldr_id(code))
