from __future__ import annotations

from app.kit.errors import NotFound


class OfficeNotFound(NotFound):
    def __init__(self, office_id: int) -> None:
        super().__init__(f"no contact with id {office_id}", field="id")


class OrganizationNotFound(NotFound):
    def __init__(self, organization_id: int) -> None:
        super().__init__(f"no organisation with id {organization_id}", field="id")


class PhoneNotFound(NotFound):
    def __init__(self, phone_id: int) -> None:
        super().__init__(f"no phone with id {phone_id}", field="id")
