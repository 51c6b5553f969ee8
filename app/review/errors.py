"""Named review-queue errors; each carries its HTTP status."""

from __future__ import annotations

from collections.abc import Sequence

from app.kit.errors import (
    Conflict,
    Forbidden,
    HomewardError,
    InvalidValue,
    NotFound,
    VersionConflict,
)
from app.kit.i18n import N_

# A decided submission's status, as a word a page translates (its English is the stored
# value; "partially_approved" is shown as it is stored).
_STATUS_WORDS = {
    "pending": N_("pending"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "duplicate": N_("duplicate"),
    "withdrawn": N_("withdrawn"),
}


class SubmissionNotFound(NotFound):
    def __init__(self, submission_id: int) -> None:
        super().__init__(
            N_("no submission with id %(id)s"), field="id", params={"id": submission_id}
        )


class NothingDiffers(InvalidValue):
    """A correction whose every value is already the contact's (422 on `body`)."""

    def __init__(self) -> None:
        super().__init__(N_("nothing differs from the contact as it is now"), field="body")


class SubmissionAlreadyDecided(Conflict):
    code = "already_decided"

    def __init__(self, submission_id: int, status: str) -> None:
        super().__init__(
            N_("submission %(id)s was already decided (%(status)s)"),
            field="status",
            params={"id": submission_id, "status": _STATUS_WORDS.get(status, status)},
            status=status,
        )


class SubmissionChanged(VersionConflict):
    def __init__(self, submission_id: int, expected: int, current: int) -> None:
        super().__init__(
            N_("submission %(id)s changed since version %(expected)s; it is now %(current)s"),
            field="version",
            params={"id": submission_id, "expected": expected, "current": current},
            current_version=current,
        )


class SubmissionConflict(Conflict):
    """Someone else changed a field the submission changes since the submission was made."""

    code = "submission_conflict"

    def __init__(self, fields: Sequence[str]) -> None:
        super().__init__(
            N_(
                "changed by someone else since the submission was made: %(fields)s; "
                "pass them in 'resolve_conflicts' to apply the submission's values anyway, "
                "or leave them out of 'fields'"
            ),
            field=fields[0] if fields else None,
            params={"fields": ", ".join(fields)},
            fields=list(fields),
        )
        self.fields = list(fields)


class OwnSubmission(Forbidden):
    """Four eyes: nobody decides what their own key or organisation submitted."""

    code = "four_eyes"

    def __init__(self, why: str) -> None:
        super().__init__(
            N_("four eyes: you cannot decide a submission %(why)s"),
            field="reviewer",
            params={"why": why},
        )


class SubmissionTooLarge(HomewardError):
    status_code = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            N_("a submission may be at most %(limit)s bytes"),
            field="body",
            params={"limit": limit},
            limit=limit,
        )
