"""Directory writes: every change is validated, versioned and written as revisions.

Functions take the session first and keyword-only plain values; they flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import BindParameter, Select, select
from sqlalchemy.orm import Session

from app.directory import revisions
from app.directory.change_set import ChangeSet
from app.directory.details import OFFICE_DETAILS, ORGANIZATION_DETAILS, json_details
from app.directory.enums import OfficeStatus, PhoneStatus
from app.directory.errors import FieldFixed, PhoneNotFound
from app.directory.geography import region_name
from app.directory.lookup import get_office, get_organization, get_phone, office_load_options
from app.directory.models import (
    Office,
    OfficeLanguage,
    Organization,
    OrganizationService,
    Phone,
    Revision,
)
from app.directory.phone_numbers import display
from app.directory.printable import PHONE_IS_ACTIVE
from app.directory.provenance import Provenance
from app.directory.schemas import (
    OfficeCreate,
    OfficeFields,
    OrganizationCreate,
    PhoneCreate,
    Schedule,
)
from app.directory.validation import (
    checked_country,
    checked_phone,
    checked_place,
    checked_region,
)
from app.kit.batches import batched
from app.kit.errors import InvalidValue, PreconditionRequired, VersionConflict
from app.kit.i18n import N_
from app.kit.models import touch
from app.kit.principal import Principal
from app.kit.text import fold

ORGANIZATION_FIELDS = (
    "name",
    "local_name",
    "category",
    "description",
    "website",
    "email",
    "confidential",
)
OFFICE_FIELDS = (
    "name",
    "country",
    "region",
    "city",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "opening_hours",
    "email",
    "website",
    "meets_on_arrival",
    "status",
)
PHONE_FIELDS = ("number", "extension", "kind", "hours", "is_24_7", "languages")
# What a source such as HSDS brings beyond those, modelled as data (the service's name and
# description, a second address line, language notes and the details of details.py).
OFFICE_DETAIL_FIELDS = (
    "service_name",
    "service_description",
    "address_2",
    "language_notes",
    *OFFICE_DETAILS,
)
# What an import brings (those, structured hours, the source's id and record): set only
# when given, so a record typed in by hand keeps its revisions as they were.
OFFICE_SOURCE_FIELDS = ("schedules", *OFFICE_DETAIL_FIELDS, "external_id", "hsds_source")
ORGANIZATION_SOURCE_FIELDS = (*ORGANIZATION_DETAILS, "hsds_source")
# The fields as columns, in the same order: for reads of plain rows.
OFFICE_FIELD_COLUMNS: tuple[Any, ...] = tuple(getattr(Office, f) for f in OFFICE_FIELDS)
PHONE_FIELD_COLUMNS: tuple[Any, ...] = tuple(getattr(Phone, f) for f in PHONE_FIELDS)


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _given_source(data: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The source fields (OFFICE_SOURCE_FIELDS…) `data` gives a value, as JSON."""
    return {f: _json(f, v) for f in fields if (v := getattr(data, f, None)) is not None}


def _json(field: str, value: Any) -> Any:
    """Schedules and details as their JSON columns hold them (a change set's are already)."""
    if field != "schedules" or not isinstance(value, list):
        return json_details(field, value)
    return [Schedule.model_validate(s).model_dump(mode="json") for s in value]


def organization_search_text(org: Organization) -> str:
    return fold(" ".join(filter(None, [org.name, org.local_name])))


def office_search_text(office: Office) -> str:
    parts = [office.name, office.service_name, office.city, office.address]
    parts.append(region_name(office.region))
    return fold(" ".join(p for p in parts if p))


def check_version(current: int, expected: int | None, *, what: str) -> None:
    """An edit names the version it was based on (else 428), and it is current (else 409)."""
    if expected is None:
        raise PreconditionRequired(
            N_("send the %(what)s's version you edited (If-Match header or 'version' field)"),
            field="version",
            params={"what": what},
        )
    if current != expected:
        raise VersionConflict(
            N_("the %(what)s changed since version %(expected)s; it is now version %(current)s"),
            field="version",
            params={"what": what, "expected": expected, "current": current},
            current_version=current,
        )


def _set_if_changed(
    record: Organization | Office | Phone, field: str, value: Any, diff: list[revisions.Change]
) -> None:
    """Set `field` to `value` when it differs, noting the change in `diff`."""
    old = getattr(record, field)
    if old != value:
        diff.append((field, old, value))
        setattr(record, field, value)


def _changed_tags(
    field: str, current: list[str], value: Iterable[Any] | None, diff: list[revisions.Change]
) -> list[str] | None:
    """A tag list (services, languages) as given, sorted and without repeats, when it differs
    from `current` (noted in `diff`); None when it is the same."""
    new = sorted({_plain(v) for v in value or []})
    if new == current:
        return None
    diff.append((field, current, new))
    return new


def _write_revisions(
    session: Session,
    record: Organization | Office | Phone,
    *,
    changes: list[revisions.Change],
    provenance: Provenance,
    office: Office | None = None,
) -> None:
    """Flush `record` (so a new one has its id) and write its revisions."""
    session.flush()
    revisions.record(session, record, changes=changes, provenance=provenance, office=office)


def _set_tags(record: Organization | Office, tags: list[str]) -> None:
    if isinstance(record, Organization):
        record.services = [OrganizationService(tag=t) for t in tags]
    else:
        record.languages = [OfficeLanguage(language=lang) for lang in tags]


def _apply_fields(
    session: Session,
    record: Organization | Office | Phone,
    fields: Mapping[str, Any],
    provenance: Provenance,
    *,
    office: Office | None = None,
) -> None:
    """Set checked fields on an organisation, an office or one of `office`'s phones, with a
    revision for each one that differs, and refresh what is derived from them (search text,
    a number's display forms)."""
    diff: list[revisions.Change] = []
    for field, raw in fields.items():
        value = _plain(raw)
        if field == "services" and isinstance(record, Organization):
            tags = _changed_tags(field, record.service_tags, value, diff)
        elif field == "languages" and isinstance(record, Office):
            tags = _changed_tags(field, record.language_codes, value, diff)
        else:
            _set_if_changed(record, field, value, diff)
            continue
        if tags is not None:
            _set_tags(record, tags)
    if not diff:
        return
    if isinstance(record, Organization):
        record.search_text = organization_search_text(record)
    elif isinstance(record, Office):
        record.search_text = office_search_text(record)
    else:
        assert office is not None
        if any(field == "number" for field, _old, _new in diff):
            _set_display(record)
        touch(office)
    touch(record)
    _write_revisions(session, record, changes=diff, provenance=provenance, office=office)


# ---- loading many -----------------------------------------------------------------------

# Ids per IN (...) list: under SQLite's bound-parameter limit.
IN_LIST_SIZE = 900


def load_offices(session: Session, office_ids: Iterable[int]) -> dict[int, Office]:
    """Several offices loaded as `get_office(..., refresh=True)` loads one, by id, in a few
    queries (ids that do not exist are left out); check each with `visible_office`."""
    out: dict[int, Office] = {}
    for chunk in batched(sorted(set(office_ids)), IN_LIST_SIZE):
        stmt = (
            select(Office)
            .where(Office.id.in_(chunk))
            .options(*office_load_options())
            .execution_options(populate_existing=True)
        )
        for office in session.execute(stmt).scalars():
            assert office.id is not None
            out[office.id] = office
    return out


# In which order a contact shows its phones (which ones: printable.PHONE_IS_ACTIVE).
PHONE_ORDER = (Phone.position, Phone.id)


def active_phones_query(
    office_ids: Iterable[Any] | BindParameter[Any], *columns: Any
) -> Select[Any]:
    """`columns` of the active phones of these offices, office by office in each office's
    phone order (the order a contact shows them in). `office_ids` may be ids, bound
    parameters, or one expanding parameter."""
    return (
        select(*columns)
        .where(Phone.office_id.in_(office_ids), PHONE_IS_ACTIVE)
        .order_by(Phone.office_id, *PHONE_ORDER)
    )


def load_organizations(
    session: Session, organization_ids: Iterable[int]
) -> dict[int, Organization]:
    """Several organisations (without their service tags) by id, in a few queries; check each
    with `visible_organization`."""
    out: dict[int, Organization] = {}
    for chunk in batched(sorted(set(organization_ids)), IN_LIST_SIZE):
        for org in session.execute(
            select(Organization).where(Organization.id.in_(chunk))
        ).scalars():
            assert org.id is not None
            out[org.id] = org
    return out


# ---- organisations ---------------------------------------------------------------------


def create_organization(
    session: Session, *, data: OrganizationCreate, provenance: Provenance
) -> Organization:
    """Create an organisation and write its 'created' revision."""
    values = {f: _plain(getattr(data, f)) for f in ORGANIZATION_FIELDS}
    values.update(_given_source(data, ORGANIZATION_SOURCE_FIELDS))
    org = Organization(**values, is_demo=data.is_demo)
    org.services = [OrganizationService(tag=_plain(t)) for t in sorted(set(data.services))]
    org.search_text = organization_search_text(org)
    session.add(org)
    snapshot = {**values, "services": [s.tag for s in org.services]}
    _write_revisions(session, org, changes=[("created", None, snapshot)], provenance=provenance)
    return org


def update_organization(
    session: Session,
    *,
    organization_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
    provenance: Provenance,
) -> Organization:
    """Apply changed fields to an organisation; a stale version raises VersionConflict."""
    org = get_organization(session, organization_id)
    check_version(org.version, expected_version, what=N_("organisation"))
    for field, raw in changes.items():
        if field != "services" and field not in (*ORGANIZATION_FIELDS, *ORGANIZATION_DETAILS):
            raise FieldFixed(field)
        if field == "name" and not _plain(raw):
            raise InvalidValue(N_("must not be blank"), field="name")
    _apply_fields(session, org, {k: _json(k, v) for k, v in changes.items()}, provenance)
    return org


def close_organization(
    session: Session,
    *,
    organization_id: int,
    provenance: Provenance,
    expected_version: int | None = None,
) -> Organization:
    """Close an organisation and every one of its offices (nothing is deleted).

    `expected_version`, when given, must be the organisation's current version.
    """
    org = get_organization(session, organization_id)
    if expected_version is not None:
        check_version(org.version, expected_version, what=N_("organisation"))
    diff: list[revisions.Change] = []
    _set_if_changed(org, "status", "closed", diff)
    if diff:
        touch(org)
        _write_revisions(session, org, changes=diff, provenance=provenance)
    office_ids = session.execute(
        select(Office.id).where(
            Office.organization_id == organization_id, Office.status != OfficeStatus.CLOSED
        )
    ).scalars()
    for office_id in list(office_ids):
        close_office(session, office_id=office_id, provenance=provenance)
    session.flush()
    return org


# ---- offices ---------------------------------------------------------------------------


def create_office(session: Session, *, data: OfficeCreate, provenance: Provenance) -> Office:
    """Create an office with its phones; country, region and phones are checked first."""
    org = session.get(Organization, data.organization_id)
    if org is None:
        raise InvalidValue(
            N_("no organisation with id %(id)s"),
            field="organization_id",
            params={"id": data.organization_id},
        )
    assert org.id is not None
    country = checked_country(data.country)
    values = {f: _plain(getattr(data, f)) for f in OFFICE_FIELDS}
    values.update(_given_source(data, OFFICE_SOURCE_FIELDS))
    values.update(country=country, region=checked_region(country, data.region))
    phones = [
        _phone_fields(p, checked_phone(p.number, country, field=f"phones[{i}].number"))
        for i, p in enumerate(data.phones)
    ]
    return _insert_office(session, org.id, values, data.languages, phones, provenance)


def _insert_office(
    session: Session,
    organization_id: int,
    values: Mapping[str, Any],
    languages: Iterable[str],
    phones: Sequence[Mapping[str, Any]],
    provenance: Provenance,
) -> Office:
    """Insert a checked office (OFFICE_FIELDS) with its phones and its 'created' revision."""
    langs = sorted(set(languages))
    office = Office(**values, organization_id=organization_id)
    _set_tags(office, langs)
    office.search_text = office_search_text(office)
    session.add(office)
    session.flush()
    assert office.id is not None
    for position, fields in enumerate(phones):
        session.add(_new_phone(office.id, fields, position))
    numbers = [p["number"] for p in phones]
    snapshot = {**values, "organization_id": organization_id, "languages": langs, "phones": numbers}
    _write_revisions(session, office, changes=[("created", None, snapshot)], provenance=provenance)
    return office


def update_office(
    session: Session,
    *,
    office_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
    provenance: Provenance,
) -> Office:
    """Apply changed fields to an office; a stale version raises VersionConflict.

    Returns the office; when nothing differs, nothing is written and the version stays.
    """
    office = get_office(session, office_id, refresh=True)
    check_version(office.version, expected_version, what=N_("contact"))
    return apply_office_changes(session, office=office, changes=changes, provenance=provenance)


def apply_office_changes(
    session: Session, *, office: Office, changes: Mapping[str, Any], provenance: Provenance
) -> Office:
    """Validate and apply changes to a loaded office (version already checked by the caller)."""
    plain = {k: _json(k, _plain(v)) for k, v in changes.items()}
    plain.update(checked_place(plain, country_now=office.country, region_now=office.region))
    for field in plain:
        if field != "languages" and field not in (*OFFICE_FIELDS, *OFFICE_SOURCE_FIELDS):
            raise FieldFixed(field, here=True)
    _apply_fields(session, office, plain, provenance)
    return office


def close_office(
    session: Session,
    *,
    office_id: int,
    provenance: Provenance,
    expected_version: int | None = None,
    status: OfficeStatus = OfficeStatus.CLOSED,
) -> Office:
    """Close an office (a status, never a delete); it leaves every sheet at once."""
    office = get_office(session, office_id, refresh=True)
    if expected_version is not None:
        check_version(office.version, expected_version, what=N_("contact"))
    return apply_office_changes(
        session, office=office, changes={"status": status}, provenance=provenance
    )


# ---- phones ----------------------------------------------------------------------------


def _set_display(phone: Phone) -> None:
    shown = display(phone.number)
    phone.national, phone.international = shown.national, shown.international
    phone.number_type = shown.type


def _phone_fields(data: PhoneCreate, number: str) -> dict[str, Any]:
    """A new phone's fields (PHONE_FIELDS) from its schema, with its checked number."""
    return {
        "number": number,
        "extension": data.extension,
        "kind": _plain(data.kind),
        "hours": data.hours,
        "is_24_7": data.is_24_7,
        "languages": sorted(set(data.languages)),
    }


def _new_phone(office_id: int, fields: Mapping[str, Any], position: int) -> Phone:
    shown = display(fields["number"])
    return Phone(
        office_id=office_id,
        number=fields["number"],
        national=shown.national,
        international=shown.international,
        number_type=shown.type,
        extension=fields.get("extension"),
        kind=_plain(fields["kind"]),
        hours=fields.get("hours"),
        is_24_7=bool(fields.get("is_24_7", False)),
        languages=list(fields.get("languages") or []),
        position=position,
    )


def _add_phone(
    session: Session, office: Office, fields: Mapping[str, Any], provenance: Provenance
) -> Phone:
    """Add a checked phone after the office's others, with its 'created' revision."""
    assert office.id is not None
    phone = _new_phone(office.id, fields, position=len(office.phones))
    office.phones.append(phone)
    touch(office)
    _write_revisions(
        session,
        phone,
        office=office,
        changes=[("created", None, {f: getattr(phone, f) for f in PHONE_FIELDS})],
        provenance=provenance,
    )
    return phone


def add_phone(
    session: Session, *, office_id: int, data: PhoneCreate, provenance: Provenance
) -> Phone:
    """Add a phone to an office, parsed in the office's country."""
    office = get_office(session, office_id, refresh=True)
    number = checked_phone(data.number, office.country)
    return _add_phone(session, office, _phone_fields(data, number), provenance)


def update_phone(
    session: Session,
    *,
    phone_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
    provenance: Provenance,
) -> Phone:
    """Change a phone; the number is re-parsed in the office's country."""
    phone = get_phone(session, phone_id)
    check_version(phone.version, expected_version, what=N_("phone"))
    return apply_phone_changes(session, phone=phone, changes=changes, provenance=provenance)


def apply_phone_changes(
    session: Session, *, phone: Phone, changes: Mapping[str, Any], provenance: Provenance
) -> Phone:
    office = session.get(Office, phone.office_id)
    assert office is not None
    checked: dict[str, Any] = {}
    for field, raw in changes.items():
        value = _plain(raw)
        if field == "number":
            value = checked_phone(value, office.country, field="number")
        elif field == "languages":
            value = sorted(set(value or []))
        elif field == "status":
            value = PhoneStatus(value).value
        elif field not in PHONE_FIELDS:
            raise FieldFixed(field)
        checked[field] = value
    _apply_fields(session, phone, checked, provenance, office=office)
    return phone


def close_phone(
    session: Session, *, phone_id: int, provenance: Provenance, expected_version: int | None = None
) -> Phone:
    """Mark a number disconnected; it stays in history and leaves every sheet.

    `expected_version`, when given, must be the phone's current version.
    """
    phone = get_phone(session, phone_id)
    if expected_version is not None:
        check_version(phone.version, expected_version, what=N_("phone"))
    return apply_phone_changes(
        session, phone=phone, changes={"status": PhoneStatus.DISCONNECTED}, provenance=provenance
    )


# ---- change sets -----------------------------------------------------------------------


def apply_changes(
    session: Session, office: Office, change_set: ChangeSet, provenance: Provenance
) -> Office:
    """Apply a change set made for this loaded office (`change_set.validate_changes`) as it
    is, without checking it again: its office fields, organisation fields, phones and new
    phones, each record with a revision per field that differs (none when nothing does).
    Versions and conflicts are the caller's to check."""
    if change_set.office:
        _apply_fields(session, office, change_set.office, provenance)
    if change_set.organization:
        _apply_fields(session, office.organization, change_set.organization, provenance)
    phones = {p.id: p for p in office.phones}
    for phone_id, fields in change_set.phones.items():
        phone = phones.get(phone_id)
        if phone is None:
            raise PhoneNotFound(phone_id)
        _apply_fields(session, phone, fields, provenance, office=office)
    for fields in change_set.new_phones.values():
        _add_phone(session, office, fields, provenance)
    return office


def create_contact(
    session: Session, change_set: ChangeSet, *, organization_id: int | None, provenance: Provenance
) -> Office:
    """A new contact from the change set `change_set.validate_new_contact` made, as it is,
    without checking it again; its organisation too, unless it joins `organization_id`."""
    if organization_id is None:
        data = OrganizationCreate.model_construct(**change_set.organization)
        organization_id = create_organization(session, data=data, provenance=provenance).id
    assert organization_id is not None
    office = OfficeFields.model_construct(**change_set.office)  # the defaults it leaves out
    values = {f: _plain(getattr(office, f)) for f in OFFICE_FIELDS}
    values.update(_given_source(office, OFFICE_SOURCE_FIELDS))
    phones = list(change_set.new_phones.values())
    return _insert_office(session, organization_id, values, office.languages, phones, provenance)


def office_history(
    session: Session, *, office_id: int, viewer: Principal | None = None
) -> Sequence[Revision]:
    office = get_office(session, office_id, viewer=viewer)
    return revisions.for_office(
        session, office_id=office_id, organization_id=office.organization_id
    )
