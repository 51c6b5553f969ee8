"""The directory write path: validation before writing, revisions for every change, versions,
closing without deleting, and real concurrent edits on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db import get_session
from app.directory import lookup, revisions, service
from app.directory.models import Office, Revision
from app.directory.provenance import Provenance
from app.directory.schemas import OfficeCreate, PhoneCreate
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue, PreconditionRequired, VersionConflict
from app.verification.service import record_verification
from tests.conftest import IS_POSTGRES, FrozenClock
from tests.db_state import directory_state
from tests.factories import (
    AL_PHONE,
    NG_PHONE,
    NG_PHONE_2,
    TEST_PROVENANCE,
    edit_office,
    edit_phone,
    make_key,
    make_office,
    make_org,
)

EDITOR = Provenance(actor="Desk A (key 3)", source="admin_edit", actor_key_id=3, approved_by="Lead")
postgres_only = pytest.mark.skipif(
    not IS_POSTGRES, reason="real row-level concurrency needs PostgreSQL (TEST_DATABASE_URL)"
)


def _revisions(session: Session, **where: Any) -> list[Revision]:
    stmt = select(Revision).filter_by(**where).order_by(Revision.changed_at, Revision.id)
    return list(session.execute(stmt).scalars())


def test_creating_an_office_checks_everything_before_writing(db_session: Session) -> None:
    org = make_org(db_session)
    before = directory_state(db_session)
    data = OfficeCreate(
        organization_id=org.id or 0,
        country="NG",
        region="NG-LA",
        phones=[PhoneCreate(number=NG_PHONE), PhoneCreate(number=AL_PHONE)],
    )
    with pytest.raises(InvalidValue) as raised:
        service.create_office(db_session, data=data, provenance=EDITOR)
    assert raised.value.field == "phones[1].number"
    assert directory_state(db_session) == before


def test_creating_records_writes_created_revisions_with_provenance(
    db_session: Session, frozen_clock: FrozenClock
) -> None:
    office = make_office(db_session, verified_at=None, languages=["yo", "en"])
    [org_rev] = _revisions(db_session, entity="organization", entity_id=office.organization_id)
    [office_rev] = _revisions(db_session, entity="office", entity_id=office.id)
    assert org_rev.field == office_rev.field == "created"
    assert office_rev.old_value is None
    snapshot = revisions.decode(office_rev.new_value)
    assert snapshot["region"] == "NG-LA" and snapshot["phones"] == [NG_PHONE]
    assert snapshot["languages"] == ["en", "yo"]
    assert (office_rev.actor, office_rev.source, office_rev.approved_by) == (
        TEST_PROVENANCE.actor,
        TEST_PROVENANCE.source,
        TEST_PROVENANCE.approved_by,
    )
    assert as_utc(office_rev.changed_at) == frozen_clock.now


def test_every_changed_field_is_one_revision_with_old_and_new(
    db_session: Session, frozen_clock: FrozenClock
) -> None:
    office = make_office(db_session, verified_at=None)
    frozen_clock.advance(hours=1)
    edit_office(
        db_session, office, EDITOR, city="Ikeja", meets_on_arrival=True, languages=["en", "ha"]
    )
    revs = _revisions(db_session, entity="office", entity_id=office.id)[1:]
    assert {(r.field, r.old_value, r.new_value) for r in revs} == {
        ("city", '"Lagos"', '"Ikeja"'),
        ("meets_on_arrival", "false", "true"),
        ("languages", '["en"]', '["en", "ha"]'),
    }
    assert len({r.change_id for r in revs}) == 1  # one change, several fields
    assert all(r.actor == "Desk A (key 3)" and r.actor_key_id == 3 for r in revs)
    assert all(r.approved_by == "Lead" and r.source == "admin_edit" for r in revs)


def test_phone_changes_are_revisions_of_the_office(db_session: Session) -> None:
    office = make_office(db_session, verified_at=None)
    added = service.add_phone(
        db_session,
        office_id=office.id or 0,
        data=PhoneCreate(number="0803 123 4568", kind="hotline"),
        provenance=EDITOR,
    )
    assert added.number == NG_PHONE_2
    edit_phone(db_session, added, EDITOR, hours="24/7", is_24_7=True)
    service.close_phone(db_session, phone_id=added.id or 0, provenance=EDITOR)
    history = service.office_history(db_session, office_id=office.id or 0)
    phone_steps = [(r.field, r.new_value) for r in history if r.entity == "phone"]
    assert phone_steps[0][0] == "created"
    assert ("hours", '"24/7"') in phone_steps and ("is_24_7", "true") in phone_steps
    assert phone_steps[-1] == ("status", '"disconnected"')


def test_display_forms_are_saved_with_the_number_and_follow_it(db_session: Session) -> None:
    office = make_office(db_session, verified_at=None)
    phone = office.phones[0]
    assert (phone.national, phone.international, phone.number_type) == (
        "0803 123 4567",
        "+234 803 123 4567",
        "mobile",
    )
    changed = edit_phone(db_session, phone, EDITOR, number="02033 12 3456")
    assert (changed.number, changed.national, changed.number_type) == (
        "+2342033123456",
        "02033 12 3456",
        "fixed_line",
    )
    history = service.office_history(db_session, office_id=office.id or 0)
    assert not any(r.field in ("national", "international", "number_type") for r in history)


def test_update_without_version_is_refused_before_anything_changes(db_session: Session) -> None:
    office = make_office(db_session)
    before = directory_state(db_session)
    with pytest.raises(PreconditionRequired):
        service.update_office(
            db_session,
            office_id=office.id or 0,
            changes={"city": "Ikeja"},
            expected_version=None,
            provenance=EDITOR,
        )
    assert directory_state(db_session) == before


def test_stale_version_is_a_conflict_and_changes_nothing(db_session: Session) -> None:
    office = make_office(db_session)
    before = directory_state(db_session)
    with pytest.raises(VersionConflict) as raised:
        service.update_office(
            db_session,
            office_id=office.id or 0,
            changes={"city": "Ikeja"},
            expected_version=office.version - 1,
            provenance=EDITOR,
        )
    assert raised.value.extra["current_version"] == office.version
    assert directory_state(db_session) == before


def test_saving_never_touches_the_verification(
    db_session: Session, frozen_clock: FrozenClock
) -> None:
    verified_at = frozen_clock.now - timedelta(days=100)
    office = make_office(db_session, verified_at=verified_at)
    frozen_clock.advance(days=1)
    saved = edit_office(db_session, office, EDITOR, opening_hours="Mo-Sa")
    assert as_utc(saved.last_verified_at) == verified_at
    with pytest.raises(InvalidValue):
        service.apply_office_changes(
            db_session,
            office=saved,
            changes={"last_verified_at": frozen_clock.now},
            provenance=EDITOR,
        )


def test_only_a_verification_moves_last_verified_at(
    db_session: Session, frozen_clock: FrozenClock
) -> None:
    office = make_office(db_session, verified_at=None)
    record_verification(
        db_session,
        office_id=office.id or 0,
        method="site_visit",
        verified_by="Desk A",
        note="visited",
        provenance=EDITOR,
    )
    reloaded = lookup.get_office(db_session, office.id or 0, refresh=True)
    assert reloaded.last_verified_at is not None
    assert reloaded.verification_method == "site_visit"
    fields = [r.field for r in _revisions(db_session, entity="office", entity_id=office.id)]
    assert fields[-3:] == ["last_verified_at", "verification_method", "verified_by"]


def test_closing_an_organisation_closes_its_offices_and_keeps_them(db_session: Session) -> None:
    org = make_org(db_session)
    offices = [make_office(db_session, org=org), make_office(db_session, org=org, region=None)]
    already_closed = make_office(db_session, org=org, status="closed")
    before = directory_state(db_session)
    service.close_organization(db_session, organization_id=org.id or 0, provenance=EDITOR)
    after = directory_state(db_session)
    assert after["office"] == before["office"] and after["phone"] == before["phone"]
    for office in offices:
        reloaded = lookup.get_office(db_session, office.id or 0, refresh=True)
        assert reloaded.status == "closed"
        assert _revisions(db_session, entity="office", entity_id=office.id)[-1].field == "status"
    untouched = _revisions(db_session, entity="office", entity_id=already_closed.id)
    assert [r.field for r in untouched][-1] != "status"


def test_moving_an_office_to_another_country_without_region_makes_it_nationwide(
    db_session: Session,
) -> None:
    office = make_office(db_session, phones=[])
    moved = edit_office(db_session, office, EDITOR, country="al")
    assert (moved.country, moved.region) == ("AL", None)


# ---- concurrency ------------------------------------------------------------------------------


def _committed_office(engine: Engine) -> tuple[int, int]:
    with Session(engine, expire_on_commit=False) as session:
        office = make_office(session, verified_at=None)
        session.commit()
        assert office.id is not None
        return office.id, office.version


def _in_threads(*targets: Callable[[], None]) -> list[BaseException | None]:
    errors: list[BaseException | None] = [None] * len(targets)

    def run(i: int, target: Callable[[], None]) -> None:
        try:
            target()
        except BaseException as exc:  # collected and asserted by the test
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@postgres_only
def test_two_editors_racing_on_one_version_exactly_one_wins(committed_engine: Engine) -> None:
    """Both read version N on their own connection, both pass the version check, both write:
    PostgreSQL's row lock and `UPDATE … WHERE version = N` let exactly one through."""
    office_id, version = _committed_office(committed_engine)
    both_checked = threading.Barrier(2, timeout=30)

    def editor(city: str) -> Callable[[], None]:
        def edit() -> None:
            with Session(committed_engine, expire_on_commit=False) as session:
                office = lookup.get_office(session, office_id, refresh=True)
                assert office.version == version
                both_checked.wait()
                service.apply_office_changes(
                    session, office=office, changes={"city": city}, provenance=EDITOR
                )
                session.commit()

        return edit

    errors = _in_threads(editor("Ikeja"), editor("Epe"))
    winners = [e for e in errors if e is None]
    losers = [e for e in errors if e is not None]
    assert len(winners) == 1 and len(losers) == 1, errors
    assert isinstance(losers[0], StaleDataError | VersionConflict), losers[0]

    with Session(committed_engine) as session:
        office = session.get(Office, office_id)
        assert office is not None and office.version == version + 1
        cities = [
            r.new_value
            for r in _revisions(session, entity="office", entity_id=office_id)
            if r.field == "city"
        ]
        assert cities == [f'"{office.city}"']  # the loser left no revision behind


def test_concurrent_patches_through_the_api_never_overwrite_silently(
    committed_engine: Engine,
) -> None:
    """Two clients hammer the same contact with the version each last saw: every answer is
    200 or 409, never 500, and every 200 is one version step with its revision. (On SQLite the
    loser of an overlapping write gets "database is locked", answered as 409 too.)"""
    from app.main import create_app

    office_id, version = _committed_office(committed_engine)
    with Session(committed_engine) as session:
        headers = make_key(session, "admin")
        session.commit()

    def committed_session() -> Iterator[Session]:
        with Session(committed_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    app = create_app()
    app.dependency_overrides[get_session] = committed_session
    statuses: list[int] = []
    lock = threading.Lock()

    def client_loop(tag: str) -> Callable[[], None]:
        def loop() -> None:
            seen = version
            with TestClient(app) as client:
                for n in range(8):
                    resp = client.patch(
                        f"/api/v1/contacts/{office_id}",
                        json={"city": f"{tag}{n}"},
                        headers={**headers, "If-Match": str(seen)},
                    )
                    with lock:
                        statuses.append(resp.status_code)
                    if resp.status_code == 409:
                        seen = client.get(f"/api/v1/contacts/{office_id}", headers=headers).json()[
                            "version"
                        ]
                    else:
                        assert resp.status_code == 200, resp.text
                        seen = resp.json()["version"]

        return loop

    errors = _in_threads(client_loop("a"), client_loop("b"))
    assert errors == [None, None]
    assert set(statuses) <= {200, 409}
    saved = statuses.count(200)
    with Session(committed_engine) as session:
        office = session.get(Office, office_id)
        assert office is not None and office.version == version + saved
        city_revisions = [
            r
            for r in _revisions(session, entity="office", entity_id=office_id)
            if r.field == "city"
        ]
        assert len(city_revisions) == saved


def test_the_request_commits_before_the_response_is_sent(committed_engine: Engine) -> None:
    """A 2xx must mean "stored": the unit of work ends before the first byte goes out."""
    from app.main import create_app

    events: list[str] = []
    with Session(committed_engine) as session:
        headers = make_key(session, "admin")
        session.commit()

    def committed_session() -> Iterator[Session]:
        with Session(committed_engine, expire_on_commit=False) as session:
            yield session
            session.commit()
            events.append("commit")

    app = create_app()
    app.dependency_overrides[get_session] = committed_session
    inner = app.build_middleware_stack()

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def send_and_record(message: Any) -> None:
            if message["type"] == "http.response.start":
                events.append("response")
            await send(message)

        await inner(scope, receive, send_and_record)

    app.middleware_stack = recording  # type: ignore[assignment]
    with TestClient(app) as client:
        resp = client.post(
            "/api/v1/organizations",
            json={"name": "Example Aid (demo)", "category": "ngo"},
            headers=headers,
        )
    assert resp.status_code == 201
    assert events[-2:] == ["commit", "response"]


def test_get_office_with_refresh_reads_the_row_over_what_the_session_holds(
    db_session: Session,
) -> None:
    office = make_office(db_session)
    db_session.execute(
        update(Office).where(Office.id == office.id).values(city="Ikeja"),
        execution_options={"synchronize_session": False},
    )
    assert lookup.get_office(db_session, office.id or 0).city == "Lagos"
    assert lookup.get_office(db_session, office.id or 0, refresh=True).city == "Ikeja"
