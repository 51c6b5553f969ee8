"""review.findings: leaving out what the directory's checks refuse, and saying why."""

from __future__ import annotations

from typing import Any

import pytest

from app.directory.change_set import validate_new_contact
from app.kit.errors import InvalidValue
from app.review.findings import MAX_VALUE_CHARS, finding, validate_leaving_out


def _check(values: dict[str, Any]) -> Any:
    return validate_new_contact(values, existing_organization=False)


def _contact(**office: Any) -> dict[str, Any]:
    values = {"organization.name": "Casa", "organization.category": "ngo", "office.country": "NG"}
    values.update({f"office.{k}": v for k, v in office.items()})
    return values


def test_each_refused_value_is_left_out_with_its_reason() -> None:
    values = _contact(region="Nowhere", latitude=100, city="Ikeja")
    values["new_phones.0"] = {"number": "+44 1234 234567"}
    values["new_phones.1"] = {"number": "+2348031234567"}
    checked, found = validate_leaving_out(_check, values)
    assert checked.office["city"] == "Ikeja" and "latitude" not in checked.office
    assert [p["number"] for p in checked.new_phones.values()] == ["+2348031234567"]
    by_field = {f["field"]: f for f in found}
    assert set(by_field) == {"office.region", "office.latitude", "new_phones.0.number"}
    assert by_field["new_phones.0.number"]["path"] == "new_phones.0"
    assert by_field["new_phones.0.number"]["value"] == "+44 1234 234567"
    assert by_field["office.latitude"]["value"] == 100
    assert all(f["reason"] for f in found)
    assert "office.region" in values  # the caller's values are left as they were


def test_a_required_value_is_never_left_out() -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_leaving_out(_check, _contact(country="XX"))
    assert caught.value.field == "office.country"
    nameless = _contact()
    nameless["organization.name"] = ""
    with pytest.raises(InvalidValue) as caught:
        validate_leaving_out(_check, nameless)
    assert caught.value.field == "organization.name"


def test_a_long_value_is_kept_short() -> None:
    kept = finding(field="office.name", path="office.name", value="x" * 5000, reason="too long")
    assert len(kept["value"]) == MAX_VALUE_CHARS + 1
