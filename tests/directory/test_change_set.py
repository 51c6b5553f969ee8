"""Change sets: validated once with the directory's rules, applied as they are."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory import lookup, service
from app.directory.change_set import ChangeSet, validate_changes, validate_new_contact
from app.directory.models import Revision
from app.kit.errors import InvalidValue
from tests.factories import NG_PHONE, NG_PHONE_2, TEST_PROVENANCE, make_office


def _revision_count(session: Session) -> int:
    return int(session.execute(select(func.count(Revision.id))).scalar_one())


def test_validation_normalises_and_names_the_path(db_session: Session) -> None:
    office = make_office(db_session)
    phone_id = office.phones[0].id
    checked = validate_changes(
        office,
        {
            "office.country": "gh",
            "office.languages": ["fr", "en", "fr"],
            f"phones.{phone_id}.number": "030 221 3456",
            "new_phones.0": {"number": "0302213457", "kind": "hotline"},
        },
    )
    assert checked.office == {"country": "GH", "languages": ["en", "fr"], "region": None}
    assert checked.phones == {phone_id: {"number": "+233302213456"}}
    assert checked.new_phones[0]["number"] == "+233302213457"
    assert ChangeSet.of_validated(checked.paths()) == checked
    with pytest.raises(InvalidValue) as err:
        validate_changes(office, {"office.region": "GH-AA"})
    assert err.value.field == "office.region"
    with pytest.raises(InvalidValue) as err:
        validate_changes(office, {"phones.999999.number": NG_PHONE_2})
    assert err.value.field == "phones.999999"
    with pytest.raises(InvalidValue) as err:
        validate_new_contact({"office.city": "Jos"}, existing_organization=True)
    assert err.value.field == "office.country"


def test_apply_changes_writes_what_differs_and_nothing_else(db_session: Session) -> None:
    office = make_office(db_session)
    phone_id = office.phones[0].id
    version, before = office.version, _revision_count(db_session)
    same = validate_changes(
        office, {"office.city": office.city, f"phones.{phone_id}.number": NG_PHONE}
    )
    service.apply_changes(db_session, office, same, TEST_PROVENANCE)
    db_session.flush()
    assert (office.version, _revision_count(db_session)) == (version, before)

    changes = validate_changes(
        office,
        {
            "office.city": "Ikeja",
            "organization.website": "https://example.org/",
            "new_phones.0": {"number": NG_PHONE_2},
            "new_phones.1": {"number": "08031234569"},
        },
    )
    service.apply_changes(db_session, office, changes, TEST_PROVENANCE)
    now = lookup.get_office(db_session, office.id, refresh=True)
    assert now.city == "Ikeja" and now.organization.website == "https://example.org/"
    assert [(p.number, p.position) for p in now.phones] == [
        (NG_PHONE, 0),
        (NG_PHONE_2, 1),
        ("+2348031234569", 2),
    ]
    written = db_session.execute(
        select(Revision.entity, Revision.field).where(Revision.id > 0).order_by(Revision.id)
    ).all()
    assert [tuple(w) for w in written[before:]] == [
        ("office", "city"),
        ("organization", "website"),
        ("phone", "created"),
        ("phone", "created"),
    ]


def test_hsds_details_are_checked_and_applied_once_each(db_session: Session) -> None:
    office = make_office(db_session, contacts=[{"name": "Ann Persona", "source_id": "c1"}])
    phone_id = office.phones[0].id
    for path, value, field in (
        ("office.service_areas", [{"uri": "javascript:alert(1)"}], "office.service_areas.0.uri"),
        ("office.contacts", [{"name": "Ann", "phone": "1"}], "office.contacts.0.phone"),
        ("organization.identifiers", [{"identifier": "1"}], "organization.identifiers.0"),
        (f"phones.{phone_id}.extension", "x" * 21, f"phones.{phone_id}.extension"),
    ):
        with pytest.raises(InvalidValue) as err:
            validate_changes(office, {path: value})
        assert err.value.field is not None and err.value.field.startswith(field), err.value.field

    before = _revision_count(db_session)
    same = validate_changes(
        office, {"office.contacts": [{"name": "Ann Persona", "source_id": "c1"}]}
    )
    service.apply_changes(db_session, office, same, TEST_PROVENANCE)
    db_session.flush()
    assert _revision_count(db_session) == before  # no revision whose old equals new
    changes = validate_changes(
        office,
        {
            "office.contacts": [{"name": "Ann Persona", "title": "Manager", "source_id": "c1"}],
            "office.language_notes": {"en": "Evenings only"},
            f"phones.{phone_id}.extension": "12",
        },
    )
    service.apply_changes(db_session, office, changes, TEST_PROVENANCE)
    now = lookup.get_office(db_session, office.id, refresh=True)
    assert now.contacts is not None and now.contacts[0]["title"] == "Manager"
    assert now.language_notes == {"en": "Evenings only"} and now.phones[0].extension == "12"
    written = db_session.execute(
        select(Revision.entity, Revision.field).where(Revision.id > 0).order_by(Revision.id)
    ).all()
    assert sorted(tuple(w) for w in written[before:]) == [
        ("office", "contacts"),
        ("office", "language_notes"),
        ("phone", "extension"),
    ]
