"""The domain's refusals in the user's language, in a real browser (issue 17: they reached
translated pages in English): a French reviewer approving a submission that changed since
it was opened, a French officer claiming a task someone else holds, an Arabic organisation
opening its expired update link; and the reviewer's "From …" built from the submitter's
organisation and key in the page's language, not from the stored English label."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_engine, unit_of_work
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.outreach import tokens
from app.outreach.models import OutreachRequest, RequestState
from app.review.models import Submission
from app.verification import outcomes
from app.verification.models import VerificationTask
from tests.factories import make_office
from tests.review.support import correction, partner
from tests.web.scenario import Scenario
from tests.web.test_i18n_walks import _say, _sign_in, _speaks

pytestmark = pytest.mark.browser

OpenPage = Callable[[str], Page]
Database = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def database(web_database_url: str) -> Iterator[Database]:
    """Sessions on the browser tests' database (each block committed), as another user's
    change made while the page is open."""
    engine = make_engine(web_database_url)
    yield lambda: unit_of_work(engine)
    engine.dispose()


def test_a_french_reviewer_reads_the_conflict_and_the_submitter_in_french(
    open_page: OpenPage, scenario: Scenario, database: Database
) -> None:
    with database() as session:
        org, ngo = partner(session, "Réseau Marche (demo)")
        office = make_office(session, org=org, city="Lagos")
        sub = correction(session, office, ngo, office={"city": "Ikeja"})
        sub_id, version, key_name = sub.id, sub.version, ngo.name
    say = _say("fr")
    page = open_page("fr")
    _sign_in(page, scenario.keys["reviewer"], say)
    page.goto(f"/review/{sub_id}")
    _speaks(page, "fr")
    # Who sent it, from its organisation and key: French quotes, not "key '…'".
    expect(page.locator("main p.muted").first).to_contain_text(
        f"Réseau Marche (demo) — clé « {key_name} »"
    )
    expect(page.locator("main")).not_to_contain_text(f"key '{key_name}'")
    # Someone changes the submission while the reviewer reads it.
    with database() as session:
        session.execute(
            update(Submission).where(Submission.id == sub_id).values(version=version + 1)
        )
    page.get_by_role("button", name=say("Approve the ticked fields")).first.click()
    expect(page.locator("p.lead")).to_have_text(
        f"la proposition {sub_id} a changé depuis la version {version} ; elle est maintenant "
        f"en version {version + 1}. Rechargez la page"
    )
    expect(page.locator("h1")).to_have_text(say("Someone else changed this first"))


def test_a_french_officer_reads_that_another_holds_the_task_in_french(
    open_page: OpenPage, scenario: Scenario, database: Database
) -> None:
    now = utcnow()
    with database() as session:
        office = make_office(session, city="Kano")
        task = VerificationTask(office_id=office.id, due_at=now, freshness="stale", opened_at=now)
        session.add(task)
        session.flush()
        task_id = task.id
    say = _say("fr")
    page = open_page("fr")
    _sign_in(page, scenario.keys["officer"], say)
    page.goto(f"/verify/{task_id}")
    # Another desk claims it while the officer reads the page.
    with database() as session:
        held = outcomes.claim_task(
            session,
            task_id=task_id,
            actor=Principal(name="Bureau de Kano", role="officer"),
            now=utcnow(),
            settings=get_settings(),
        )
        until = held.claim_expires_at
    assert until is not None
    page.get_by_role("button", name=say("Claim this task")).click()
    # Until when, as French writes a date and time (not the API's ISO 8601).
    when = format_date(until, format="medium", locale="fr")
    expect(page.locator("p.lead")).to_contain_text(
        f"la tâche {task_id} est prise par Bureau de Kano jusqu'à {when}"
    )
    expect(page.locator("p.lead")).not_to_contain_text(until.isoformat()[:10])
    expect(page.locator("h1")).to_have_text(say("Someone else changed this first"))


def test_an_arabic_organisation_reads_that_its_link_expired_in_arabic(
    open_page: OpenPage,
    server_secret: str,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The link is signed with the server's key, as the mail it was sent in.
    settings = get_settings().model_copy(update={"secret_key": server_secret})
    monkeypatch.setattr(tokens, "get_settings", lambda: settings)
    past = utcnow() - timedelta(days=1)
    with database() as session:
        office = make_office(session, city="Rabat")
        link = tokens.new_link(office.id)
        session.add(
            OutreachRequest(
                office_id=office.id,
                organization_id=office.organization_id,
                country=office.country,
                email="contact@rabat.example",
                language="ar",
                state=RequestState.SENT.value,
                next_attempt_at=past,
                token_hash=link.token_hash,
                sent_at=past - timedelta(days=30),
                expires_at=past,
            )
        )
    page = open_page("ar")
    opened = page.goto(f"/update/{link}")
    assert opened is not None and opened.status == 410
    _speaks(page, "ar")
    expect(page.locator("h1")).to_have_text("انتهت صلاحية هذا الرابط")


def test_a_french_officer_reads_why_a_hand_made_sheet_address_is_refused_in_french(
    open_page: OpenPage, scenario: Scenario
) -> None:
    say = _say("fr")
    page = open_page("fr")
    _sign_in(page, scenario.keys["officer"], say)
    # The sheets' refusals (marked P_(), app/sheets/service.py) in the page's language.
    page.goto("/officer/sheet?country=NG&region=NG-LA&lang=fr&size=huge")
    expect(page.locator("main")).to_contain_text("format doit être « a4 » ou « pocket »")
    expect(page.locator("main")).not_to_contain_text("size must be")
    page.goto("/officer/sheet?country=NG&region=NG-LA&lang=de&size=a4")
    expect(page.locator("main")).to_contain_text("as de fiche en « de » ; langues disponibles")
    expect(page.locator("main")).not_to_contain_text("no sheet catalog")
