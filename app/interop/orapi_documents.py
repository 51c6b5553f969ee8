"""ORAPI's shapes of our records beyond the HSDS export's: service_at_location documents,
`minimal` services, and the one-to-one fields of a nested document.

Built from `hsds_documents`'s documents, so ids and values are the export's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.interop.hsds_documents import service_doc
from app.interop.hsds_records import OfficeRecord
from app.interop.hsds_vocabulary import STATUS_TO_HSDS, hsds_id, iso_datetime


def one_to_one(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's own fields, without its nested lists (what ORAPI list pages carry)."""
    return {k: v for k, v in doc.items() if not isinstance(v, list)}


def minimal_service(
    office_id: int, *, name: str, status: str, updated_at: datetime
) -> dict[str, Any]:
    """`minimal=true`: a service's id and when it last changed (`last_modified`), with the
    name and status that Open Referral's service_list schema requires of every item."""
    return {
        "id": hsds_id("service", office_id),
        "name": name,
        "status": STATUS_TO_HSDS[status],
        "last_modified": iso_datetime(updated_at),
    }


def service_at_location_summary(office: OfficeRecord) -> dict[str, Any]:
    """An office as a service_at_location list item: its location and its service (with
    their organization), one-to-one fields only."""
    service = service_doc(office, with_organization=True)
    (sal,) = service["service_at_locations"]
    summary = one_to_one(service)
    summary["organization"] = one_to_one(service["organization"])
    return {**one_to_one(sal), "location": one_to_one(sal["location"]), "service": summary}


def service_at_location_doc(office: OfficeRecord) -> dict[str, Any]:
    """An office as a fully nested service_at_location: the location with its address, the
    office's phones and opening hours, and the whole service with its organization."""
    service = service_doc(office, with_organization=True)
    (sal,) = service.pop("service_at_locations")
    return {
        **sal,
        "phones": service["phones"],
        "schedules": service["schedules"],
        "service": service,
    }
