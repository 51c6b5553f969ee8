"""vCard 4.0 (RFC 6350): one card per office, for an officer's phone contacts.

Confidential organisations and closed offices never get a card, whoever asks: a phone's
contact list leaves our control as surely as a printed sheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO

from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.geography import country_name, region_name
from app.directory.phone_numbers import dialable_extension, display, tel_uri
from app.directory.search import ContactFilters, filter_conditions
from app.interop.hsds_export import iter_office_batches
from app.interop.hsds_records import OfficeRecord
from app.interop.hsds_vocabulary import hsds_id
from app.kit.clock import as_utc
from app.kit.principal import CLI_OPERATOR, Principal

MEDIA_TYPE = "text/vcard; charset=utf-8"
PRODID = "-//Homeward//Directory of help//EN"

# RFC 6350 TEL types for our phone kinds.
TEL_TYPES = {
    "voice": "work,voice",
    "mobile": "work,cell",
    "hotline": "work,voice",
    "whatsapp": "work,cell",
    "sms": "work,text",
    "fax": "work,fax",
}


def escape(value: str) -> str:
    """Escape a text value (RFC 6350 §3.4): backslash, comma, semicolon and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.2)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    current = ""
    limit = 75
    for ch in line:
        if len((current + ch).encode("utf-8")) > limit:
            parts.append(current)
            current = ""
            limit = 74  # continuation lines start with a space
        current += ch
    parts.append(current)
    return "\r\n ".join(parts) + "\r\n"


def _stamp(value: datetime) -> str:
    return (as_utc(value) or value).strftime("%Y%m%dT%H%M%SZ")


def card(office: OfficeRecord) -> str:
    """One office as a vCard 4.0 (CRLF line endings, folded)."""
    org = office.org
    display_name = f"{org.name} – {office.name}" if office.name else org.name
    org_value = escape(org.name) + (f";{escape(office.name)}" if office.name else "")
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        f"PRODID:{PRODID}",
        f"UID:urn:uuid:{hsds_id('service', office.id)}",
        "KIND:org",
        f"FN:{escape(display_name)}",
        f"ORG:{org_value}",
        f"CATEGORIES:{escape(org.category.replace('_', ' '))}",
    ]
    for position, phone in enumerate(office.phones, start=1):
        tel_type = TEL_TYPES.get(phone.kind, "work,voice")
        if dialable_extension(phone.extension):
            # RFC 6350's form of a number with an extension: a tel: URI with ";ext=".
            uri = tel_uri(phone.number, phone.extension)
            lines.append(f"TEL;VALUE=uri;TYPE={tel_type};PREF={position}:{uri}")
        else:
            shown = display(phone.number).international
            lines.append(f"TEL;VALUE=text;TYPE={tel_type};PREF={position}:{shown}")
    street = escape(office.address or "")
    locality = escape(office.city or "")
    region = escape(region_name(office.region) or "") if office.region else ""
    postal = escape(office.postal_code or "")
    country = escape(country_name(office.country))
    lines.append(f"ADR;TYPE=work:;;{street};{locality};{region};{postal};{country}")
    if office.email:
        lines.append(f"EMAIL;TYPE=work:{office.email}")
    website = office.website or org.website
    if website:
        lines.append(f"URL:{website}")
    for language in office.languages:
        lines.append(f"LANG:{language}")
    if office.latitude is not None and office.longitude is not None:
        lines.append(f"GEO:geo:{office.latitude},{office.longitude}")
    verified = as_utc(office.last_verified_at)
    note = f"verified on {verified:%Y-%m-%d}" if verified else "not yet verified"
    if office.status == "temporarily_closed":
        note += "; temporarily closed"
    if office.opening_hours:
        note += f"; hours: {office.opening_hours}"
    lines.append(f"NOTE:{escape(note)}")
    lines.append(f"REV:{_stamp(office.updated_at)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def iter_cards(
    session: Session,
    *,
    country: str | None,
    region: str | None,
    viewer: Principal,
    now: datetime,
    settings: Settings,
) -> Iterator[str]:
    """Cards for the offices of a country/region (with its nationwide offices), streamed."""
    conditions = filter_conditions(
        ContactFilters(country=country, region=region), viewer=viewer, now=now, settings=settings
    )
    for batch in iter_office_batches(session, include_confidential=False, conditions=conditions):
        for office in batch:
            yield card(office)


def write_vcards(
    session: Session,
    out: IO[str],
    *,
    country: str | None = None,
    region: str | None = None,
    now: datetime,
    settings: Settings,
    viewer: Principal = CLI_OPERATOR,
) -> int:
    """Write every card to `out`; returns how many were written."""
    count = 0
    for text in iter_cards(
        session, country=country, region=region, viewer=viewer, now=now, settings=settings
    ):
        out.write(text)
        count += 1
    return count
