"""Requests that name one thing in one of two ways take exactly one of them."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.review.schemas import DuplicateRequest, NewContactCreate

NEW_ORG = {"name": "Help", "category": "ngo"}
OFFICE = {"country": "NG"}


@pytest.mark.parametrize(
    ("model", "body", "message"),
    [
        (DuplicateRequest, {}, "send either 'of_submission_id' or 'of_office_id'"),
        (
            DuplicateRequest,
            {"of_submission_id": 1, "of_office_id": 2},
            "send either 'of_submission_id' or 'of_office_id'",
        ),
        (
            NewContactCreate,
            {"kind": "new_contact", "office": OFFICE},
            "send either 'organization' (a new one) or 'organization_id'",
        ),
        (
            NewContactCreate,
            {
                "kind": "new_contact",
                "office": OFFICE,
                "organization": NEW_ORG,
                "organization_id": 3,
            },
            "send either 'organization' (a new one) or 'organization_id'",
        ),
    ],
)
def test_neither_or_both_is_refused(
    model: type[BaseModel], body: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    assert [e["msg"] for e in caught.value.errors()] == [f"Value error, {message}"]


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (DuplicateRequest, {"of_office_id": 2}),
        (DuplicateRequest, {"of_submission_id": 1}),
        (NewContactCreate, {"kind": "new_contact", "office": OFFICE, "organization_id": 3}),
        (NewContactCreate, {"kind": "new_contact", "office": OFFICE, "organization": NEW_ORG}),
    ],
)
def test_exactly_one_is_accepted(model: type[BaseModel], body: dict[str, Any]) -> None:
    model.model_validate(body)
