"""Human labels for the values the pages show: phone kinds, verification methods, submission
kinds and statuses, field paths, revision sources and phone numbers. Defined once here and
used by every page (as template filters and in form options), so a label reads the same
everywhere."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import phonenumbers

from app.directory.enums import PhoneKind, VerificationMethod
from app.directory.geography import all_language_codes, language_name
from app.directory.phone_numbers import display
from app.kit.text import is_whole_number
from app.review.models import SubmissionKind, SubmissionStatus
from app.verification.models import Outcome

PHONE_KIND_LABELS = {
    PhoneKind.VOICE.value: "Voice",
    PhoneKind.MOBILE.value: "Mobile",
    PhoneKind.HOTLINE.value: "Hotline",
    PhoneKind.WHATSAPP.value: "WhatsApp",
    PhoneKind.SMS.value: "SMS",
    PhoneKind.FAX.value: "Fax",
}
PHONE_KIND_OPTIONS = list(PHONE_KIND_LABELS.items())

# Verification methods; an officer's call outcome uses the first three.
METHOD_LABELS = {
    VerificationMethod.PHONE_CALL.value: "Phone call",
    VerificationMethod.EMAIL_REPLY.value: "Email reply",
    VerificationMethod.SITE_VISIT.value: "Site visit",
    VerificationMethod.NGO_NETWORK.value: "NGO network",
    VerificationMethod.NGO_CORRECTION.value: "Partner correction",
}

OUTCOME_LABELS = {
    Outcome.CONFIRMED.value: "Confirmed correct",
    Outcome.CHANGED.value: "Changed",
    Outcome.NO_ANSWER.value: "No answer",
    Outcome.WRONG_NUMBER.value: "Wrong number",
    Outcome.DISCONNECTED.value: "Disconnected",
    Outcome.CLOSED.value: "Closed",
}

SUBMISSION_KIND_LABELS = {
    SubmissionKind.CORRECTION.value: "Correction",
    SubmissionKind.NEW_CONTACT.value: "New contact",
    SubmissionKind.CLOSURE.value: "Closure report",
}
SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.PENDING.value: "Pending",
    SubmissionStatus.APPROVED.value: "Approved",
    SubmissionStatus.PARTIALLY_APPROVED.value: "Partially approved",
    SubmissionStatus.REJECTED.value: "Rejected",
    SubmissionStatus.DUPLICATE.value: "Duplicate",
    SubmissionStatus.WITHDRAWN.value: "Withdrawn",
}

# The last part of a field path (`office.city`, `phones.12.is_24_7`), read by people.
FIELD_LABELS = {
    "name": "name",
    "city": "city",
    "region": "region",
    "country": "country",
    "address": "address",
    "address_line": "address",
    "postal_code": "postal code",
    "email": "email",
    "website": "website",
    "languages": "languages",
    "hours": "hours",
    "is_24_7": "open 24/7",
    "number": "number",
    "kind": "kind",
    "status": "status",
    "category": "category",
    "services": "services",
    "phones": "phones",
    "notes": "notes",
    "description": "description",
    "latitude": "latitude",
    "longitude": "longitude",
}
_ENTITY_LABELS = {"office": "Office", "organization": "Organisation"}
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def phone_number(value: Any) -> Any:
    """An E.164 number as people dial it abroad (`+234 803 123 4567`); any other value as is."""
    if not isinstance(value, str) or not _E164.match(value):
        return value
    try:
        return display(value).international
    except phonenumbers.NumberParseException:  # a number no longer parsed reads as stored
        return value


def proposed_value(value: Any) -> Any:
    """A proposed or recorded value, readable: numbers formatted, a proposed phone as
    "+234 803 123 4567 (WhatsApp)", anything else as is (the `shown` filter does the rest)."""
    if isinstance(value, dict) and value.get("number"):
        kind = label(PHONE_KIND_LABELS, value.get("kind") or PhoneKind.VOICE.value)
        return f"{phone_number(value['number'])} ({kind})"
    if isinstance(value, list):
        return [proposed_value(v) for v in value]
    return phone_number(value)


def path_value(path: str, value: Any) -> Any:
    """The value of the field at `path`, readable: a phone's kind by its label, languages by
    name, numbers formatted (`proposed_value`)."""
    if path.startswith(("phones.", "new_phones.")) and path.endswith(".kind"):
        return label(PHONE_KIND_LABELS, value) if value else value
    if path.endswith(".languages") and isinstance(value, list):
        return [language_name(str(code)) for code in value]
    return proposed_value(value)


def change_value(value: Any, field: str, entity: str = "") -> Any:
    """A revision's old or new value, readable: a verification method or phone kind by its
    label, numbers formatted."""
    if value and field.endswith("verification_method"):
        return label(METHOD_LABELS, value)
    if value and entity == "phone" and field == "kind":
        return label(PHONE_KIND_LABELS, value)
    return phone_number(value)


def field_name(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " "))


def path_label(path: str, phones: Mapping[int, str] | None = None) -> str:
    """A submission's field path, readable: `office.name` -> "Office name",
    `phones.12.number` -> "Phone +234 803 123 4567 — number" (the phone's number from
    `phones`, id -> E.164), `new_phones.0` -> "New phone 1"."""
    parts = path.split(".")
    entity = _ENTITY_LABELS.get(parts[0])
    if entity and len(parts) >= 2:
        return f"{entity} {field_name('.'.join(parts[1:]))}"
    if parts[0] == "phones" and len(parts) >= 3 and is_whole_number(parts[1]):
        number = (phones or {}).get(int(parts[1]))
        which = str(phone_number(number)) if number else f"#{parts[1]}"
        return f"Phone {which} — {field_name('.'.join(parts[2:]))}"
    if parts[0] == "new_phones" and len(parts) >= 2 and is_whole_number(parts[1]):
        rest = f" — {field_name('.'.join(parts[2:]))}" if len(parts) > 2 else ""
        return f"New phone {int(parts[1]) + 1}{rest}"
    return path.replace("_", " ")


def error_line(name: str, message: str) -> str:
    """One line of a form's error summary, naming its field: "Office name: must not be
    blank." (an error about the whole form stands alone)."""
    if name in ("form", ""):
        return message
    field = path_label(name)
    field = field[:1].upper() + field[1:]
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[:1].lower() + message[1:]
    return f"{field}: {message}"


def source_label(source: str, submission_id: int | None = None) -> str:
    """A revision's or verification's source, readable, naming its submission once:
    "correction #1" -> "Correction #1", "admin_edit" -> "Admin edit"."""
    text = METHOD_LABELS.get(source) or source.replace("_", " ")
    if submission_id is not None and not text.endswith(f"#{submission_id}"):
        text = f"{text} (submission #{submission_id})"
    return text[:1].upper() + text[1:]


RECORD_KIND_LABELS = {
    "office": "Contact",
    "organization": "Organisation",
    "phone": "Phone",
    "api_key": "Key",
}


def record_label(entity: str, entity_id: int, names: Mapping[tuple[str, int], str]) -> str:
    """An audit row's record, named: "Contact 11 — Lagos office, Example NGO",
    "Key 4 — Field team" ("Contact 11" when the name is unknown)."""
    kind = RECORD_KIND_LABELS.get(entity, entity.replace("_", " ").capitalize())
    name = names.get((entity, entity_id))
    return f"{kind} {entity_id} — {name}" if name else f"{kind} {entity_id}"


@lru_cache(maxsize=16)
def language_options(lang: str = "en") -> list[tuple[str, str]]:
    """(code, name in `lang`) for every ISO 639-1 language, by name: what a partner picks
    from instead of typing codes."""
    named = ((code, language_name(code, lang)) for code in all_language_codes())
    return sorted(named, key=lambda option: option[1].casefold())


def label(mapping: Mapping[str, str], value: Any) -> str:
    """`value`'s label in `mapping`, else the value with underscores as spaces."""
    key = getattr(value, "value", value)
    if key is None:
        return ""
    return mapping.get(str(key), str(key).replace("_", " "))


FILTERS = {
    "phone_kind": lambda v: label(PHONE_KIND_LABELS, v),
    "method_label": lambda v: label(METHOD_LABELS, v),
    "outcome_label": lambda v: label(OUTCOME_LABELS, v),
    "submission_kind": lambda v: label(SUBMISSION_KIND_LABELS, v),
    "submission_status": lambda v: label(SUBMISSION_STATUS_LABELS, v),
    "phone_number": phone_number,
    "proposed_value": proposed_value,
    "change_value": change_value,
    "path_label": path_label,
    "source_label": source_label,
    "error_line": lambda message, name: error_line(name, message),
}
