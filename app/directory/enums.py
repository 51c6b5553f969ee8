from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    NGO = "ngo"
    LAWYER = "lawyer"
    SOCIAL_WELFARE = "social_welfare"
    INTERNATIONAL_ORG = "international_org"
    HELPLINE = "helpline"


# Law enforcement first (Rec. 45: who to call if threatened), then NGOs, lawyers, social welfare.
CATEGORY_ORDER: tuple[Category, ...] = (
    Category.LAW_ENFORCEMENT,
    Category.NGO,
    Category.LAWYER,
    Category.SOCIAL_WELFARE,
    Category.HELPLINE,
    Category.INTERNATIONAL_ORG,
)
CORE_CATEGORIES: tuple[Category, ...] = CATEGORY_ORDER[:4]


class OfficeStatus(StrEnum):
    ACTIVE = "active"
    TEMPORARILY_CLOSED = "temporarily_closed"
    CLOSED = "closed"


class PhoneKind(StrEnum):
    VOICE = "voice"
    MOBILE = "mobile"
    HOTLINE = "hotline"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    FAX = "fax"


class PhoneStatus(StrEnum):
    ACTIVE = "active"
    DISCONNECTED = "disconnected"


class CloseReason(StrEnum):
    """Why a contact or an organisation was closed (kept on its revisions)."""

    CLOSED = "closed"
    MOVED = "moved"
    MERGED = "merged"
    DUPLICATE = "duplicate"
    ENTERED_IN_ERROR = "entered_in_error"


class PhoneCloseReason(StrEnum):
    """Why a number was taken out of use (kept on its revision)."""

    DISCONNECTED = "disconnected"
    WRONG_NUMBER = "wrong_number"
    NO_LONGER_USED = "no_longer_used"
    DUPLICATE = "duplicate"
    ENTERED_IN_ERROR = "entered_in_error"


class ServiceTag(StrEnum):
    SHELTER = "shelter"
    LEGAL_AID = "legal_aid"
    MEDICAL = "medical"
    PSYCHOLOGICAL = "psychological"
    REINTEGRATION = "reintegration"
    ARRIVAL_RECEPTION = "arrival_reception"
    HOTLINE = "hotline"
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    FAMILY_TRACING = "family_tracing"
    DOCUMENTATION = "documentation"
    PROTECTION = "protection"
    FINANCIAL_SUPPORT = "financial_support"


class VerificationMethod(StrEnum):
    PHONE_CALL = "phone_call"
    EMAIL_REPLY = "email_reply"
    SITE_VISIT = "site_visit"
    NGO_NETWORK = "ngo_network"
    NGO_CORRECTION = "ngo_correction"
