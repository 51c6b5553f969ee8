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


class SubmissionNotFound(NotFound):
    def __init__(self, submission_id: int) -> None:
        super().__init__(f"no submission with id {submission_id}", field="id")


class NothingDiffers(InvalidValue):
    """A correction whose every value is already the contact's (422 on `body`)."""

    def __init__(self) -> None:
        super().__init__("nothing differs from the contact as it is now", field="body")


class SubmissionAlreadyDecided(Conflict):
    code = "already_decided"

    def __init__(self, submission_id: int, status: str) -> None:
        super().__init__(
            f"submission {submission_id} was already decided ({status})",
            field="status",
            status=status,
        )


class SubmissionChanged(VersionConflict):
    def __init__(self, submission_id: int, expected: int, current: int) -> None:
        super().__init__(
            f"submission {submission_id} changed since version {expected}; it is now {current}",
            field="version",
            current_version=current,
        )


class SubmissionConflict(Conflict):
    """Someone else changed a field the submission changes since the submission was made."""

    code = "submission_conflict"

    def __init__(self, fields: Sequence[str]) -> None:
        names = ", ".join(fields)
        super().__init__(
            f"changed by someone else since the submission was made: {names}; "
            "pass them in 'resolve_conflicts' to apply the submission's values anyway, "
            "or leave them out of 'fields'",
            field=fields[0] if fields else None,
            fields=list(fields),
        )
        self.fields = list(fields)


class OwnSubmission(Forbidden):
    """Four eyes: nobody decides what their own key or organisation submitted."""

    code = "four_eyes"

    def __init__(self, why: str) -> None:
        super().__init__(f"four eyes: you cannot decide a submission {why}", field="reviewer")


class SubmissionTooLarge(HomewardError):
    status_code = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"a submission may be at most {limit} bytes", field="body", limit=limit)
