"""Imports every domain's tables so metadata (and Alembic) sees them all."""

from app.auth.models import ApiKey
from app.directory.models import (
    Office,
    OfficeLanguage,
    Organization,
    OrganizationService,
    Phone,
    Revision,
)
from app.verification.models import VerificationEvent

__all__ = [
    "ApiKey",
    "Office",
    "OfficeLanguage",
    "Organization",
    "OrganizationService",
    "Phone",
    "Revision",
    "VerificationEvent",
]
