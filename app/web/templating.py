"""The one Jinja2 environment of the web pages (autoescape on) and the render helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.directory.enums import Category
from app.directory.geography import country_name, language_name, region_name
from app.kit.clock import as_utc, utcnow
from app.kit.principal import Principal
from app.sheets.i18n import sheet_language
from app.sheets.opening_hours import schedule_lines
from app.web import i18n, labels
from app.web.i18n import N_, _, ngettext
from app.web.session import CSRF_FIELD, attach_cookie, web_session

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

CATEGORY_LABELS = {
    Category.LAW_ENFORCEMENT.value: N_("Law enforcement"),
    Category.NGO.value: N_("NGOs"),
    Category.LAWYER.value: N_("Lawyers and legal aid"),
    Category.SOCIAL_WELFARE.value: N_("Social welfare"),
    Category.HELPLINE.value: N_("Helplines"),
    Category.INTERNATIONAL_ORG.value: N_("International organisations"),
}
CATEGORY_SINGULAR = {
    Category.LAW_ENFORCEMENT.value: N_("Law enforcement"),
    Category.NGO.value: N_("NGO"),
    Category.LAWYER.value: N_("Lawyer / legal aid"),
    Category.SOCIAL_WELFARE.value: N_("Social welfare"),
    Category.HELPLINE.value: N_("Helpline"),
    Category.INTERNATIONAL_ORG.value: N_("International organisation"),
}
FRESHNESS_LABELS = {
    "verified": N_("Verified"),
    "due": N_("Check due"),
    "overdue": N_("Overdue"),
    "stale": N_("Stale"),
    "unverified": N_("Never verified"),
}
# Languages whose script runs right to left: names shown in them get dir="rtl".
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ku", "yi", "dv"})

# What reviewers see in the menu; admins see the same after their own pages.
_REVIEWER_NAVIGATION = [
    (N_("Review queue"), "/review"),
    (N_("Call worklist"), "/verify"),
    (N_("Coverage"), "/coverage"),
    (N_("Digest"), "/digest"),
    (N_("Find contacts"), "/officer"),
    (N_("Print sheet"), "/officer/sheet"),
]

# Navigation per role: (label, path). The first entry is the role's home page.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "officer": [
        (N_("Find contacts"), "/officer"),
        (N_("Coverage"), "/coverage"),
        (N_("Print sheet"), "/officer/sheet"),
        (N_("Call worklist"), "/verify"),
    ],
    "ngo": [
        (N_("Contacts"), "/ngo"),
        (N_("Propose a new contact"), "/ngo/new"),
        (N_("My submissions"), "/ngo/submissions"),
    ],
    "reviewer": _REVIEWER_NAVIGATION,
    "admin": [(N_("Keys"), "/admin/keys"), (N_("Audit"), "/admin/audit"), *_REVIEWER_NAVIGATION],
}


@lru_cache(maxsize=1)
def ui_language_options() -> list[tuple[str, str]]:
    """(code, the language's name in itself) for the language switcher."""
    named = ((code, language_name(code, code)) for code in i18n.web_languages())
    return [(code, name[:1].upper() + name[1:]) for code, name in named]


def home_path(role: str) -> str:
    return NAVIGATION[role][0][1]


# Babel parses a locale on every call; names are looked up many times per page.
_language_name = lru_cache(maxsize=4096)(language_name)


def current_nav(path: str, navigation: list[tuple[str, str]]) -> str | None:
    """The menu entry for `path`: the longest menu path that is `path` or a parent of it."""
    matches = [p for _, p in navigation if path == p or path.startswith(p + "/")]
    return max(matches, key=len) if matches else None


def _date(value: date | datetime | str | None) -> str:
    """A day in the page's language (CLDR's medium date: "3 déc. 2026"); a stored ISO day
    ("2026-12-03") too."""
    if isinstance(value, str):
        value = date.fromisoformat(value) if value else None
    if isinstance(value, datetime):
        value = as_utc(value)
    return format_date(value, format="medium", locale=i18n.current_language()) if value else "—"


def datetime_text(value: datetime | None) -> str:
    """A moment in the page's language, in UTC (the stored time zone, said so)."""
    value = as_utc(value)
    if value is None:
        return "—"
    lang = i18n.current_language()
    time = format_time(value, format="short", tzinfo=UTC, locale=lang)
    return _(
        "%(date)s, %(time)s UTC", date=format_date(value, format="medium", locale=lang), time=time
    )


def _number(value: float | None) -> str:
    """A number with the page language's separators."""
    return format_decimal(value, locale=i18n.current_language()) if value is not None else "—"


@lru_cache(maxsize=32)
def _list_separator(lang: str) -> str:
    """What joins two items inside a list in `lang`, from CLDR (", ", Arabic " و", Thai " ")."""
    middle = str(Locale.parse(lang).list_patterns["standard"]["middle"])
    return middle.replace("{0}", "").replace("{1}", "")


def _joined(items: Any) -> str:
    """Names joined as a list in the page's language ("English, Yoruba"; "الإنجليزية واليوروبا")."""
    return _list_separator(i18n.current_language()).join(str(item) for item in items)


def _ago(value: datetime | None) -> str:
    value = as_utc(value)
    if value is None:
        return _("never")
    days = (utcnow() - value).days
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days < 60:
        return ngettext("%(num)s day ago", "%(num)s days ago", days)
    if days < 730:
        return ngettext("%(num)s month ago", "%(num)s months ago", days // 30)
    return ngettext("%(num)s year ago", "%(num)s years ago", days // 365)


def _query(base: dict[str, Any], **changes: Any) -> str:
    """A query string from `base` with `changes` applied (None drops a key)."""
    merged = {**base, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def _shown(value: Any) -> str:
    """A revision's old or new value, readable: dates as dates, lists joined, '—' for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        if any(isinstance(v, dict) for v in value):  # HSDS details: one item after another
            return "; ".join(_shown(v) for v in value) or "—"
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime_text(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _humanise(value: Any) -> str:
    return str(value).replace("_", " ") if value is not None else ""


def _build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext_raw, i18n.ngettext_raw, newstyle=True
    )
    env.filters.update(
        date=_date,
        datetime=datetime_text,
        ago=_ago,
        humanise=_humanise,
        shown=_shown,
        number=_number,
        joined=_joined,
        category_label=lambda c: labels.label(CATEGORY_LABELS, c),
        category_singular=lambda c: labels.label(CATEGORY_SINGULAR, c),
        freshness_label=lambda f: labels.label(FRESHNESS_LABELS, f),
        country_name=lambda code, lang=None: country_name(code, lang or i18n.current_language()),
        region_name=lambda code, lang=None: region_name(code, lang or i18n.current_language()),
        language_name=lambda code: _language_name(code, i18n.current_language()),
        # Structured opening hours, in the page's language (sheets print them in theirs).
        schedule_lines=lambda s: schedule_lines(s, sheet_language(i18n.current_language())),
        # Left to right inside a right-to-left page's text (a phone number in an Arabic
        # sentence): Unicode isolates, so it works in attributes and plain strings too.
        ltr=lambda value: f"\u2066{value}\u2069" if i18n.direction() == "rtl" else value,
        **labels.FILTERS,
    )
    env.globals.update(
        query=_query,
        RTL_LANGUAGES=RTL_LANGUAGES,
        list_separator=lambda: _list_separator(i18n.current_language()),
        CSRF_FIELD=CSRF_FIELD,
        language_options=lambda: labels.language_options(i18n.current_language()),
    )
    return env


environment = _build_environment()


def render(
    request: Request,
    template: str,
    *,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a page with the layout's context (who is signed in, navigation, CSRF token)."""
    current = web_session(request)
    navigation = NAVIGATION.get(principal.role, []) if principal else []
    path_and_query = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = environment.get_template(template).render(
        request_path=request.url.path,
        request_path_and_query=path_and_query,
        ui_language=i18n.current_language(),
        ui_direction=i18n.direction(),
        ui_languages=ui_language_options(),
        principal=principal,
        navigation=navigation,
        current_nav=current_nav(request.url.path, navigation),
        csrf_token=current.csrf,
        **context,
    )
    response = no_store(HTMLResponse(html, status_code=status_code))
    attach_cookie(request, response)
    return response


def render_form(
    request: Request,
    template: str,
    *,
    principal: Principal,
    errors: dict[str, str],
    **context: Any,
) -> HTMLResponse:
    """A page whose form was read from the query string: 422 when a value was refused (each
    reason in `errors`, shown next to its field), else 200."""
    return render(
        request,
        template,
        principal=principal,
        status_code=422 if errors else 200,
        errors=errors,
        **context,
    )


def no_store(response: HTMLResponse) -> HTMLResponse:
    """A page that must not be kept by a cache; the security headers (CSP, frame and sniffing
    rules) come from kit.security_headers, for every HTML answer."""
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(request: Request, url: str) -> Response:
    """A 303 See Other (after a POST, or to the right page), carrying the session cookie."""
    return attach_cookie(request, RedirectResponse(url, status_code=303))
