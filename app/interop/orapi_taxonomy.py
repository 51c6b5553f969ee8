"""The Homeward taxonomy over ORAPI: `/taxonomies`, `/taxonomy_terms`, and the SQL filters
that `taxonomy_id` and `taxonomy_term_id` put on services and organizations.

The taxonomy and its terms are the ones an export writes to taxonomies.csv and
taxonomy_terms.csv (`hsds_vocabulary.TERMS`), with the same ids. They are a few dozen constants,
so they are listed from memory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, true

from app.directory.models import Office, Organization, OrganizationService, Phone
from app.directory.printable import PHONE_IS_ACTIVE
from app.interop.hsds_documents import compact
from app.interop.hsds_vocabulary import (
    TERMS,
    TERMS_BY_CODE,
    Term,
    taxonomy_doc,
    term_codes_by_id,
    term_doc,
)
from app.interop.hsds_vocabulary import (
    taxonomy_id as homeward_taxonomy_id,
)
from app.interop.orapi_paging import Answer, Listing, answer_from
from app.kit.errors import NotFound
from app.kit.text import fold


def _matches(doc: dict[str, Any], search: str | None) -> bool:
    if not search or not search.strip():
        return True
    wanted = fold(search)
    return any(wanted in fold(str(doc.get(k) or "")) for k in ("code", "name", "description"))


def _taxonomy() -> dict[str, Any]:
    return compact(taxonomy_doc())


def _term(term: Term) -> dict[str, Any]:
    return compact(term_doc(term))


def list_taxonomies(*, search: str | None, listing: Listing) -> Answer:
    """Taxonomies: Homeward publishes one, "Homeward"."""
    return answer_from([doc for doc in (_taxonomy(),) if _matches(doc, search)], listing)


def get_taxonomy(taxonomy_id: str) -> dict[str, Any]:
    """The Homeward taxonomy by its id; any other id is a 404."""
    if taxonomy_id.strip().lower() != homeward_taxonomy_id():
        raise NotFound(f"no taxonomy with id '{taxonomy_id}'", field="id")
    return _taxonomy()


def list_terms(
    *,
    search: str | None,
    taxonomy_id: str | None,
    top_only: bool,
    parent_id: str | None,
    listing: Listing,
) -> Answer:
    """Taxonomy terms. Homeward's terms are flat: every term is a top
    term, and no term has a parent, so `parent_id` matches none."""
    del top_only  # every term is a top term
    terms = [_term(t) for t in TERMS]
    if taxonomy_id is not None and taxonomy_id.strip().lower() != homeward_taxonomy_id():
        terms = []
    if parent_id is not None:
        terms = []
    return answer_from([t for t in terms if _matches(t, search)], listing)


def get_term(term_id: str) -> dict[str, Any]:
    """One term of the Homeward taxonomy by its id; any other id is a 404."""
    code = term_codes_by_id().get(term_id.strip().lower())
    if code is None:
        raise NotFound(f"no taxonomy term with id '{term_id}'", field="id")
    return _term(TERMS_BY_CODE[code])


def _has_phone(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(Phone.office_id == Office.id, PHONE_IS_ACTIVE, *conditions)


def term_condition(taxonomy_term_id: str) -> ColumnElement[bool]:
    """WHERE clause (over Office joined to Organization) for the records carrying a term:
    an unknown term matches nothing."""
    code = term_codes_by_id().get(taxonomy_term_id.strip().lower())
    if code is None:
        return false()
    kind, _, value = code.partition(":")
    match kind:
        case "category":
            return Organization.category == value
        case "service":
            return exists().where(
                OrganizationService.organization_id == Organization.id,
                OrganizationService.tag == value,
            )
        case "phone_kind":
            return _has_phone(Phone.kind == value)
        case "flag" if value == "open_24_7":
            return _has_phone(Phone.is_24_7.is_(True))
        case "flag" if value == "meets_on_arrival":
            return Office.meets_on_arrival.is_(True)
        case "flag" if value == "confidential":
            return Organization.confidential.is_(True)
        case "flag" if value == "demo":
            return Organization.is_demo.is_(True)
        case "flag" if value == "organization_closed":
            return Organization.status == "closed"
    raise AssertionError(f"term {code} has no filter")  # every term of TERMS is handled


def taxonomy_condition(taxonomy_id: str) -> ColumnElement[bool]:
    """Records with any term of this taxonomy: every record carries a Homeward category, so
    the Homeward taxonomy matches all and any other taxonomy none."""
    return true() if taxonomy_id.strip().lower() == homeward_taxonomy_id() else false()
