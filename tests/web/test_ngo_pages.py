"""The NGO partner's pages rendered in-process (no browser): its countries bound every form,
no form offers confidentiality, and "My submissions" never points at a confidential record."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.directory.phone_numbers import display
from app.review import intake
from app.review.models import Submission
from app.verification.models import VerificationEvent
from app.web import labels
from app.web.ngo.correction import current_values
from tests.factories import BR_PHONE, make_office, make_org
from tests.review.support import correction, principal, proposed_duplicate
from tests.web.signed_in import sign_in


def _queued(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(Submission)).scalar_one())


def _withdrawal_refused(
    client: TestClient, session: Session, sub: Submission, csrf: str, code: int, status: str
) -> None:
    """Withdrawing `sub` answers `code` and the submission stays `status`."""
    refused = client.post(f"/ngo/submissions/{sub.id}/withdraw", data={"csrf_token": csrf})
    assert refused.status_code == code
    session.expire_all()
    assert session.get(Submission, sub.id).status == status  # type: ignore[union-attr]


def _lagos_network(session: Session, **office: Any) -> tuple[Organization, Office]:
    """The partner Lagos Network (demo) and its office (`make_office` overrides) in Nigeria."""
    org = make_org(session, name="Lagos Network (demo)")
    return org, make_office(session, org=org, **office)


def _lagos_partner(client: TestClient, session: Session) -> str:
    """A partner working in Nigeria (it has an office there), signed in; its CSRF token."""
    org, _ = _lagos_network(session)
    return sign_in(client, session, "ngo", organization_id=org.id)


def test_contact_forms_outside_the_partners_countries_show_the_refusal(
    client: TestClient, db_session: Session
) -> None:
    csrf = _lagos_partner(client, db_session)
    nigeria = make_office(db_session)
    brazil = make_office(db_session, country="BR")
    here, there = client.get(f"/contacts/{nigeria.id}"), client.get(f"/contacts/{brazil.id}")
    assert f"/ngo/contacts/{nigeria.id}/correct" in here.text
    assert there.status_code == 200 and f"/ngo/contacts/{brazil.id}/" not in there.text
    assert "outside your organisation's countries" in there.text
    for form in ("correct", "report", "confirm"):
        assert client.get(f"/ngo/contacts/{nigeria.id}/{form}").status_code == 200
        page = client.get(f"/ngo/contacts/{brazil.id}/{form}")
        assert page.status_code == 403, form
        assert "BR is outside your organisation" in page.text
    posts = {
        "correct": {"office.city": "Campinas", "office.version": str(brazil.version)},
        "report": {"reason": "closed", "version": str(brazil.version)},
        "confirm": {"note": "still there"},
    }
    for form, data in posts.items():
        sent = client.post(
            f"/ngo/contacts/{brazil.id}/{form}",
            data={**data, "csrf_token": csrf},
            follow_redirects=False,
        )
        assert sent.status_code == 403, (form, sent.text[:300])
        assert "BR is outside your organisation" in sent.text
    assert _queued(db_session) == 0
    confirmations = select(func.count()).where(
        VerificationEvent.office_id == brazil.id, VerificationEvent.method == "ngo_network"
    )
    assert db_session.execute(confirmations).scalar_one() == 0


def test_the_new_contact_form_offers_only_the_partners_countries_and_never_confidentiality(
    client: TestClient, db_session: Session
) -> None:
    csrf = _lagos_partner(client, db_session)
    form = client.get("/ngo/new")
    assert form.status_code == 200
    assert '<option value="NG"' in form.text and '<option value="BR"' not in form.text
    assert "confidential" not in form.text.lower()
    sent = client.post(
        "/ngo/new",
        data={
            "csrf_token": csrf,
            "organization.name": "Sao Paulo Help (demo)",
            "organization.category": "ngo",
            "office.country": "BR",
            "office.region": "BR-SP",
            "new_phones.0.number": BR_PHONE,
            "new_phones.0.kind": "voice",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 403, sent.text[:300]
    assert "BR is outside your organisation" in sent.text
    assert _queued(db_session) == 0


def test_my_submissions_never_points_at_a_confidential_duplicate(
    client: TestClient, db_session: Session
) -> None:
    org, _ = _lagos_network(db_session)
    hidden = make_org(db_session, name="Zephyrine Safe House (demo)", confidential=True)
    secret = make_office(db_session, org=hidden, city="Ikeja")
    sub = proposed_duplicate(
        db_session,
        org_id=org.id,
        org_name="Example Help Desk (demo)",
        of_office_id=secret.id,
        reason="Same as the Zephyrine safe house",
    )
    sign_in(client, db_session, "ngo", organization_id=org.id)  # a colleague's key
    page = client.get("/ngo/submissions")
    assert page.status_code == 200
    assert f'id="submission-{sub.id}"' in page.text
    assert "Duplicate of an existing record." in page.text
    assert "Zephyrine" not in page.text
    assert f"/contacts/{secret.id}" not in page.text


def test_a_submission_page_shows_what_was_sent_and_withdraws_it_while_pending(
    client: TestClient, db_session: Session
) -> None:
    org, office = _lagos_network(db_session, city="Lagos")
    phone = office.phones[0]
    ngo = principal(db_session, "ngo", organization_id=org.id)
    sub = intake.create_submission(
        db_session,
        proposal={
            "kind": "correction",
            "office_id": office.id,
            "office": {"city": "Ikeja"},
            "phones": [{"id": phone.id, "kind": "whatsapp"}],
        },
        submitter=ngo,
        source="web",
    )
    csrf = sign_in(client, db_session, "ngo", organization_id=org.id)
    listing = client.get("/ngo/submissions")
    assert f'href="/ngo/submissions/{sub.id}"' in listing.text

    page = client.get(f"/ngo/submissions/{sub.id}")
    assert page.status_code == 200
    rows = page.text.split("<tbody>", 1)[1]
    assert '<th scope="row">Office city</th>' in rows
    assert '<td class="old">Lagos</td><td class="new">Ikeja</td>' in rows
    assert f"Phone {labels.phone_number(phone.number)} — kind" in rows
    assert "WhatsApp" in rows and "Voice" in rows
    assert ">Withdraw</button>" in page.text

    done = client.post(
        f"/ngo/submissions/{sub.id}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "You withdrew this submission" in after.text
    assert "<strong>Withdrawn</strong>" in after.text and ">Withdraw</button>" not in after.text
    _withdrawal_refused(client, db_session, sub, csrf, 409, "withdrawn")


def test_another_organisations_submission_page_is_not_found(
    client: TestClient, db_session: Session
) -> None:
    org, office = _lagos_network(db_session)
    ngo = principal(db_session, "ngo", organization_id=org.id)
    sub = correction(db_session, office, ngo, office={"city": "Ikeja"}, source="web")
    other = make_org(db_session, name="Other Network (demo)")
    make_office(db_session, org=other)
    csrf = sign_in(client, db_session, "ngo", organization_id=other.id)
    assert client.get(f"/ngo/submissions/{sub.id}").status_code == 404
    _withdrawal_refused(client, db_session, sub, csrf, 404, "pending")


def test_the_start_page_lists_the_partners_own_offices_first(
    client: TestClient, db_session: Session
) -> None:
    org, own = _lagos_network(db_session, name="Ikeja desk")
    other = make_office(db_session, org=make_org(db_session, name="Abuja Legal Aid (demo)"))
    nationwide = make_office(
        db_session, org=make_org(db_session, name="National Helpline (demo)"), region=None
    )
    sign_in(client, db_session, "ngo", organization_id=org.id)
    page = client.get("/ngo").text
    assert "Your organisation&#39;s offices" in page or "Your organisation's offices" in page
    mine, others = page.split('id="own-offices"', 1)[1].split("Other contacts", 1)
    assert f'href="/contacts/{own.id}"' in mine
    assert f'href="/contacts/{nationwide.id}"' not in mine
    assert f'href="/contacts/{nationwide.id}"' in others
    assert f'href="/contacts/{own.id}"' not in others
    assert f'href="/contacts/{other.id}"' not in mine


def test_forms_offer_languages_by_name_and_phones_as_dialled_in_the_country(
    client: TestClient, db_session: Session
) -> None:
    csrf = _lagos_partner(client, db_session)
    office = make_office(db_session, languages=["yo", "en"])
    phone = office.phones[0]
    national = display(phone.number)
    form = client.get(f"/ngo/contacts/{office.id}/correct").text
    assert 'name="office.languages" multiple' in form
    assert '<option value="yo" selected>Yoruba</option>' in form
    assert '<option value="fr">French</option>' in form
    assert f'value="{national.national}"' in form
    assert f"or with the country code: {national.international}." in form
    assert "Two-letter codes" not in form

    sent = client.post(
        f"/ngo/contacts/{office.id}/correct",
        data={
            **{k: v for k, v in current_values(office).items() if k != "office.languages"},
            "office.languages": ["yo", "en", "fr"],
            f"phones.{phone.id}.number": national.international,  # either form is accepted
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    sub = db_session.execute(select(Submission)).scalar_one()
    assert sub.changes == {"office.languages": ["en", "fr", "yo"]}


def test_the_error_summary_names_each_field(client: TestClient, db_session: Session) -> None:
    csrf = _lagos_partner(client, db_session)
    sent = client.post(
        "/ngo/new",
        data={
            "csrf_token": csrf,
            "organization.name": " ",
            "organization.category": "ngo",
            "office.country": "NG",
            "office.region": "NG-LA",
            "office.languages": ["yo", "en"],
        },
    )
    assert sent.status_code == 422
    summary = sent.text.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "New phone 1 — number: give at least one phone number." in summary
    assert '<option value="yo" selected>Yoruba</option>' in sent.text  # kept as chosen
    assert _queued(db_session) == 0
