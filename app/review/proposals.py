"""A proposal's field paths checked against the directory's rules, and normalised.

Used by intake (what is queued is already normalised) and by approval (the reviewer's
selection and edits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.directory.enums import PhoneStatus
from app.directory.models import Office
from app.directory.schemas import (
    OfficeUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    PhoneCreate,
    PhoneUpdate,
)
from app.directory.validation import checked_country, checked_phone, checked_region
from app.kit.errors import InvalidValue
from app.review import diff
from app.review.schemas import NewContactOffice

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Mapping[str, Any], *, prefix: str) -> M:
    """Validate with a directory schema; the first error becomes a 422 naming the path."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        name = ".".join(p for p in (prefix, loc) if p) or "body"
        raise InvalidValue(str(err["msg"]).removeprefix("Value error, "), field=name) from exc


def _parse(path: str, *, field_name: str | None = None) -> diff.Path:
    try:
        return diff.Path.parse(path)
    except ValueError as exc:
        raise InvalidValue(str(exc), field=field_name or path) from exc


def _sorted_unique(value: Any) -> Any:
    return sorted(set(value)) if isinstance(value, list) else value


def _normalise_phone(data: Mapping[str, Any], country: str, *, prefix: str) -> dict[str, Any]:
    phone = validated(PhoneCreate, data, prefix=prefix).model_dump(mode="json", warnings=False)
    phone["number"] = checked_phone(phone["number"], country, field=f"{prefix}.number")
    phone["languages"] = sorted(set(phone["languages"]))
    return phone


def normalise_correction(office: Office, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check path -> value against the directory's rules for this office and return the
    normalised values (E.164 numbers, upper-case codes, sorted lists). Raises InvalidValue."""
    office_f: dict[str, Any] = {}
    org_f: dict[str, Any] = {}
    phone_f: dict[int, dict[str, Any]] = {}
    new_f: dict[int, Any] = {}
    for path, value in values.items():
        where = _parse(path)
        if where.entity == "office":
            office_f[where.field] = value
        elif where.entity == "organization":
            org_f[where.field] = value
        elif where.entity == "phone":
            assert where.entity_id is not None
            phone_f.setdefault(where.entity_id, {})[where.field] = value
        else:
            new_f[int(where.field)] = value

    out: dict[str, Any] = {}
    country = office.country
    if office_f:
        if "version" in office_f:
            raise InvalidValue("'version' is not a field to change", field="office.version")
        checked = validated(OfficeUpdate, office_f, prefix="office").model_dump(
            mode="json", warnings=False, include=set(office_f)
        )
        country = checked_country(checked.get("country", office.country), field="office.country")
        if "country" in checked:
            checked["country"] = country
        if "region" in checked:
            checked["region"] = checked_region(country, checked["region"], field="office.region")
        elif country != office.country and office.region is not None:
            # A region belongs to one country: moving country clears it unless one is given.
            checked["region"] = None
        if "languages" in checked:
            checked["languages"] = _sorted_unique(checked["languages"])
        out.update({f"office.{k}": v for k, v in checked.items()})
    if org_f:
        if "confidential" in org_f:
            raise InvalidValue(
                "a submission cannot change confidentiality; ask an admin",
                field="organization.confidential",
            )
        if "version" in org_f:
            raise InvalidValue("'version' is not a field to change", field="organization.version")
        checked = validated(OrganizationUpdate, org_f, prefix="organization").model_dump(
            mode="json", warnings=False, include=set(org_f)
        )
        if "services" in checked:
            checked["services"] = _sorted_unique(checked["services"])
        out.update({f"organization.{k}": v for k, v in checked.items()})
    phones = {p.id: p for p in office.phones}
    for phone_id, fields in phone_f.items():
        prefix = f"phones.{phone_id}"
        if phone_id not in phones:
            raise InvalidValue(f"phone {phone_id} is not a phone of this contact", field=prefix)
        fields = dict(fields)
        status = fields.pop("status", None)
        if "version" in fields or "id" in fields:
            raise InvalidValue("not a field to change", field=f"{prefix}.version")
        checked = validated(PhoneUpdate, fields, prefix=prefix).model_dump(
            mode="json", warnings=False, include=set(fields)
        )
        if "number" in checked:
            checked["number"] = checked_phone(checked["number"], country, field=f"{prefix}.number")
        if "languages" in checked:
            checked["languages"] = _sorted_unique(checked["languages"])
        if status is not None:
            try:
                checked["status"] = PhoneStatus(status).value
            except ValueError as exc:
                raise InvalidValue(
                    "must be 'active' or 'disconnected'", field=f"{prefix}.status"
                ) from exc
        out.update({f"{prefix}.{k}": v for k, v in checked.items()})
    for index, data in sorted(new_f.items()):
        if not isinstance(data, Mapping):
            raise InvalidValue("must be a phone object", field=f"new_phones.{index}")
        out[f"new_phones.{index}"] = _normalise_phone(data, country, prefix=f"new_phones.{index}")
    return out


def normalise_new_contact(
    values: Mapping[str, Any], *, existing_organization: bool
) -> dict[str, Any]:
    """Check a new contact's path -> value with the directory's create rules; normalised."""
    org_f: dict[str, Any] = {}
    office_f: dict[str, Any] = {}
    new_f: dict[int, Any] = {}
    for path, value in values.items():
        where = _parse(path)
        if where.entity == "organization" and not existing_organization:
            org_f[where.field] = value
        elif where.entity == "office":
            office_f[where.field] = value
        elif where.entity == "new_phone":
            new_f[int(where.field)] = value
        else:
            raise InvalidValue("not a field of a new contact", field=path)
    out: dict[str, Any] = {}
    if not existing_organization:
        org = validated(OrganizationCreate, org_f, prefix="organization")
        dumped = org.model_dump(mode="json", warnings=False, include=set(org_f))
        if "services" in dumped:
            dumped["services"] = _sorted_unique(dumped["services"])
        out.update({f"organization.{k}": v for k, v in dumped.items()})
    if "phones" in office_f:
        raise InvalidValue("phones are 'new_phones.<n>'", field="office.phones")
    office = validated(NewContactOffice, office_f, prefix="office")
    dumped = office.model_dump(mode="json", warnings=False, include=set(office_f))
    country = checked_country(office.country, field="office.country")
    dumped["country"] = country
    if "region" in dumped:
        dumped["region"] = checked_region(country, dumped["region"], field="office.region")
    if "languages" in dumped:
        dumped["languages"] = _sorted_unique(dumped["languages"])
    out.update({f"office.{k}": v for k, v in dumped.items()})
    for index, data in sorted(new_f.items()):
        if not isinstance(data, Mapping):
            raise InvalidValue("must be a phone object", field=f"new_phones.{index}")
        out[f"new_phones.{index}"] = _normalise_phone(data, country, prefix=f"new_phones.{index}")
    return out
