"""Organisations: the bodies behind offices."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import AdminEditDep, OrganizationId, etag
from app.auth.dependencies import AnyRole, Editor, SessionDep
from app.directory import closing, lookup, service
from app.directory.presenter import organization_public
from app.directory.provenance import Provenance
from app.directory.schemas import (
    CloseRecord,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationUpdate,
)

router = APIRouter(prefix="/api/v1/organizations", tags=["organizations"])


@router.post("", response_model=OrganizationPublic, status_code=status.HTTP_201_CREATED)
def create_organization(
    body: OrganizationCreate, editor: Editor, session: SessionDep
) -> OrganizationPublic:
    """Create an organisation (NGO, law firm, agency, police unit…)."""
    org = service.create_organization(session, data=body, provenance=Provenance.admin_edit(editor))
    assert org.id is not None
    return organization_public(lookup.get_organization(session, org.id))


@router.get("/{organization_id}", response_model=OrganizationPublic)
def get_organization(
    organization_id: OrganizationId, viewer: AnyRole, session: SessionDep, response: Response
) -> OrganizationPublic:
    """One organisation. Confidential ones are invisible to NGO partners."""
    org = lookup.get_organization(session, organization_id, viewer=viewer)
    response.headers["ETag"] = etag(org.version)
    return organization_public(org)


@router.patch("/{organization_id}", response_model=OrganizationPublic)
def update_organization(
    organization_id: OrganizationId, body: OrganizationUpdate, edit: AdminEditDep
) -> OrganizationPublic:
    """Change an organisation. Send the version you edited (`If-Match` or `version`)."""
    org = edit.update(service.update_organization, body, organization_id=organization_id)
    edit.tag(org.version)
    return organization_public(org)


@router.post("/{organization_id}/close", response_model=OrganizationPublic)
def close_organization(
    organization_id: OrganizationId, body: CloseRecord, edit: AdminEditDep
) -> OrganizationPublic:
    """Close an organisation and all its offices: they leave every sheet.

    Send the organisation's version (`If-Match` or `version`) and a `reason` (`closed`,
    `moved`, `merged`, `duplicate`, `entered_in_error`), optionally a `note`.
    """
    org = edit.close(closing.close_organization, body, organization_id)
    edit.tag(org.version)
    return organization_public(org)
