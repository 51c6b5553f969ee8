from __future__ import annotations

from app.kit.errors import InvalidValue, NotFound
from app.kit.i18n import N_


class OfficeNotFound(NotFound):
    def __init__(self, office_id: int) -> None:
        super().__init__(f"no contact with id {office_id}", field="id")


class OrganizationNotFound(NotFound):
    def __init__(self, organization_id: int) -> None:
        super().__init__(f"no organisation with id {organization_id}", field="id")


class PhoneNotFound(NotFound):
    def __init__(self, phone_id: int) -> None:
        super().__init__(f"no phone with id {phone_id}", field="id")


class FieldFixed(InvalidValue):
    """A change to a field that cannot be changed (`here`: not through this record)."""

    def __init__(self, field: str, *, here: bool = False) -> None:
        template = (
            N_("'%(field)s' cannot be changed here")
            if here
            else N_("'%(field)s' cannot be changed")
        )
        super().__init__(template, field=field, params={"field": field})
