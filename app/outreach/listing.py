"""What an update request shows: the office's listing as the directory has it now."""

from __future__ import annotations

from dataclasses import dataclass

from app.directory.enums import PhoneStatus
from app.directory.models import Office
from app.directory.presenter import phone_public
from app.outreach.i18n import OutreachLanguage
from app.sheets.i18n import N_

# Labels of the listing's lines, in the order they are shown.
LABELS = {
    "organization": N_("Organisation"),
    "office": N_("Office"),
    "address": N_("Address"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "website": N_("Website"),
    "opening_hours": N_("Opening hours"),
    "languages": N_("Languages"),
}


@dataclass(frozen=True)
class ListingLine:
    label: str
    value: str


def _address(office: Office) -> str | None:
    parts = [p for p in (office.address, office.postal_code, office.city) if p]
    return ", ".join(parts) or None


def listing_lines(office: Office, lang: OutreachLanguage) -> list[ListingLine]:
    """The office's current values, labelled in `lang`; empty values are left out.
    Only the organisation's own listing: nothing else is ever shown or mailed."""
    org = office.organization
    rows: list[tuple[str, str | None]] = [
        ("organization", org.name),
        ("office", office.name),
        ("address", _address(office)),
    ]
    for phone in office.phones:
        if phone.status == PhoneStatus.ACTIVE.value:
            shown = phone_public(phone).international
            rows.append(("phone", f"{shown} ({phone.hours})" if phone.hours else shown))
    rows += [
        ("email", office.email or org.email),
        ("website", office.website or org.website),
        ("opening_hours", office.opening_hours),
        ("languages", ", ".join(lang.language(c) for c in office.language_codes) or None),
    ]
    return [ListingLine(lang.gettext(LABELS[key]), value) for key, value in rows if value]


def address_of(office: Office) -> str | None:
    """Where an office's update request goes: the office's address, else its
    organisation's."""
    return office.email or office.organization.email
