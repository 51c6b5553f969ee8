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
from app.interop.models import Feed, FeedRecord
from app.outreach.models import OutreachRequest
from app.review.models import Submission, SubmissionPhone
from app.verification.models import (
    CheckResult,
    JobRun,
    PartnerScope,
    SchedulerInstance,
    TaskAttempt,
    VerificationDigest,
    VerificationEvent,
    VerificationTask,
)

__all__ = [
    "ApiKey",
    "CheckResult",
    "Feed",
    "FeedRecord",
    "JobRun",
    "Office",
    "OfficeLanguage",
    "Organization",
    "OrganizationService",
    "OutreachRequest",
    "PartnerScope",
    "Phone",
    "Revision",
    "SchedulerInstance",
    "Submission",
    "SubmissionPhone",
    "TaskAttempt",
    "VerificationDigest",
    "VerificationEvent",
    "VerificationTask",
]
