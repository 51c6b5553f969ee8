"""The words Homeward and HSDS 3.0 share: stable ids, status and phone-kind vocabularies, the
placeholders for values HSDS requires and Homeward may not hold, and the Homeward taxonomy.

Ids are UUIDs derived with uuid5 from our ids, so a re-export gives the same ids and a round
trip can be matched. HSDS requires some fields Homeward may not hold (an address's postal code,
an organisation's description...): those carry `NOT_RECORDED`, which the import reads back as
"no value".
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from app.config import get_settings
from app.directory.enums import Category, PhoneKind, ServiceTag
from app.kit.clock import as_utc

NOT_RECORDED = "not recorded"
EMPTY_VALUE = "(empty)"
TAXONOMY_NAME = "Homeward"

# Fields whose changes are verification, exported from verification events instead.
VERIFICATION_FIELDS = frozenset(
    {"last_verified_at", "verification_method", "verified_by", "stale_flagged_at"}
)

# A verification event as a metadata row: field, action prefix ("verified: <method>") and the
# parts of `updated_by` after the verifier ("<who>; approved by <reviewer>; source: <source>").
VERIFIED_FIELD = "last_verified_at"
VERIFIED_ACTION = "verified: "
VERIFIED_APPROVER = "; approved by "
VERIFIED_SOURCE = "; source: "

STATUS_TO_HSDS = {
    "active": "active",
    "temporarily_closed": "temporarily closed",
    "closed": "defunct",
}
STATUS_FROM_HSDS = {
    "active": "active",
    "temporarily closed": "temporarily_closed",
    "inactive": "temporarily_closed",
    "defunct": "closed",
}
# RFC 6350 TYPE values, which HSDS phone.type uses.
PHONE_KIND_TO_HSDS = {
    "voice": "voice",
    "mobile": "cell",
    "hotline": "voice",
    "whatsapp": "cell",
    "sms": "text",
    "fax": "fax",
}
PHONE_KIND_FROM_HSDS = {"voice": "voice", "cell": "mobile", "text": "sms", "fax": "fax"}


def iso_datetime(value: datetime, *, exact: bool = False) -> str:
    """UTC, ISO 8601 with a Z; to the second unless `exact` (then microseconds are kept)."""
    value = (as_utc(value) or value).astimezone(UTC)
    if not exact:
        value = value.replace(microsecond=0)
    return value.replace(tzinfo=None).isoformat() + "Z"


# ---- ids -------------------------------------------------------------------------------


@cache
def _namespace(base_url: str) -> Any:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url.rstrip('/')}/hsds")
    return hashlib.sha1(namespace.bytes)


def hsds_id(kind: str, *parts: object) -> str:
    """A stable UUID for one of our records, e.g. hsds_id("service", 12).

    This is uuid5(namespace, "kind:part:…") computed with hashlib directly: an export makes
    a dozen ids per office, and uuid.UUID objects cost more than the hash.
    """
    digest = _namespace(get_settings().base_url).copy()
    digest.update(":".join((kind, *map(str, parts))).encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ---- the Homeward taxonomy ---------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return _term_id(self.code)


def _label(value: str) -> str:
    return value.replace("_", " ")


def _terms() -> list[Term]:
    terms = [
        Term(f"category:{c.value}", f"Category: {_label(c.value)}", f"Kind of organisation: {c}")
        for c in Category
    ]
    terms += [
        Term(f"service:{t.value}", f"Service: {_label(t.value)}", f"Offers {_label(t.value)}")
        for t in ServiceTag
    ]
    terms += [
        Term(f"phone_kind:{k.value}", f"Phone: {_label(k.value)}", f"A {k.value} number")
        for k in PhoneKind
    ]
    terms += [
        Term("flag:meets_on_arrival", "Meets on arrival", "Meets people at their arrival"),
        Term("flag:open_24_7", "Open 24/7", "Answers at any hour, every day"),
        Term("flag:confidential", "Confidential", "Never printed or shown to partners"),
        Term("flag:demo", "Demo data", "Fictional demonstration record"),
        Term("flag:organization_closed", "Organisation closed", "The organisation has closed"),
    ]
    return terms


TERMS: tuple[Term, ...] = tuple(_terms())
TERMS_BY_CODE = {t.code: t for t in TERMS}


@cache
def _term_id(code: str) -> str:
    return hsds_id("taxonomy_term", code)


@cache
def taxonomy_id() -> str:
    return hsds_id("taxonomy", TAXONOMY_NAME)


def taxonomy_doc() -> dict[str, Any]:
    return {
        "id": taxonomy_id(),
        "name": TAXONOMY_NAME,
        "description": "Homeward categories, service tags and flags",
        "uri": None,
        "version": "1",
    }


def term_doc(term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "parent_id": None,
        "taxonomy": TAXONOMY_NAME,
        "language": "en",
        "taxonomy_id": taxonomy_id(),
        "term_uri": None,
    }


@cache
def term_codes_by_id() -> dict[str, str]:
    return {t.id: t.code for t in TERMS}
