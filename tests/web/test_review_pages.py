"""The reviewer's pages rendered in-process (no browser): the submitter said once, fields by
human name with numbers formatted, history naming the correction once, methods by name,
region names, fax numbers not dialled."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.phone_numbers import display
from app.kit.clock import utcnow
from app.review import decisions, intake
from app.verification import jobs
from app.web import labels
from tests.factories import NG_PHONE, NG_PHONE_2, make_office
from tests.interop.queued import queue_without_country
from tests.interop.spec import needs_spec
from tests.review.support import partner, principal
from tests.web.signed_in import sign_in


def test_a_submission_reads_in_human_labels(client: TestClient, db_session: Session) -> None:
    org, _ = partner(db_session, name="Example NGO")
    office = make_office(db_session)
    phone = office.phones[0]
    ngo = principal(db_session, "ngo", organization_id=org.id, name="Field team")
    sub = intake.create_submission(
        db_session,
        proposal={
            "kind": "correction",
            "office_id": office.id,
            "phones": [{"id": phone.id, "number": NG_PHONE_2}],
        },
        submitter=ngo,
        source="web",
    )
    sign_in(client, db_session, "reviewer")
    page = client.get(f"/review/{sub.id}").text
    assert "Example NGO — key &#39;Field team&#39;" in page
    assert "(key " not in page
    assert f"Phone {labels.phone_number(phone.number)} — number" in page
    assert labels.phone_number(NG_PHONE_2) in page and NG_PHONE_2 not in page.split("<form")[0]
    assert "Lagos" in page and "NG-LA" not in page.split("<h1>", 1)[1].split("</p>", 1)[0]

    decisions.approve(db_session, submission_id=sub.id, reviewer=principal(db_session, "admin"))
    history = client.get(f"/contacts/{office.id}").text
    assert f"Correction #{sub.id}" in history
    assert f"#{sub.id} #{sub.id}" not in history and f"correction #{sub.id}" not in history
    assert "Partner correction" in history and "ngo_correction" not in history


def test_the_worklist_names_regions_and_does_not_dial_a_fax(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    office = make_office(
        db_session,
        verified_at=utcnow() - timedelta(days=170),
        phones=[{"number": NG_PHONE, "kind": "voice"}, {"number": NG_PHONE_2, "kind": "fax"}],
    )
    jobs.open_due_tasks(settings=settings, sessions=lambda: nullcontext(db_session))
    sign_in(client, db_session, "reviewer")
    page = client.get("/verify").text
    listed = page.split('<ul class="contacts">', 1)[1]
    assert 'href="/verify/' in listed and "Lagos, Nigeria" in listed and "NG-LA" not in listed
    assert f'href="tel:{NG_PHONE}"' in listed
    assert f'href="tel:{NG_PHONE_2}"' not in listed
    assert display(NG_PHONE_2).national in listed and "Fax" in listed
    assert office.id is not None


@needs_spec
def test_the_queue_lists_an_import_without_a_country_under_unknown_region(
    client: TestClient, db_session: Session
) -> None:
    submission_id = queue_without_country(db_session)
    sign_in(client, db_session, "reviewer")
    queue_page = client.get("/review")
    assert queue_page.status_code == 200
    assert "Unknown Region (1)" in queue_page.text
    filtered = client.get("/review?country=ZZ")
    assert filtered.status_code == 200 and f"/review/{submission_id}" in filtered.text
    detail = client.get(f"/review/{submission_id}").text
    assert "Unknown Region" in detail and "set the country before approving" in detail
