"""Findings: values a tolerant intake (the HSDS import) left out of a proposal, and why.

Data made by others is often right in most fields and wrong in a few (a region Homeward does
not know, coordinates off the globe, a number of another country). Refusing the whole record
for one value loses the rest; taking the value would put it on a sheet. So the value is left
out of the proposed change and kept as a finding (the field the check named, the change path
a reviewer may fill instead, the value as given, the reason), shown to reviewers beside the
field. A record without what makes it a contact (`REQUIRED`) is still refused, except that a
new contact whose source gives no country at all is queued without one (`country_pending`),
under `UNKNOWN_COUNTRY`, and cannot be approved until a reviewer sets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from app.kit.errors import InvalidValue

T = TypeVar("T")

# Without these a record cannot be placed or named: never left out, the record is refused.
REQUIRED = frozenset({"office.country", "organization.name"})


# The queue's country of a submission whose source gives none: CLDR's "Unknown Region".
UNKNOWN_COUNTRY = "ZZ"

MAX_VALUE_CHARS = 500  # a value as given is kept for the reviewer to read, not whole


def _shortened(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    if not isinstance(value, str | int | float | bool | type(None)):
        text = str(value)
        return value if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"
    return value


def finding(*, field: str, path: str, value: Any, reason: str) -> dict[str, Any]:
    """One finding as the submission stores it (JSON); a long value is cut short."""
    return {"field": field, "path": path, "value": _shortened(value), "reason": reason[:500]}


def _owner(field: str, values: Mapping[str, Any]) -> str | None:
    """The path of `values` that holds `field` (`new_phones.0` for `new_phones.0.number`)."""
    parts = field.split(".")
    for n in range(len(parts), 0, -1):
        path = ".".join(parts[:n])
        if path in values:
            return path
    return None


def _given(value: Any, rest: list[str]) -> Any:
    """The value as given at `rest` under a path's value (a phone's `number`)."""
    for key in rest:
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            break
    return value


def country_pending(findings: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the findings leave the office's country for the reviewer to set."""
    return any(f.get("path") == "office.country" for f in findings)


def required_left_out(findings: Iterable[Mapping[str, Any]], proposed: Iterable[str]) -> list[str]:
    """The required paths the findings name that the proposal does not hold: a reviewer must
    give each before approving."""
    held = set(proposed)
    return sorted({str(f.get("path")) for f in findings} & REQUIRED - held)


def validate_leaving_out(
    validate: Callable[[dict[str, Any]], T], values: Mapping[str, Any]
) -> tuple[T, list[dict[str, Any]]]:
    """`validate(values)`, leaving out each value it refuses until the rest passes: (what
    passed, the findings). A refusal of a required field, or of no single value, is raised."""
    values = dict(values)
    found: list[dict[str, Any]] = []
    while True:
        try:
            return validate(values), found
        except InvalidValue as exc:
            path = _owner(exc.field or "", values)
            if path is None or path in REQUIRED:
                raise
            rest = (exc.field or "").split(".")[len(path.split(".")) :]
            found.append(
                finding(
                    field=exc.field or path,
                    path=path,
                    value=_given(values.pop(path), rest),
                    reason=exc.message,
                )
            )


__all__ = [
    "REQUIRED",
    "UNKNOWN_COUNTRY",
    "country_pending",
    "finding",
    "required_left_out",
    "validate_leaving_out",
]
