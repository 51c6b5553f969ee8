"""Who may call each route, generated from the app's own routes (API, web pages, docs, static
files; every method).

ACCESS says, for each (method, path) that `create_app()` registers, which callers may call it;
a route registered without a rule here fails the suite, so a new route cannot ship without a
decision. Each route is called by admin, reviewer, officer and ngo keys and without a key:
allowed callers must get past the gate (any answer but 401/403 or a sign-in redirect: a 404 or
422 from placeholder input is fine), refused callers must get 401/403 (or, for a page, the
redirect to sign in). API routes get the key as `Authorization: Bearer`; pages get a signed-in
browser session; forms carry the session's CSRF token, so a refusal is the role's, not CSRF's.
The exact status of each core API call, and that refusals write nothing, is in test_roles.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import Mount

from app.main import create_app
from tests.factories import make_key, make_office, make_org

ADMIN, REVIEWER, OFFICER, NGO, NO_KEY = "admin", "reviewer", "officer", "ngo", "no key"
CALLERS = (ADMIN, REVIEWER, OFFICER, NGO, NO_KEY)

PUBLIC = frozenset(CALLERS)
ANY_ROLE = frozenset({ADMIN, REVIEWER, OFFICER, NGO})
STAFF = frozenset({ADMIN, REVIEWER, OFFICER})
EDITORS = frozenset({ADMIN, REVIEWER})
ADMINS = frozenset({ADMIN})
PARTNERS = frozenset({NGO})
PARTNERS_AND_EDITORS = frozenset({ADMIN, REVIEWER, NGO})

# Mounted apps (static files) are listed with the method "*" and called with GET.
ACCESS: dict[tuple[str, str], frozenset[str]] = {
    # Public: health, the API's description and docs, static files, signing in and out.
    ("GET", "/health"): PUBLIC,
    # An update request's link is its own credential (signed, single-use, expiring).
    ("GET", "/update/{link}"): PUBLIC,
    ("POST", "/update/{link}/confirm"): PUBLIC,
    ("GET", "/update/{link}/change"): PUBLIC,
    ("POST", "/update/{link}/change"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("HEAD", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("*", "/docs/assets"): PUBLIC,
    ("*", "/static"): PUBLIC,
    ("GET", "/signin"): PUBLIC,
    ("POST", "/signin"): PUBLIC,
    ("POST", "/signout"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    # API: contacts and organisations
    ("GET", "/api/v1/contacts.vcf"): ANY_ROLE,
    ("GET", "/api/v1/contacts"): ANY_ROLE,
    ("GET", "/api/v1/contacts/{office_id}"): ANY_ROLE,
    ("GET", "/api/v1/contacts/{office_id}/history"): ANY_ROLE,
    ("POST", "/api/v1/contacts"): EDITORS,
    ("PATCH", "/api/v1/contacts/{office_id}"): EDITORS,
    ("POST", "/api/v1/contacts/{office_id}/close"): EDITORS,
    ("POST", "/api/v1/contacts/{office_id}/phones"): EDITORS,
    ("PATCH", "/api/v1/phones/{phone_id}"): EDITORS,
    ("POST", "/api/v1/phones/{phone_id}/close"): EDITORS,
    ("POST", "/api/v1/contacts/{office_id}/verifications"): EDITORS,
    ("POST", "/api/v1/organizations"): EDITORS,
    ("GET", "/api/v1/organizations/{organization_id}"): ANY_ROLE,
    ("PATCH", "/api/v1/organizations/{organization_id}"): EDITORS,
    ("POST", "/api/v1/organizations/{organization_id}/close"): EDITORS,
    ("GET", "/api/v1/countries"): ANY_ROLE,
    ("GET", "/api/v1/countries/{country}/regions"): ANY_ROLE,
    # API: ORAPI (confidential records only for admins: tests/api/test_hsds.py)
    ("GET", "/hsds/"): ANY_ROLE,
    ("GET", "/hsds/openapi.json"): ANY_ROLE,
    ("GET", "/hsds/services"): ANY_ROLE,
    ("GET", "/hsds/services/{id}"): ANY_ROLE,
    ("GET", "/hsds/service_at_locations"): ANY_ROLE,
    ("GET", "/hsds/service_at_locations/{id}"): ANY_ROLE,
    ("GET", "/hsds/organizations"): ANY_ROLE,
    ("GET", "/hsds/organizations/{id}"): ANY_ROLE,
    ("GET", "/hsds/taxonomies"): ANY_ROLE,
    ("GET", "/hsds/taxonomies/{id}"): ANY_ROLE,
    ("GET", "/hsds/taxonomy_terms"): ANY_ROLE,
    ("GET", "/hsds/taxonomy_terms/{id}"): ANY_ROLE,
    # API: keys
    ("GET", "/api/v1/keys"): ADMINS,
    ("POST", "/api/v1/keys"): ADMINS,
    ("POST", "/api/v1/keys/{key_id}/revoke"): ADMINS,
    # API: verification
    ("GET", "/api/v1/freshness"): STAFF,
    ("GET", "/api/v1/tasks"): STAFF,
    ("GET", "/api/v1/tasks/{task_id}"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/claim"): STAFF,
    ("POST", "/api/v1/tasks/{task_id}/outcome"): STAFF,
    ("GET", "/api/v1/outreach"): STAFF,
    ("POST", "/api/v1/contacts/{office_id}/confirm"): PARTNERS,
    ("GET", "/api/v1/contacts/{office_id}/checks"): STAFF,
    ("GET", "/api/v1/digests"): STAFF,
    ("GET", "/api/v1/partner-scopes/{organization_id}"): EDITORS,
    ("PUT", "/api/v1/partner-scopes/{organization_id}/{country}"): EDITORS,
    ("DELETE", "/api/v1/partner-scopes/{organization_id}/{country}"): EDITORS,
    # API: sheets
    ("GET", "/api/v1/sheets/{country}"): STAFF,
    ("GET", "/api/v1/sheets/{country}/preview"): STAFF,
    # API: submissions
    ("POST", "/api/v1/submissions"): PARTNERS,
    ("GET", "/api/v1/submissions"): PARTNERS_AND_EDITORS,
    ("GET", "/api/v1/submissions/counts"): EDITORS,
    ("GET", "/api/v1/submissions/{submission_id}"): PARTNERS_AND_EDITORS,
    ("POST", "/api/v1/submissions/{submission_id}/approve"): EDITORS,
    ("POST", "/api/v1/submissions/{submission_id}/reject"): EDITORS,
    ("POST", "/api/v1/submissions/{submission_id}/duplicate"): EDITORS,
    ("POST", "/api/v1/submissions/{submission_id}/withdraw"): PARTNERS,
    # Pages: everyone signed in
    ("GET", "/"): ANY_ROLE,
    ("GET", "/contacts/{office_id}"): ANY_ROLE,
    # Pages: officers and above
    ("GET", "/officer"): STAFF,
    ("GET", "/officer/contacts"): STAFF,
    ("GET", "/coverage"): STAFF,
    ("GET", "/coverage/{scope}/{category}"): STAFF,
    ("GET", "/officer/sheet"): STAFF,
    ("GET", "/officer/sheet/download"): STAFF,
    ("GET", "/verify"): STAFF,
    ("GET", "/verify/{task_id}"): STAFF,
    ("POST", "/verify/{task_id}/claim"): STAFF,
    ("POST", "/verify/{task_id}/outcome"): STAFF,
    ("POST", "/verify/{task_id}/changed"): STAFF,
    # Pages: reviewers and admins
    ("GET", "/digest"): EDITORS,
    ("GET", "/review"): EDITORS,
    ("GET", "/review/{submission_id}"): EDITORS,
    ("POST", "/review/{submission_id}/approve"): EDITORS,
    ("POST", "/review/{submission_id}/reject"): EDITORS,
    ("POST", "/review/{submission_id}/duplicate"): EDITORS,
    # Pages: NGO partners
    ("GET", "/ngo"): PARTNERS,
    ("GET", "/ngo/contacts/{office_id}/confirm"): PARTNERS,
    ("POST", "/ngo/contacts/{office_id}/confirm"): PARTNERS,
    ("GET", "/ngo/contacts/{office_id}/correct"): PARTNERS,
    ("POST", "/ngo/contacts/{office_id}/correct"): PARTNERS,
    ("GET", "/ngo/contacts/{office_id}/report"): PARTNERS,
    ("POST", "/ngo/contacts/{office_id}/report"): PARTNERS,
    ("GET", "/ngo/new"): PARTNERS,
    ("POST", "/ngo/new"): PARTNERS,
    ("GET", "/ngo/submissions"): PARTNERS,
    ("GET", "/ngo/submissions/{submission_id}"): PARTNERS,
    ("POST", "/ngo/submissions/{submission_id}/withdraw"): PARTNERS,
    # Pages: admins
    ("GET", "/admin/keys"): ADMINS,
    ("POST", "/admin/keys"): ADMINS,
    ("GET", "/admin/keys/{key_id}/revoke"): ADMINS,
    ("POST", "/admin/keys/{key_id}/revoke"): ADMINS,
    ("GET", "/admin/audit"): ADMINS,
}

# Signing in and out answer with sign-in's own 401 (no key typed) or redirect to the sign-in
# page: for these, getting through means not being refused with a 403 (CSRF or role).
SIGN_IN_FORMS = {("POST", "/signin"), ("POST", "/signout")}
# A file to fetch under each mount.
MOUNT_FILES = {"/static": "/static/homeward.css", "/docs/assets": "/docs/assets/favicon.png"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    is_page: bool  # a browser page (session cookie), not the API (bearer key)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def app_routes() -> list[Route]:
    """Every (method, path) the app serves, API and web, mounts included."""
    routes = []
    for context in iter_route_contexts(create_app().routes):
        path = context.path
        assert path is not None
        if isinstance(context.original_route, Mount):
            routes.append(Route("*", path, is_page=False))
            continue
        api = path.startswith(("/api/", "/hsds")) or path in ("/openapi.json", "/health")
        routes.extend(Route(method, path, is_page=not api) for method in context.methods or ())
    return sorted(set(routes), key=lambda r: (r.path, r.method))


ROUTES = app_routes()


def test_every_route_has_a_rule_and_every_rule_a_route() -> None:
    registered = {(r.method, r.path) for r in ROUTES}
    missing = sorted(registered - ACCESS.keys())
    assert not missing, f"routes without an access rule in ACCESS: {missing}"
    assert not sorted(ACCESS.keys() - registered), "rules for routes the app does not have"


def _path_values(session: Session) -> tuple[dict[str, str], int]:
    """Real records for the path parameters (an allowed call may still be a 404 or 422);
    and the partner organisation the ngo key belongs to."""
    partner = make_org(session, name="Example Partner NGO (demo)")
    office = make_office(session, org=partner)
    assert office.id is not None and partner.id is not None
    return {
        "office_id": str(office.id),
        "organization_id": str(partner.id),
        "phone_id": str(office.phones[0].id),
        "key_id": "999999",
        "link": "1.not-a-token.not-a-signature",
        "task_id": "999999",
        "submission_id": "999999",
        "id": "00000000-0000-0000-0000-000000000000",  # an ORAPI record's uuid
        "country": "NG",
        "scope": "NG",
        "category": "ngo",
    }, partner.id


def _url(route: Route, values: dict[str, str]) -> str:
    if route.method == "*":
        return MOUNT_FILES[route.path]
    names = re.findall(r"{(\w+)}", route.path)
    missing = [n for n in names if n not in values]
    assert not missing, f"{route}: give a value for {missing} in _path_values"
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route.path)


def _csrf(client: TestClient) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    return token.group(1)


def _caller(client: TestClient, caller: str, key: dict[str, str] | None, page: bool) -> TestClient:
    """A client of its own (its own cookies) for `caller`: signed in for a page."""
    own = TestClient(client.app)
    if page and key is not None:
        secret = key["Authorization"].removeprefix("Bearer ")
        signed = own.post(
            "/signin",
            data={"csrf_token": _csrf(own), "key": secret, "next": ""},
            follow_redirects=False,
        )
        assert signed.status_code == 303, f"{caller} could not sign in: {signed.status_code}"
    return own


def refused(response: httpx.Response) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    return response.status_code in (302, 303, 307) and location.startswith("/signin")


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_role_gets_through_exactly_the_routes_its_rule_allows(
    client: TestClient, db_session: Session, route: Route
) -> None:
    allowed = ACCESS.get((route.method, route.path))
    assert allowed is not None, f"{route} has no rule in ACCESS"
    values, partner_id = _path_values(db_session)
    keys = {
        role: make_key(db_session, role, organization_id=partner_id if role == NGO else None)
        for role in (ADMIN, REVIEWER, OFFICER, NGO)
    }
    db_session.commit()
    url = _url(route, values)
    wrong = []
    for caller in CALLERS:
        key = keys.get(caller)
        own = _caller(client, caller, key, route.is_page)
        headers = key if key is not None and not route.is_page else {}
        method = "GET" if route.method == "*" else route.method
        data = {"csrf_token": _csrf(own)} if route.is_page and method == "POST" else None
        response = own.request(method, url, headers=headers, data=data, follow_redirects=False)
        if (route.method, route.path) in SIGN_IN_FORMS:
            was_refused = response.status_code == 403
        else:
            was_refused = refused(response)
        if was_refused == (caller in allowed):
            expected = "allowed" if caller in allowed else "refused"
            wrong.append(f"{caller}: {response.status_code}, expected {expected}")
    assert not wrong, f"{route}: " + "; ".join(wrong)
