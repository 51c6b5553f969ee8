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

from app.auth.models import Role
from app.directory.enums import (
    OfficeStatus,
    PhoneKind,
    PhoneStatus,
    ServiceTag,
    VerificationMethod,
)
from app.directory.geography import all_language_codes, language_name
from app.directory.phone_numbers import display
from app.kit.text import is_whole_number
from app.outreach.models import RequestState
from app.review.models import ClosureReason, SubmissionKind, SubmissionStatus
from app.verification.models import Outcome, TaskState
from app.web.i18n import N_, _

PHONE_KIND_LABELS = {
    PhoneKind.VOICE.value: N_("Voice"),
    PhoneKind.MOBILE.value: N_("Mobile"),
    PhoneKind.HOTLINE.value: N_("Hotline"),
    PhoneKind.WHATSAPP.value: N_("WhatsApp"),
    PhoneKind.SMS.value: N_("SMS"),
    PhoneKind.FAX.value: N_("Fax"),
}

# Verification methods; an officer's call outcome uses the first three.
METHOD_LABELS = {
    VerificationMethod.PHONE_CALL.value: N_("Phone call"),
    VerificationMethod.EMAIL_REPLY.value: N_("Email reply"),
    VerificationMethod.SITE_VISIT.value: N_("Site visit"),
    VerificationMethod.NGO_NETWORK.value: N_("NGO network"),
    VerificationMethod.NGO_CORRECTION.value: N_("Partner correction"),
}

OUTCOME_LABELS = {
    Outcome.CONFIRMED.value: N_("Confirmed correct"),
    Outcome.CHANGED.value: N_("Changed"),
    Outcome.NO_ANSWER.value: N_("No answer"),
    Outcome.WRONG_NUMBER.value: N_("Wrong number"),
    Outcome.DISCONNECTED.value: N_("Disconnected"),
    Outcome.CLOSED.value: N_("Closed"),
}

SUBMISSION_KIND_LABELS = {
    SubmissionKind.CORRECTION.value: N_("Correction"),
    SubmissionKind.NEW_CONTACT.value: N_("New contact"),
    SubmissionKind.CLOSURE.value: N_("Closure report"),
}
SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.PENDING.value: N_("Pending"),
    SubmissionStatus.APPROVED.value: N_("Approved"),
    SubmissionStatus.PARTIALLY_APPROVED.value: N_("Partially approved"),
    SubmissionStatus.REJECTED.value: N_("Rejected"),
    SubmissionStatus.DUPLICATE.value: N_("Duplicate"),
    SubmissionStatus.WITHDRAWN.value: N_("Withdrawn"),
}

CLOSURE_REASON_LABELS = {
    ClosureReason.CLOSED.value: N_("closed"),
    ClosureReason.MOVED.value: N_("moved"),
    ClosureReason.NUMBER_DISCONNECTED.value: N_("number disconnected"),
}
OFFICE_STATUS_LABELS = {
    OfficeStatus.ACTIVE.value: N_("open"),
    OfficeStatus.TEMPORARILY_CLOSED.value: N_("temporarily closed"),
    OfficeStatus.CLOSED.value: N_("closed"),
}
PHONE_STATUS_LABELS = {
    PhoneStatus.ACTIVE.value: N_("in service"),
    PhoneStatus.DISCONNECTED.value: N_("disconnected"),
}
SERVICE_LABELS = {
    ServiceTag.SHELTER.value: N_("Shelter"),
    ServiceTag.LEGAL_AID.value: N_("Legal aid"),
    ServiceTag.MEDICAL.value: N_("Medical care"),
    ServiceTag.PSYCHOLOGICAL.value: N_("Psychological support"),
    ServiceTag.REINTEGRATION.value: N_("Reintegration"),
    ServiceTag.ARRIVAL_RECEPTION.value: N_("Reception on arrival"),
    ServiceTag.HOTLINE.value: N_("Hotline"),
    ServiceTag.EMPLOYMENT.value: N_("Employment"),
    ServiceTag.EDUCATION.value: N_("Education"),
    ServiceTag.FAMILY_TRACING.value: N_("Family tracing"),
    ServiceTag.DOCUMENTATION.value: N_("Documents"),
    ServiceTag.PROTECTION.value: N_("Protection"),
    ServiceTag.FINANCIAL_SUPPORT.value: N_("Financial support"),
}
ROLE_LABELS = {
    Role.ADMIN.value: N_("admin"),
    Role.REVIEWER.value: N_("reviewer"),
    Role.OFFICER.value: N_("officer"),
    Role.NGO.value: N_("NGO partner"),
}
TASK_STATE_LABELS = {
    TaskState.OPEN.value: N_("task open"),
    TaskState.CLAIMED.value: N_("task claimed"),
    TaskState.ESCALATED.value: N_("task escalated"),
    TaskState.DONE.value: N_("task done"),
    TaskState.CANCELLED.value: N_("task cancelled"),
}
OUTREACH_STATE_LABELS = {
    RequestState.QUEUED.value: N_("queued"),
    RequestState.SENDING.value: N_("sending"),
    RequestState.SENT.value: N_("sent"),
    RequestState.REMINDING.value: N_("sending a reminder"),
    RequestState.REMINDED.value: N_("reminded"),
    RequestState.UNANSWERED.value: N_("no answer"),
    RequestState.ANSWERED.value: N_("answered"),
    RequestState.BOUNCED.value: N_("bounced"),
    RequestState.WITHHELD.value: N_("withheld"),
    RequestState.EXPIRED.value: N_("expired"),
}
# Sources a revision or verification records in words of their own (app/review/decisions).
SOURCE_LABELS = {
    "admin_edit": N_("Admin edit"),
    "seed": N_("Demo data"),
    "verification": N_("Verification"),
    "web": N_("Web page"),
}
_NUMBERED_SOURCES = {
    "correction": N_("Correction #%(id)s"),
    "new contact": N_("New contact #%(id)s"),
    "closure report": N_("Closure report #%(id)s"),
}
_NUMBERED_SOURCE = re.compile(r"^(correction|new contact|closure report) #(\d+)$")

# The last part of a field path (`office.city`, `phones.12.is_24_7`), read by people.
FIELD_LABELS = {
    "name": N_("name"),
    "city": N_("city"),
    "region": N_("region"),
    "country": N_("country"),
    "address": N_("address"),
    "address_line": N_("address"),
    "postal_code": N_("postal code"),
    "email": N_("email"),
    "website": N_("website"),
    "languages": N_("languages"),
    "hours": N_("hours"),
    "is_24_7": N_("open 24/7"),
    "number": N_("number"),
    "kind": N_("kind"),
    "status": N_("status"),
    "category": N_("category"),
    "services": N_("services"),
    "phones": N_("phones"),
    "notes": N_("notes"),
    "description": N_("description"),
    "latitude": N_("latitude"),
    "longitude": N_("longitude"),
    "opening_hours": N_("opening hours"),
    "meets_on_arrival": N_("meets on arrival"),
    "local_name": N_("local name"),
    "confidential": N_("confidential"),
    "last_verified_at": N_("last verified"),
    "verified_by": N_("verified by"),
    "verification_method": N_("verification method"),
    "note": N_("note"),
    "created": N_("created"),
    "revoked": N_("revoked"),
    "role": N_("role"),
}
_ENTITY_LABELS = {"office": N_("Office %(field)s"), "organization": N_("Organisation %(field)s")}
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
    """A revision's old or new value, readable: a verification method, phone kind or status
    by its label, numbers formatted."""
    if value and field.endswith("verification_method"):
        return label(METHOD_LABELS, value)
    if value and entity == "phone" and field == "kind":
        return label(PHONE_KIND_LABELS, value)
    if value and field == "status":
        return label(PHONE_STATUS_LABELS if entity == "phone" else OFFICE_STATUS_LABELS, value)
    return phone_number(value)


def field_name(field: str) -> str:
    return label(FIELD_LABELS, field)


def path_label(path: str, phones: Mapping[int, str] | None = None) -> str:
    """A submission's field path, readable: `office.name` -> "Office name",
    `phones.12.number` -> "Phone +234 803 123 4567 — number" (the phone's number from
    `phones`, id -> E.164), `new_phones.0` -> "New phone 1"."""
    parts = path.split(".")
    entity = _ENTITY_LABELS.get(parts[0])
    if entity and len(parts) >= 2:
        return _(entity, field=field_name(".".join(parts[1:])))
    if parts[0] == "phones" and len(parts) >= 3 and is_whole_number(parts[1]):
        number = (phones or {}).get(int(parts[1]))
        which = str(phone_number(number)) if number else f"#{parts[1]}"
        return _(
            "Phone %(number)s — %(field)s", number=which, field=field_name(".".join(parts[2:]))
        )
    if parts[0] == "new_phones" and len(parts) >= 2 and is_whole_number(parts[1]):
        index = int(parts[1]) + 1
        if len(parts) > 2:
            field = field_name(".".join(parts[2:]))
            return _("New phone %(index)s — %(field)s", index=index, field=field)
        return _("New phone %(index)s", index=index)
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
    return _("%(field)s: %(message)s", field=field, message=message)


def source_label(source: str, submission_id: int | None = None) -> str:
    """A revision's or verification's source, readable, naming its submission once:
    "correction #1" -> "Correction #1", "admin_edit" -> "Admin edit"."""
    numbered = _NUMBERED_SOURCE.match(source)
    if numbered:
        text = _(_NUMBERED_SOURCES[numbered.group(1)], id=numbered.group(2))
    elif source in METHOD_LABELS or source in SOURCE_LABELS:
        text = _(METHOD_LABELS.get(source) or SOURCE_LABELS[source])
    else:
        text = source.replace("_", " ")
    if submission_id is not None and not text.endswith(f"#{submission_id}"):
        text = _("%(source)s (submission #%(id)s)", source=text, id=submission_id)
    return text[:1].upper() + text[1:]


RECORD_KIND_LABELS = {
    "office": N_("Contact"),
    "organization": N_("Organisation"),
    "phone": N_("Phone"),
    "api_key": N_("Key"),
}


def record_label(entity: str, entity_id: int, names: Mapping[tuple[str, int], str]) -> str:
    """An audit row's record, named: "Contact 11 — Lagos office, Example NGO",
    "Key 4 — Field team" ("Contact 11" when the name is unknown)."""
    kind = label(RECORD_KIND_LABELS, entity)
    name = names.get((entity, entity_id))
    return f"{kind} {entity_id} — {name}" if name else f"{kind} {entity_id}"


@lru_cache(maxsize=16)
def language_options(lang: str = "en") -> list[tuple[str, str]]:
    """(code, name in `lang`) for every ISO 639-1 language, by name: what a partner picks
    from instead of typing codes."""
    named = ((code, language_name(code, lang)) for code in all_language_codes())
    return sorted(named, key=lambda option: option[1].casefold())


def options(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """(value, label in the page's language) for a form's choices."""
    return [(value, _(text)) for value, text in mapping.items()]


def label(mapping: Mapping[str, str], value: Any) -> str:
    """`value`'s label in `mapping`, else the value with underscores as spaces."""
    key = getattr(value, "value", value)
    if key is None:
        return ""
    text = mapping.get(str(key))
    return _(text) if text is not None else str(key).replace("_", " ")


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
    "status_label": lambda v: label(OFFICE_STATUS_LABELS, v),
    "service_label": lambda v: label(SERVICE_LABELS, v),
    "closure_reason": lambda v: label(CLOSURE_REASON_LABELS, v),
    "role_label": lambda v: label(ROLE_LABELS, v),
    "task_state": lambda v: label(TASK_STATE_LABELS, v),
    "outreach_state": lambda v: label(OUTREACH_STATE_LABELS, v),
    "field_label": field_name,
    "record_kind": lambda v: label(RECORD_KIND_LABELS, v),
}
