"""The one Jinja2 environment of the web pages (autoescape on) and the render helpers."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.directory.enums import Category
from app.directory.geography import country_name, language_name, region_name
from app.kit.clock import as_utc, utcnow
from app.kit.principal import Principal
from app.sheets.i18n import sheet_language
from app.sheets.opening_hours import schedule_lines
from app.web import labels
from app.web.session import CSRF_FIELD, attach_cookie, web_session

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

CATEGORY_LABELS = {
    Category.LAW_ENFORCEMENT.value: "Law enforcement",
    Category.NGO.value: "NGOs",
    Category.LAWYER.value: "Lawyers and legal aid",
    Category.SOCIAL_WELFARE.value: "Social welfare",
    Category.HELPLINE.value: "Helplines",
    Category.INTERNATIONAL_ORG.value: "International organisations",
}
CATEGORY_SINGULAR = {
    Category.LAW_ENFORCEMENT.value: "Law enforcement",
    Category.NGO.value: "NGO",
    Category.LAWYER.value: "Lawyer / legal aid",
    Category.SOCIAL_WELFARE.value: "Social welfare",
    Category.HELPLINE.value: "Helpline",
    Category.INTERNATIONAL_ORG.value: "International organisation",
}
FRESHNESS_LABELS = {
    "verified": "Verified",
    "due": "Check due",
    "overdue": "Overdue",
    "stale": "Stale",
    "unverified": "Never verified",
}
# Languages whose script runs right to left: names shown in them get dir="rtl".
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ku", "yi", "dv"})

# What reviewers see in the menu; admins see the same after their own pages.
_REVIEWER_NAVIGATION = [
    ("Review queue", "/review"),
    ("Call worklist", "/verify"),
    ("Coverage", "/coverage"),
    ("Digest", "/digest"),
    ("Find contacts", "/officer"),
    ("Print sheet", "/officer/sheet"),
]

# Navigation per role: (label, path). The first entry is the role's home page.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "officer": [
        ("Find contacts", "/officer"),
        ("Coverage", "/coverage"),
        ("Print sheet", "/officer/sheet"),
        ("Call worklist", "/verify"),
    ],
    "ngo": [
        ("Contacts", "/ngo"),
        ("Propose a new contact", "/ngo/new"),
        ("My submissions", "/ngo/submissions"),
    ],
    "reviewer": _REVIEWER_NAVIGATION,
    "admin": [("Keys", "/admin/keys"), ("Audit", "/admin/audit"), *_REVIEWER_NAVIGATION],
}


def home_path(role: str) -> str:
    return NAVIGATION[role][0][1]


# Babel parses a locale on every call; names are looked up many times per page.
_language_name = lru_cache(maxsize=4096)(language_name)


def current_nav(path: str, navigation: list[tuple[str, str]]) -> str | None:
    """The menu entry for `path`: the longest menu path that is `path` or a parent of it."""
    matches = [p for _, p in navigation if path == p or path.startswith(p + "/")]
    return max(matches, key=len) if matches else None


def _date(value: date | None, fmt: str = "%d %b %Y") -> str:
    """Every page's one date style (a calendar day, or a moment taken as UTC)."""
    if isinstance(value, datetime):
        value = as_utc(value)
    return value.strftime(fmt) if value else "—"


def _datetime(value: datetime | None) -> str:
    return _date(value, "%d %b %Y, %H:%M UTC")


def _ago(value: datetime | None) -> str:
    value = as_utc(value)
    if value is None:
        return "never"
    days = (utcnow() - value).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 60:
        return f"{days} days ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


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
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return _datetime(datetime.fromisoformat(value))
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
    )
    env.filters.update(
        date=_date,
        datetime=_datetime,
        ago=_ago,
        humanise=_humanise,
        shown=_shown,
        category_label=lambda c: CATEGORY_LABELS.get(c, _humanise(c)),
        category_singular=lambda c: CATEGORY_SINGULAR.get(c, _humanise(c)),
        freshness_label=lambda f: FRESHNESS_LABELS.get(str(f), _humanise(f)),
        country_name=country_name,
        region_name=region_name,
        language_name=_language_name,
        # The web pages are in English; sheets print the same hours in their language.
        schedule_lines=lambda s: schedule_lines(s, sheet_language("en")),
        **labels.FILTERS,
    )
    env.globals.update(
        query=_query,
        CATEGORY_LABELS=CATEGORY_LABELS,
        FRESHNESS_LABELS=FRESHNESS_LABELS,
        RTL_LANGUAGES=RTL_LANGUAGES,
        CSRF_FIELD=CSRF_FIELD,
        LANGUAGE_OPTIONS=labels.language_options(),
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
    html = environment.get_template(template).render(
        request_path=request.url.path,
        principal=principal,
        navigation=navigation,
        current_nav=current_nav(request.url.path, navigation),
        csrf_token=current.csrf,
        **context,
    )
    response = no_store(HTMLResponse(html, status_code=status_code))
    attach_cookie(request, response)
    return response


def no_store(response: HTMLResponse) -> HTMLResponse:
    """A page that must not be kept by a cache; the security headers (CSP, frame and sniffing
    rules) come from kit.security_headers, for every HTML answer."""
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(request: Request, url: str) -> Response:
    """A 303 See Other (after a POST, or to the right page), carrying the session cookie."""
    return attach_cookie(request, RedirectResponse(url, status_code=303))
