"""Nothing about a confidential organisation reaches an NGO key, through any route.

One confidential organisation (an office, a phone, an address, an email, distinctive values)
and a normal one. With an NGO partner's key (as a Bearer header for the API and a signed-in
session for the pages), every GET route of the app is called, its path parameters filled with
the confidential records' ids and with the normal ones, plus the routes an NGO posts to. No
answer, body or header, may carry the confidential name, phone, address, email or HSDS id, or
point at its ids (an `id`/`*_id` field, a link, a form value). A request that itself names a
confidential id must be answered exactly as one naming an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.service import create_key
from app.directory.models import Office, Organization, Phone
from app.interop.hsds_vocabulary import hsds_id
from tests.factories import allow_partner_countries, make_office, make_org
from tests.review.support import proposed_duplicate
from tests.web.signed_in import sign_in_secret

SECRET_NAME = "Zephyrine Quillfeather Sanctuary"
SECRET_OFFICE = "Quillfeather Hidden Annex"
SECRET_PHONE = "+2348039991357"
SECRET_PHONE_NATIONAL = "0803 999 1357"
SECRET_ADDRESS = "77 Vexmoor Lane"
SECRET_EMAIL = "zephyrine@quillfeather.example"
SECRET_WEBSITE = "https://quillfeather-sanctuary.example"
# What an HSDS source brings, modelled as data: named staff, the service, its area, a
# registration number, a second address line and an extension.
SECRET_SERVICE = "Quillfeather Night Shelter"
SECRET_STAFF = "Orlaith Brennagh"
SECRET_AREA = "Vexmoor and Quill Marshes"
SECRET_REGISTRATION = "RC-8642097"
SECRET_ADDRESS_2 = "Behind the Vexmoor mill"
SECRET_EXTENSION = "Quillx4713"  # no bare digits: a token could hold them
MISSING_ID = 987_654_321
# The confidential records get ids found nowhere else, so any mention of them is a pointer.
SECRET_IDS = {"organization": 913_579, "office": 924_681, "phone": 935_791}
# Never posted or followed from a partner's session: they end it or do not concern it.
SKIPPED = {"/signout", "/signin"}


@dataclass
class World:
    org_id: int
    office_id: int
    phone_id: int
    public_org_id: int
    public_office_id: int
    public_phone_id: int
    submission_id: int
    ngo_headers: dict[str, str]
    markers: list[str] = field(default_factory=list)


def _next_ids_at(session: Session, public_org: Organization) -> None:
    """Make the next organisation, office and phone take SECRET_IDS: a placeholder (closed,
    disconnected) just below each on SQLite, which counts on from the highest id, and the
    sequences moved on PostgreSQL."""
    placeholder_office = SECRET_IDS["office"] - 1
    session.add(
        Organization(id=SECRET_IDS["organization"] - 1, name="Placeholder (demo)", category="ngo")
    )
    session.add(
        Office(
            id=placeholder_office,
            organization_id=public_org.id,
            country="NG",
            status="closed",
        )
    )
    session.flush()
    session.add(
        Phone(
            id=SECRET_IDS["phone"] - 1,
            office_id=placeholder_office,
            number="+2348030000001",
            status="disconnected",
        )
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        for table, start in SECRET_IDS.items():
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v, false)"),
                {"t": table, "v": start},
            )


def _seed(client: TestClient, session: Session) -> World:
    public = make_office(session)
    _next_ids_at(session, public.organization)
    hidden = make_org(
        session,
        name=SECRET_NAME,
        confidential=True,
        email=SECRET_EMAIL,
        website=SECRET_WEBSITE,
        identifiers=[{"identifier_type": "Company number", "identifier": SECRET_REGISTRATION}],
    )
    secret = make_office(
        session,
        org=hidden,
        name=SECRET_OFFICE,
        address=SECRET_ADDRESS,
        address_2=SECRET_ADDRESS_2,
        email=SECRET_EMAIL,
        phones=[{"number": SECRET_PHONE, "kind": "voice", "extension": SECRET_EXTENSION}],
        service_name=SECRET_SERVICE,
        contacts=[{"name": SECRET_STAFF, "title": "Night manager"}],
        service_areas=[{"name": SECRET_AREA}],
        accessibility=[{"description": f"Ramp at {SECRET_ADDRESS_2}"}],
    )
    partner_org = make_org(session, name="Lagos Partner Network (demo)")
    make_office(session, org=partner_org)
    allow_partner_countries(session, partner_org.id)
    issued = create_key(
        session, name="Partner field team", role="ngo", organization_id=partner_org.id
    )
    # The partner proposed a contact a reviewer found to be the confidential one.
    proposal = proposed_duplicate(
        session,
        org_id=partner_org.id,
        org_name="Example Safe Place (demo)",
        of_office_id=secret.id,
        reason=f"This is {SECRET_NAME} at {SECRET_ADDRESS}",
    )
    session.commit()
    sign_in_secret(client, issued.secret)
    assert hidden.id and secret.id and public.id and proposal.id and public.organization_id
    assert (hidden.id, secret.id, secret.phones[0].id) == tuple(SECRET_IDS.values())
    world = World(
        org_id=hidden.id,
        office_id=secret.id,
        phone_id=secret.phones[0].id or 0,
        public_org_id=public.organization_id,
        public_office_id=public.id,
        public_phone_id=public.phones[0].id or 0,
        submission_id=proposal.id,
        ngo_headers={"Authorization": f"Bearer {issued.secret}"},
    )
    world.markers = [
        SECRET_NAME,
        SECRET_OFFICE,
        SECRET_PHONE,
        SECRET_PHONE.removeprefix("+"),
        SECRET_PHONE_NATIONAL,
        SECRET_ADDRESS,
        SECRET_EMAIL,
        SECRET_WEBSITE.removeprefix("https://"),
        SECRET_SERVICE,
        SECRET_STAFF,
        SECRET_AREA,
        SECRET_REGISTRATION,
        SECRET_ADDRESS_2,
        SECRET_EXTENSION,
        hsds_id("organization", world.org_id),
        hsds_id("service", world.office_id),
        hsds_id("location", world.office_id),
        hsds_id("address", world.office_id),
        hsds_id("service_at_location", world.office_id),
        hsds_id("phone", world.phone_id),
    ]
    return world


def _id_pointers(world: World, text: str) -> list[str]:
    """The confidential records' ids found in `text` (they occur nowhere else)."""
    ids = (world.org_id, world.office_id, world.phone_id)
    return [str(i) for i in ids if re.search(rf"(?<![\d.]){i}(?!\d)", text)]


def _leaks(world: World, response: httpx.Response) -> list[str]:
    text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    leaks = [m for m in world.markers if m.lower() in text.lower()]
    return leaks + _id_pointers(world, text)


def _get_routes(client: TestClient) -> Iterator[str]:
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path, methods = route.path, route.methods or set()
        if path and "GET" in methods and path not in SKIPPED:
            yield path


def _fill(path: str, ids: dict[str, int]) -> str:
    values: dict[str, Any] = {
        "office_id": ids["office"],
        "organization_id": ids["organization"],
        "phone_id": ids["phone"],
        "service_id": hsds_id("service", ids["office"]),
        "submission_id": ids["submission"],
        "task_id": ids["office"],
        "key_id": ids["office"],
        "country": "NG",
        "scope": "NG",
        "category": "ngo",
        "link": "1.not-a-token.not-a-signature",  # an update request's link
    }
    if path.startswith("/hsds/organizations/"):
        values["id"] = hsds_id("organization", ids["organization"])
    elif path.startswith("/hsds/services/"):
        values["id"] = hsds_id("service", ids["office"])
    elif path.startswith("/hsds/service_at_locations/"):
        values["id"] = hsds_id("service_at_location", ids["office"])
    elif path.startswith("/hsds/"):  # taxonomies and their terms: no directory record
        values["id"] = hsds_id("taxonomy", ids["office"])
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


QUERIES: dict[str, Any] = {
    "country": "NG",
    "region": "NG-LA",
    "q": "Zephyrine",
    "lang": "en",
    "every_region": "1",
}


def _call(client: TestClient, world: World, method: str, url: str, **kw: Any) -> httpx.Response:
    return client.request(
        method, url, headers=world.ngo_headers, follow_redirects=False, params=QUERIES, **kw
    )


def _same_as_missing(world: World, secret: httpx.Response, missing: httpx.Response) -> None:
    """A request naming a confidential id is answered as one naming no record at all."""

    def scrub(response: httpx.Response) -> str:
        text = response.text
        for value in (world.org_id, world.office_id, world.phone_id, MISSING_ID):
            text = re.sub(rf"(?<!\d){value}(?!\d)", "<ID>", text)
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<U>", text)
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text)

    assert secret.status_code == missing.status_code, (secret.url, secret.text[:300])
    assert scrub(secret) == scrub(missing), (secret.url, secret.text[:300])


def test_no_answer_to_an_ngo_key_names_or_points_at_a_confidential_record(
    client: TestClient, db_session: Session
) -> None:
    world = _seed(client, db_session)
    secret_ids = {
        "office": world.office_id,
        "organization": world.org_id,
        "phone": world.phone_id,
        "submission": world.submission_id,
    }
    public_ids = {
        "office": world.public_office_id,
        "organization": world.public_org_id,
        "phone": world.public_phone_id,
        "submission": world.submission_id,
    }
    missing_ids = dict.fromkeys(secret_ids, MISSING_ID) | {"submission": world.submission_id}
    reached: set[str] = set()
    calls = 0
    for path in sorted(set(_get_routes(client))):
        public = _call(client, world, "GET", _fill(path, public_ids))
        assert public.status_code < 500, (path, public.text[:300])
        assert _leaks(world, public) == [], (path, _leaks(world, public))
        if public.status_code not in (401, 403):
            reached.add(path)
        calls += 1
        if "{" not in path:
            continue
        secret = _call(client, world, "GET", _fill(path, secret_ids))
        missing = _call(client, world, "GET", _fill(path, missing_ids))
        # Only what the request itself sent may come back (an error echoing the id).
        echoed = [m for m in world.markers if m in secret.text and m not in str(secret.url)]
        assert echoed == [], path
        _same_as_missing(world, secret, missing)
        calls += 2
    # The partner's own pages and API routes were among them, and answered.
    assert {
        "/api/v1/contacts",
        "/api/v1/contacts/{office_id}",
        "/api/v1/contacts/{office_id}/history",
        "/api/v1/contacts.vcf",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/submissions",
        "/api/v1/submissions/{submission_id}",
        "/api/v1/countries",
        "/ngo",
        "/ngo/new",
        "/ngo/submissions",
        "/ngo/contacts/{office_id}/correct",
        "/ngo/contacts/{office_id}/report",
        "/ngo/contacts/{office_id}/confirm",
        "/contacts/{office_id}",
    } <= reached, sorted(reached)
    assert calls > 60


def test_what_an_ngo_key_posts_about_a_confidential_record_is_refused_as_unknown(
    client: TestClient, db_session: Session
) -> None:
    world = _seed(client, db_session)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ngo/new").text)
    assert csrf is not None
    answers: dict[str, list[httpx.Response]] = {}
    for office_id in (world.office_id, MISSING_ID):
        posts = [
            (
                "/api/v1/submissions",
                {"json": {"kind": "correction", "office_id": office_id, "office": {"city": "X"}}},
            ),
            (
                "/api/v1/submissions",
                {"json": {"kind": "closure", "office_id": office_id, "reason": "closed"}},
            ),
            (
                "/api/v1/submissions",
                {
                    "json": {
                        "kind": "new_contact",
                        "organization_id": world.org_id if office_id != MISSING_ID else MISSING_ID,
                        "office": {"country": "NG", "phones": [{"number": "08031234599"}]},
                    }
                },
            ),
            (f"/api/v1/contacts/{office_id}/confirm", {"json": {}}),
        ] + [
            (f"/ngo/contacts/{office_id}/{form}", {"data": {"csrf_token": csrf.group(1)}})
            for form in ("correct", "report", "confirm")
        ]
        answers[str(office_id)] = [
            client.post(url, headers=world.ngo_headers, follow_redirects=False, **kw)
            for url, kw in posts
        ]
    for secret, missing in zip(
        answers[str(world.office_id)], answers[str(MISSING_ID)], strict=True
    ):
        assert secret.status_code == 404, (secret.url, secret.text[:300])
        assert [m for m in world.markers if m in secret.text] == []
        _same_as_missing(world, secret, missing)
