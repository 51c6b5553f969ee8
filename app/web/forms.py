"""Reading posted forms: plain values, and validation errors in plain words per field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.kit.errors import Explained, HomewardError
from app.kit.i18n import Marked, Moment
from app.kit.text import is_whole_number
from app.web.i18n import N_, _
from app.web.session import CSRF_FIELD
from app.web.templating import datetime_text

# Pydantic's wording, made plain for the person filling in the form.
_PLAIN = {
    "missing": N_("This is required."),
    "url_parsing": N_("Enter a full web address starting with http:// or https://."),
    "url_scheme": N_("Enter a full web address starting with http:// or https://."),
    "enum": N_("Choose one of the options."),
    "int_parsing": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number, like 6.45."),
    "bool_parsing": N_("Choose yes or no."),
    "extra_forbidden": N_("This field is not accepted here."),
    "too_long": N_("Too many entries."),
}


def plain(value: Any) -> str | None:
    """A form value as trimmed text, or None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def whole_number(value: Any) -> int | None:
    """A form value as a whole number (an id or a version), or None when it is not digits."""
    text = plain(value)
    return int(text) if text and is_whole_number(text) else None


def typed_values(form: FormData, *, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """Everything posted (but the CSRF token), as typed: to show the form again after an error."""
    return {
        k: ", ".join(str(v) for v in form.getlist(k))
        for k in dict.fromkeys(form.keys())
        if k != CSRF_FIELD and k not in leave_out
    }


def field_name(loc: tuple[Any, ...]) -> str:
    """`('phones', 0, 'number')` -> `phones.0.number`, the name used by the form."""
    return ".".join(str(part) for part in loc)


def sentence(text: str) -> str:
    """ "must not be blank" -> "Must not be blank." (a message shown on its own)."""
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "。")) else ".")


def in_page_language(exc: BaseException) -> str:
    """An error's message in the page's language. The domain marks its templates with
    `N_()` and keeps their values apart (app/kit/errors.py): the JSON API shows the English
    text, a page the translation filled with the same values (a value marked `N_()` in its
    turn translated). Other text is shown as it is."""
    template = getattr(exc, "template", None)
    params = getattr(exc, "params", None)
    if isinstance(template, Marked) and isinstance(params, dict):
        # A value that is itself a marked word ("busy", "contact") is translated too, and a
        # moment is written as the page's language writes dates and times.
        values = {k: _page_value(v) for k, v in params.items()}
        return _(template, **values)
    return exc.message if isinstance(exc, HomewardError) else str(exc)


def _page_value(value: Any) -> Any:
    if isinstance(value, Marked):
        return _(value)
    if isinstance(value, Moment):
        return datetime_text(value.at)
    return value


def reason(exc: BaseException) -> str:
    """An error's message in the page's language, as a sentence (on a form)."""
    return sentence(in_page_language(exc))


def plain_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, Explained):
        return reason(cause)
    if kind in _PLAIN:
        return _(_PLAIN[kind])
    message = str(error.get("msg") or _("This value is not accepted."))
    message = message.removeprefix("Value error, ")
    if kind == "string_too_short":
        return _("This is required.") if not error.get("input") else _(TOO_SHORT)
    if kind == "string_too_long":
        limit = (error.get("ctx") or {}).get("max_length")
        if limit:
            return _("Keep this under %(limit)s characters.", limit=limit)
        return _("This is too long.")
    return sentence(message)


TOO_SHORT = N_("This is too short.")
PHONE_HINT = N_("Enter the whole number as dialled in the country, or with its +country code.")


def errors_from_validation(exc: ValidationError, *, prefix: str = "") -> dict[str, str]:
    """One plain message per field (the first error of each)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = prefix + field_name(tuple(error.get("loc", ())))
        message = plain_message(dict(error))
        if name.endswith(".number") and message == _(TOO_SHORT):
            message = _(PHONE_HINT)
        errors.setdefault(name, message)
    return errors
