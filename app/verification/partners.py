"""NGO network confirmations, and the countries each partner works in (its scope).

By default a partner works in the countries where its own organisation has offices (it knows
the local network there). A reviewer can allow another country or deny one; an explicit rule
always wins over the default. The scope bounds everything a partner does to the directory:
confirmations, corrections, closure reports and new contacts (`check_scope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.enums import OfficeStatus, VerificationMethod
from app.directory.lookup import get_office, get_organization
from app.directory.models import Office
from app.directory.provenance import Provenance
from app.directory.validation import checked_country
from app.kit.clock import utcnow
from app.kit.errors import Forbidden, NotFound
from app.kit.i18n import N_
from app.kit.principal import Principal
from app.verification.errors import OutsidePartnerScope
from app.verification.models import PartnerScope, VerificationEvent
from app.verification.service import record_verification


def default_countries(session: Session, *, organization_id: int) -> set[str]:
    """The countries where the organisation has an open office."""
    return set(
        session.execute(
            select(Office.country)
            .where(
                Office.organization_id == organization_id,
                Office.status != OfficeStatus.CLOSED.value,
            )
            .distinct()
        ).scalars()
    )


def scopes_for(session: Session, *, organization_id: int) -> Sequence[PartnerScope]:
    return (
        session.execute(
            select(PartnerScope)
            .where(PartnerScope.organization_id == organization_id)
            .order_by(PartnerScope.country)
        )
        .scalars()
        .all()
    )


def effective_countries(session: Session, *, organization_id: int) -> list[str]:
    """Where the partner may confirm now: the default countries, plus allowed, minus denied."""
    countries = default_countries(session, organization_id=organization_id)
    for rule in scopes_for(session, organization_id=organization_id):
        if rule.allowed:
            countries.add(rule.country)
        else:
            countries.discard(rule.country)
    return sorted(countries)


def _rule(session: Session, *, organization_id: int, country: str) -> PartnerScope | None:
    """The partner's own rule for one country, if it has one."""
    return session.execute(
        select(PartnerScope).where(
            PartnerScope.organization_id == organization_id, PartnerScope.country == country
        )
    ).scalar_one_or_none()


def in_scope(session: Session, *, organization_id: int, country: str) -> bool:
    """Whether the partner organisation works in `country` (its rule there, else the default)."""
    rule = _rule(session, organization_id=organization_id, country=country)
    if rule is not None:
        return rule.allowed
    return country in default_countries(session, organization_id=organization_id)


def check_scope(session: Session, *, partner: Principal, countries: Iterable[str | None]) -> None:
    """The one scope rule for every kind of NGO partner action: each of `countries` must be
    in the partner's scope, else OutsidePartnerScope (403). Staff keys have no scope."""
    if not partner.is_ngo:
        return
    if partner.organization_id is None:
        raise Forbidden(N_("only keys of a partner organisation act for partners"), field="role")
    for country in sorted({c for c in countries if c}):
        if not in_scope(session, organization_id=partner.organization_id, country=country):
            raise OutsidePartnerScope(country)


def set_scope(
    session: Session, *, organization_id: int, country: str, allowed: bool, set_by: str
) -> PartnerScope:
    """Allow or deny one partner organisation confirming offices in one country."""
    org = get_organization(session, organization_id)
    if org.category != "ngo":
        raise Forbidden(
            N_("only NGO partner organisations confirm contacts"), field="organization_id"
        )
    country = checked_country(country)
    rule = _rule(session, organization_id=organization_id, country=country)
    if rule is None:
        rule = PartnerScope(
            organization_id=organization_id, country=country, allowed=allowed, set_by=set_by
        )
        session.add(rule)
    else:
        rule.allowed, rule.set_by, rule.set_at = allowed, set_by, utcnow()
    session.flush()
    return rule


def clear_scope(session: Session, *, organization_id: int, country: str) -> None:
    """Remove a rule, so the default applies again for that country."""
    country = checked_country(country)
    rule = _rule(session, organization_id=organization_id, country=country)
    if rule is None:
        raise NotFound(
            N_("no rule for organisation %(id)s in %(country)s"),
            field="country",
            params={"id": organization_id, "country": country},
        )
    session.delete(rule)
    session.flush()


def confirm_by_partner(
    session: Session, *, office_id: int, partner: Principal, note: str | None = None
) -> VerificationEvent:
    """An NGO partner confirms that an office in its country is still correct.

    Records a verification with method `ngo_network`, by that partner. Confidential offices
    do not exist for partners (404).
    """
    if partner.organization_id is None:
        raise Forbidden(N_("only keys of a partner organisation confirm contacts"), field="role")
    office = get_office(session, office_id, viewer=partner)
    if office.status == OfficeStatus.CLOSED.value:
        raise Forbidden(N_("a closed contact cannot be confirmed"), field="status")
    check_scope(session, partner=partner, countries=[office.country])
    return record_verification(
        session,
        office_id=office_id,
        method=VerificationMethod.NGO_NETWORK.value,
        verified_by=partner.label,
        note=note,
        provenance=Provenance.by_key(
            partner, f"ngo network confirmation (organisation {partner.organization_id})"
        ),
    )


def scope_view(session: Session, *, organization_id: int) -> dict[str, object]:
    """A partner's default countries, the reviewer's rules and the effective result."""
    get_organization(session, organization_id)
    rules = scopes_for(session, organization_id=organization_id)
    return {
        "organization_id": organization_id,
        "default_countries": sorted(default_countries(session, organization_id=organization_id)),
        "rules": [
            {"country": r.country, "allowed": r.allowed, "set_by": r.set_by, "set_at": r.set_at}
            for r in rules
        ],
        "effective_countries": effective_countries(session, organization_id=organization_id),
    }
