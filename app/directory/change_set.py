"""A change set: changes to one office, its organisation and its phones, checked once with the
directory's rules and normalised (E.164 numbers, upper-case codes, sorted tag lists).

Changes are addressed by path: `office.<field>`, `organization.<field>`,
`phones.<phone id>.<field>`, `new_phones.<n>` (a whole new phone). `validate_changes` makes a
change set for an existing office and `validate_new_contact` one for a new contact;
`service.apply_changes` applies a change set as it is, without checking it again. A set
kept as paths (the review queue stores them) comes back with `ChangeSet.of_validated`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.directory.enums import PhoneStatus
from app.directory.models import Office
from app.directory.schemas import (
    OfficeFields,
    OfficeFieldsCountryPending,
    OfficeUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    PhoneCreate,
    PhoneUpdate,
)
from app.directory.validation import (
    checked_country,
    checked_model,
    checked_phone,
    checked_place,
    checked_region,
)
from app.kit.errors import InvalidValue
from app.kit.i18n import N_
from app.kit.text import is_whole_number


@dataclass(frozen=True)
class ChangePath:
    entity: str  # office | organization | phone | new_phone
    entity_id: int | None
    field: str

    @classmethod
    def parse(cls, path: str) -> ChangePath:
        parts = path.split(".")
        if len(parts) == 2 and parts[0] in ("office", "organization"):
            return cls(parts[0], None, parts[1])
        if len(parts) == 3 and parts[0] == "phones" and is_whole_number(parts[1]):
            return cls("phone", int(parts[1]), parts[2])
        if len(parts) == 2 and parts[0] == "new_phones" and is_whole_number(parts[1]):
            return cls("new_phone", None, parts[1])
        raise ValueError(f"'{path}' is not a field path")


def _parsed(path: str) -> ChangePath:
    try:
        return ChangePath.parse(path)
    except ValueError as exc:
        raise InvalidValue(str(exc), field=path) from exc


@dataclass(frozen=True)
class ChangeSet:
    """Checked, normalised values by record: `office` and `organization` field -> value,
    `phones` phone id -> field -> value, `new_phones` n -> a whole phone (`number` in E.164).
    """

    office: Mapping[str, Any] = field(default_factory=dict)
    organization: Mapping[str, Any] = field(default_factory=dict)
    phones: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    new_phones: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of_validated(cls, values: Mapping[str, Any]) -> ChangeSet:
        """A change set from its paths (`paths()`), as they are: only for values a
        `validate_changes` or `validate_new_contact` returned."""
        return _by_record(values)

    def paths(self) -> dict[str, Any]:
        """path -> value, the form the review queue stores."""
        out = {f"office.{k}": v for k, v in self.office.items()}
        out.update({f"organization.{k}": v for k, v in self.organization.items()})
        for phone_id, fields in self.phones.items():
            out.update({f"phones.{phone_id}.{k}": v for k, v in fields.items()})
        out.update({f"new_phones.{n}": v for n, v in self.new_phones.items()})
        return out

    def only(self, paths: Iterable[str]) -> ChangeSet:
        """The changes at `paths`, still consistent: a region belongs to one country, so a set
        that moves the office's country gives its region only with it, and its country alone
        clears the office's region."""
        wanted = set(paths)
        values = {p: v for p, v in self.paths().items() if p in wanted}
        if "country" in self.office:
            if "office.region" in values and "office.country" not in values:
                raise InvalidValue(
                    N_("a region of %(country)s: approve office.country with it"),
                    field="office.region",
                    params={"country": self.office["country"]},
                )
            if "office.country" in values and "region" in self.office:
                values.setdefault("office.region", None)
        return ChangeSet.of_validated(values)

    def merged(self, other: ChangeSet) -> ChangeSet:
        """This set with `other`'s values put over its own."""
        return ChangeSet.of_validated({**self.paths(), **other.paths()})


def _by_record(values: Mapping[str, Any]) -> ChangeSet:
    """path -> value split by record (each path parsed once), values untouched."""
    office: dict[str, Any] = {}
    organization: dict[str, Any] = {}
    phones: dict[int, dict[str, Any]] = {}
    new_phones: dict[int, Any] = {}
    for path, value in values.items():
        where = _parsed(path)
        if where.entity == "office":
            office[where.field] = value
        elif where.entity == "organization":
            organization[where.field] = value
        elif where.entity == "phone":
            assert where.entity_id is not None
            phones.setdefault(where.entity_id, {})[where.field] = value
        else:
            new_phones[int(where.field)] = value
    return ChangeSet(office, organization, phones, dict(sorted(new_phones.items())))


def _sorted_unique(value: Any) -> Any:
    return sorted(set(value)) if isinstance(value, list) else value


def _dumped(model: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    return dict(model.model_dump(mode="json", warnings=False, include=set(fields)))


def _new_phone(data: Any, country: str, *, prefix: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidValue(N_("must be a phone object"), field=prefix)
    phone = checked_model(PhoneCreate, data, prefix=prefix).model_dump(mode="json", warnings=False)
    phone["number"] = checked_phone(phone["number"], country, field=f"{prefix}.number")
    phone["languages"] = sorted(set(phone["languages"]))
    return phone


def _office_changes(
    office: Office, fields: Mapping[str, Any], *, country: str | None
) -> dict[str, Any]:
    if "version" in fields:
        raise InvalidValue(N_("'version' is not a field to change"), field="office.version")
    checked = _dumped(checked_model(OfficeUpdate, fields, prefix="office"), fields)
    checked.update(
        checked_place(
            checked,
            country_now=country or office.country,
            region_now=office.region,
            prefix="office.",
        )
    )
    if "languages" in checked:
        checked["languages"] = _sorted_unique(checked["languages"])
    return checked


def _organization_changes(fields: Mapping[str, Any]) -> dict[str, Any]:
    if "confidential" in fields:
        raise InvalidValue(
            N_("a submission cannot change confidentiality; ask an admin"),
            field="organization.confidential",
        )
    if "version" in fields:
        raise InvalidValue(N_("'version' is not a field to change"), field="organization.version")
    checked = _dumped(checked_model(OrganizationUpdate, fields, prefix="organization"), fields)
    if "services" in checked:
        checked["services"] = _sorted_unique(checked["services"])
    return checked


def _phone_changes(fields: Mapping[str, Any], country: str, *, prefix: str) -> dict[str, Any]:
    fields = dict(fields)
    status = fields.pop("status", None)
    if "version" in fields or "id" in fields:
        raise InvalidValue(N_("not a field to change"), field=f"{prefix}.version")
    checked = _dumped(checked_model(PhoneUpdate, fields, prefix=prefix), fields)
    if "number" in checked:
        checked["number"] = checked_phone(checked["number"], country, field=f"{prefix}.number")
    if "languages" in checked:
        checked["languages"] = _sorted_unique(checked["languages"])
    if status is not None:
        try:
            checked["status"] = PhoneStatus(status).value
        except ValueError as exc:
            raise InvalidValue(
                N_("must be 'active' or 'disconnected'"), field=f"{prefix}.status"
            ) from exc
    return checked


def validate_changes(
    office: Office, values: Mapping[str, Any], *, country: str | None = None
) -> ChangeSet:
    """Check path -> value against the directory's rules for this office; raises
    InvalidValue naming the path. Regions and numbers are checked in the country the values
    give, else `country` (that of changes they join), else the office's."""
    given = _by_record(values)
    office_f = _office_changes(office, given.office, country=country) if given.office else {}
    in_country = office_f.get("country") or country or office.country
    org_f = _organization_changes(given.organization) if given.organization else {}
    own = {p.id for p in office.phones}
    phone_f: dict[int, dict[str, Any]] = {}
    for phone_id, fields in given.phones.items():
        prefix = f"phones.{phone_id}"
        if phone_id not in own:
            raise InvalidValue(
                N_("phone %(id)s is not a phone of this contact"),
                field=prefix,
                params={"id": phone_id},
            )
        phone_f[phone_id] = _phone_changes(fields, in_country, prefix=prefix)
    new_f = {
        n: _new_phone(data, in_country, prefix=f"new_phones.{n}")
        for n, data in given.new_phones.items()
    }
    return ChangeSet(office_f, org_f, phone_f, new_f)


def validate_new_contact(
    values: Mapping[str, Any], *, existing_organization: bool, country_pending: bool = False
) -> ChangeSet:
    """Check a new contact's path -> value with the directory's create rules (an
    organisation's too unless it joins an existing one); raises InvalidValue naming the path.

    `country_pending` (an import whose source gives no country) lets `office.country` be
    absent: a reviewer gives it before approval. Without it, a region or a number cannot be
    checked, so either is refused (and an import leaves it out as a finding)."""
    given = _by_record(values)
    if given.phones:
        raise InvalidValue(N_("not a field of a new contact"), field=next(iter(given.paths())))
    if given.organization and existing_organization:
        path = next(p for p in given.paths() if p.startswith("organization."))
        raise InvalidValue(N_("not a field of a new contact"), field=path)
    org_f: dict[str, Any] = {}
    if not existing_organization:
        org = checked_model(OrganizationCreate, given.organization, prefix="organization")
        org_f = _dumped(org, given.organization)
        if "services" in org_f:
            org_f["services"] = _sorted_unique(org_f["services"])
    if "phones" in given.office:
        raise InvalidValue(N_("phones are 'new_phones.<n>'"), field="office.phones")
    model = OfficeFieldsCountryPending if country_pending else OfficeFields
    office = checked_model(model, given.office, prefix="office")
    office_f = _dumped(office, given.office)
    if "languages" in office_f:
        office_f["languages"] = _sorted_unique(office_f["languages"])
    if office.country is None:
        office_f.pop("country", None)
        if office_f.get("region"):
            raise InvalidValue(
                _NEEDS_COUNTRY, field="office.region", params={"what": N_("a region")}
            )
        if given.new_phones:
            first = f"new_phones.{next(iter(given.new_phones))}.number"
            raise InvalidValue(_NEEDS_COUNTRY, field=first, params={"what": N_("a number")})
        return ChangeSet(office_f, org_f, {}, {})
    country = checked_country(office.country, field="office.country")
    office_f["country"] = country
    if "region" in office_f:
        office_f["region"] = checked_region(country, office_f["region"], field="office.region")
    new_f = {
        n: _new_phone(data, country, prefix=f"new_phones.{n}")
        for n, data in given.new_phones.items()
    }
    return ChangeSet(office_f, org_f, {}, new_f)


_NEEDS_COUNTRY = N_(
    "%(what)s is checked in its country, and no country is given yet: set office.country"
)
