"""What an HSDS source says of a service beyond Homeward's first fields, modelled as data:
its service areas, named contacts, accessibility, and an organisation's identifiers.

Each item keeps the id its source gave it (`source_id`), so an export writes it back into the
same row of the source and a second import matches it; an item typed in here gets one made
from its content. Stored as JSON lists on the office
and the organisation (like the structured schedules): each change is one revision.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.kit.text import LongText, OptionalShortText, ShortText


def _url(value: str) -> str:
    # Kept as the source wrote it (no trailing slash added), so it goes back out the same.
    if not value.lower().startswith(("http://", "https://")) or any(c.isspace() for c in value):
        raise ValueError("must be an http:// or https:// address")
    return value


DetailUrl = Annotated[str, Field(max_length=500), AfterValidator(_url)]
_ITEM_IDS = uuid.UUID("6f0c1b8e-3f5d-5a4e-9a51-2f3c8d7e1a90")  # the namespace of made ids
SourceId = Annotated[str, Field(min_length=1, max_length=200)]
# An email of a named person is kept as the source gives it: it is shown, never mailed.
ContactEmail = Annotated[str, Field(max_length=320)]


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source_id: SourceId | None = None

    @model_validator(mode="after")
    def _identified(self) -> Self:
        """An item without a source id gets one made from what it says, so it is exported
        as a row with an id, and importing that export again finds the same item."""
        if self.source_id is None:
            said = self.model_dump(mode="json", exclude={"source_id"}, exclude_none=True)
            text = json.dumps([type(self).__name__, said], sort_keys=True, ensure_ascii=False)
            self.source_id = str(uuid.uuid5(_ITEM_IDS, text))
        return self


class ServiceArea(_Detail):
    """Where a service is given (HSDS service_area)."""

    name: OptionalShortText | None = None
    description: LongText | None = None
    extent: LongText | None = None
    extent_type: OptionalShortText | None = None
    uri: DetailUrl | None = None


class NamedContact(_Detail):
    """A named person at the service (HSDS contact): staff data, never printed on a sheet."""

    name: OptionalShortText | None = None
    title: OptionalShortText | None = None
    department: OptionalShortText | None = None
    email: ContactEmail | None = None


class Accessibility(_Detail):
    """How the place can be reached by a person with a disability (HSDS accessibility)."""

    description: LongText | None = None
    details: LongText | None = None
    url: DetailUrl | None = None


class Identifier(_Detail):
    """An organisation's registration (HSDS organization_identifier)."""

    identifier_scheme: OptionalShortText | None = None
    identifier_type: ShortText
    identifier: ShortText


MAX_ITEMS = 50  # of each list
ServiceAreas = Annotated[list[ServiceArea], Field(max_length=MAX_ITEMS)]
NamedContacts = Annotated[list[NamedContact], Field(max_length=MAX_ITEMS)]
AccessibilityList = Annotated[list[Accessibility], Field(max_length=MAX_ITEMS)]
Identifiers = Annotated[list[Identifier], Field(max_length=MAX_ITEMS)]
# HSDS language notes ("interpretation when bilingual staff are in"), by language code.
LanguageNotes = dict[Annotated[str, Field(min_length=2, max_length=3)], LongText]

# The office's and organisation's detail fields, and the item shape of each.
OFFICE_DETAILS: dict[str, type[_Detail]] = {
    "service_areas": ServiceArea,
    "contacts": NamedContact,
    "accessibility": Accessibility,
}
ORGANIZATION_DETAILS: dict[str, type[_Detail]] = {"identifiers": Identifier}


def json_details(field: str, value: Any) -> Any:
    """A detail list as the JSON column holds it (as a change set dumps it)."""
    model = OFFICE_DETAILS.get(field) or ORGANIZATION_DETAILS.get(field)
    if model is None or not isinstance(value, list):
        return value
    return [model.model_validate(item).model_dump(mode="json") for item in value]
