"""Named business errors. Each carries its HTTP status; one handler maps them all.

Their wording is English, for the JSON API (clients parse it). A message that pages show
is a template marked with `N_()` (app/kit/i18n.py) and its values kept apart (`params`), so
the page layer translates the template and then fills it in: the domain never imports the
web, and the template is extracted into the pages' catalogs (app/web/babel.cfg)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class Explained(ValueError):
    """A ValueError (for pydantic validators and the domain's checks) whose text is a
    translatable `template` with `%(name)s` placeholders, filled from `params`."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


class HomewardError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        params: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> None:
        """`message` is English, or a template filled from `params` (then translatable)."""
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.field = field
        self.extra = extra

    @classmethod
    def of(cls, exc: BaseException, *, field: str | None = None) -> Self:
        """This error for `exc`, keeping the template and values of an `Explained` one."""
        if isinstance(exc, Explained):
            return cls(exc.template, field=field, params=exc.params)
        if isinstance(exc, HomewardError):
            return cls(exc.template, field=field, params=exc.params)
        return cls(str(exc), field=field)

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": self.code,
            "message": self.message,
            "detail": [{"field": self.field, "reason": self.message}],
        }
        body.update(self.extra)
        return body


class NotFound(HomewardError):
    status_code = 404
    code = "not_found"


class Conflict(HomewardError):
    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class InvalidValue(HomewardError):
    """A value that is well-formed but not acceptable (bad region for the country...)."""

    status_code = 422
    code = "validation_error"


class Unauthorized(HomewardError):
    status_code = 401
    code = "unauthorized"


class Forbidden(HomewardError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(HomewardError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, retry_after=retry_after)
        self.retry_after = retry_after


class PreconditionRequired(HomewardError):
    status_code = 428
    code = "version_required"


class ServiceUnavailable(HomewardError):
    """The database cannot serve the request now (unreachable, restarting, busy past its
    timeout, read-only or out of space). Nothing was saved; the same request can be sent
    again after `retry_after` seconds."""

    status_code = 503
    code = "database_unavailable"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, field=None, retry_after=retry_after)
        self.retry_after = retry_after


class WriteConflict(Conflict):
    """Another change was being saved at the same moment (a concurrent edit, not a fault)."""

    code = "write_conflict"

    def __init__(self) -> None:
        super().__init__(
            "another change was being saved at the same moment; reload and retry",
            field="version",
            retry_after=1,
        )
        self.retry_after = 1
