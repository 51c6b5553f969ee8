"""Every page in the language of its user: each shipped language renders every main page of
every role (real ASGI app, real database) without one message id its catalog lacks; the
catalogs are complete and agree with the templates; the language is negotiated, switched on
any page and remembered; the JSON API stays English."""

from __future__ import annotations

import gettext
import html
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.auth.models import BrowserSession
from app.config import PROJECT_ROOT
from app.directory.errors import FieldFixed
from app.directory.service import check_version
from app.kit.database_errors import RETRY_BUSY, RETRY_DOWN, _unavailable
from app.kit.errors import HomewardError, InvalidValue
from app.kit.i18n import N_
from app.main import create_app
from app.outreach.errors import MailWithheld
from app.review.errors import SubmissionAlreadyDecided
from app.review.models import Submission
from app.sheets.blocklist import blocklist
from app.sheets.errors import SheetRefused
from app.sheets.render import guard
from app.sheets.service import checked_params
from app.verification.models import TaskState, VerificationTask
from app.web import i18n
from app.web.forms import in_page_language
from app.web.language import LANGUAGE_COOKIE, accepted_languages, negotiate
from tests.web.scenario import Scenario, seed
from tests.web.signed_in import csrf_token, sign_in_secret

WEB = PROJECT_ROOT / "app" / "web"
POT = WEB / "locale" / "web.pot"
SHIPPED = tuple(lang for lang in i18n.web_languages() if i18n.catalog_path(lang).exists())
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _translated(lang: str) -> set[str]:
    """The msgids `lang`'s catalog translates (every plural form filled, not fuzzy)."""
    catalog = _read(i18n.catalog_path(lang), lang)
    done = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(forms):
            done.add(_key(message.id))
    return done


class RecordingTranslations(gettext.NullTranslations):
    """The language's real catalog, noting every msgid asked for that it does not translate."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self.real = i18n.compile_po(i18n.catalog_path(lang), lang=lang, domain=i18n.DOMAIN)
        self.known = _translated(lang)
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        if message not in self.known:
            self.missing.add(message)
        return self.real.gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if msgid1 not in self.known:
            self.missing.add(msgid1)
        return self.real.ngettext(msgid1, msgid2, n)


def _pages(session: Session, scenario: Scenario) -> dict[str, list[str]]:
    """The main pages of each role, on the scenario's directory."""
    task = session.execute(
        select(VerificationTask.id).where(VerificationTask.state == TaskState.OPEN).limit(1)
    ).scalar_one()
    submission = session.execute(select(Submission.id).limit(1)).scalar_one()
    ngo, tirana = scenario.offices["ngo"], scenario.offices["tirana"]
    staff = [
        "/officer",
        "/officer/contacts?country=NG",
        "/officer/contacts?country=NG&region=NG-LA&category=ngo&freshness=verified&arrival=1",
        "/officer/contacts?country=NG&region=NG-XX",
        f"/contacts/{ngo}",
        f"/contacts/{tirana}",
        "/coverage?country=NG",
        "/officer/sheet",
        "/officer/sheet?country=NG&region=NG-LA&lang=fr&size=a4",
        "/verify",
        f"/verify/{task}",
    ]
    return {
        "anonymous": ["/signin", "/no-such-page"],
        "officer": staff,
        "ngo": [
            "/ngo",
            "/ngo?country=NG&region=NG-LA",
            "/ngo/new",
            "/ngo/submissions",
            f"/ngo/submissions/{submission}",
            f"/contacts/{ngo}",
            f"/ngo/contacts/{ngo}/correct",
            f"/ngo/contacts/{ngo}/report",
            f"/ngo/contacts/{ngo}/confirm",
            "/review",
        ],
        "reviewer": [*staff, "/review", f"/review/{submission}", "/digest"],
        "admin": ["/admin/keys", "/admin/audit", "/admin/keys/1/revoke", "/review"],
    }


@pytest.fixture
def recorder(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[RecordingTranslations]:
    recording = RecordingTranslations(request.param)
    monkeypatch.setattr(i18n, "translations", lambda lang: recording)
    yield recording


@pytest.mark.parametrize("recorder", SHIPPED, indirect=True)
def test_every_main_page_of_every_role_is_fully_translated(
    client: TestClient, db_session: Session, recorder: RecordingTranslations
) -> None:
    scenario = seed(db_session)
    code = recorder.lang
    client.cookies.set(LANGUAGE_COOKIE, code)
    # A partner's correction, so the review pages and "My submissions" show one.
    partner_csrf = sign_in_secret(client, scenario.keys["ngo"])
    office = scenario.offices["partner"]
    form = client.get(f"/ngo/contacts/{office}/correct").text
    version = re.search(r'name="office.version" value="(\d+)"', form)
    assert version is not None
    sent = client.post(
        f"/ngo/contacts/{office}/correct",
        data={
            "office.city": "Ikeja",
            "office.version": version.group(1),
            "csrf_token": partner_csrf,
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    # A form sent with mistakes shows its error summary and the messages of app/web/forms.
    wrong = client.post(
        "/ngo/new",
        data={"office.country": "NG", "csrf_token": partner_csrf},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert 'class="error-summary"' in wrong.text

    for role, paths in _pages(db_session, scenario).items():
        client.cookies.delete("hw_session")
        if role != "anonymous":
            sign_in_secret(client, scenario.keys[role])
        for path in paths:
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code in (200, 403, 404, 422), (role, path, page.status_code)
            assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in page.text
    assert not recorder.missing, sorted(recorder.missing)


@pytest.mark.parametrize("lang", SHIPPED)
def test_a_catalog_translates_every_message_with_the_same_placeholders(lang: str) -> None:
    template = _read(POT)
    catalog = _read(i18n.catalog_path(lang), lang)
    translated = {_key(m.id): m for m in catalog if m.id}
    for message in template:
        if not message.id:
            continue
        key = _key(message.id)
        assert key in translated, (lang, key)
        found = translated[key]
        assert not found.fuzzy, (lang, key)
        forms = found.string if isinstance(found.string, tuple) else (found.string,)
        assert all(forms), (lang, key)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for form in forms:
            # A plural form may leave out the count ("one contact"), never add or rename one.
            assert set(PLACEHOLDER.findall(form)) <= expected | {"num", "count"}, (lang, key, form)
            if len(ids) == 1:
                assert set(PLACEHOLDER.findall(form)) == expected, (lang, key, form)


def test_the_template_holds_every_message_the_pages_mark(tmp_path: Path) -> None:
    fresh = tmp_path / "web.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            str(WEB / "babel.cfg"),
            "-k",
            "P_",
            "--no-location",
            "-o",
            str(fresh),
            *i18n.MESSAGE_SOURCES,
        ],
        check=True,
        cwd=PROJECT_ROOT,
    )
    marked = {_key(m.id) for m in _read(fresh) if m.id}
    shipped = {_key(m.id) for m in _read(POT) if m.id}
    assert marked == shipped, {"new": marked - shipped, "gone": shipped - marked}


def test_accept_language_picks_the_best_page_language() -> None:
    assert accepted_languages("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5") == ["fr-CH", "fr", "en"]
    assert accepted_languages("de;q=0, ar") == ["ar"]
    assert negotiate("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert negotiate("pt-BR") == "pt"
    assert negotiate("de-DE, ar;q=0.5") == "ar"
    assert negotiate("de-DE") == "en"
    assert negotiate(None) == "en"


def test_the_browser_language_is_used_until_another_is_chosen_and_then_remembered(
    client: TestClient, db_session: Session
) -> None:
    scenario = seed(db_session)
    headers = {"Accept-Language": "ar, en;q=0.5"}
    signin = client.get("/signin", headers=headers)
    assert '<html lang="ar" dir="rtl">' in signin.text
    csrf = sign_in_secret(client, scenario.keys["officer"])
    chosen = client.post(
        "/language",
        data={"language": "fr", "next": "/officer?country=NG", "csrf_token": csrf},
        headers=headers,
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/officer?country=NG"
    assert client.cookies.get(LANGUAGE_COOKIE) == "fr"
    page = client.get("/officer?country=AL", headers=headers)
    assert '<html lang="fr" dir="ltr">' in page.text
    assert "Albanie" in page.text  # CLDR's name, in the page's language
    # The signed-in browser's session keeps the choice too: without the cookie, it still holds.
    languages = db_session.execute(select(BrowserSession.language)).scalars().all()
    assert "fr" in languages
    client.cookies.delete(LANGUAGE_COOKIE)
    again = client.get("/officer?country=AL", headers=headers)
    assert '<html lang="fr" dir="ltr">' in again.text


@pytest.mark.parametrize(
    ("language", "next_path", "status", "location"),
    [
        ("xx", "/signin", 422, None),  # not a page language: refused, no cookie set
        ("es", "//evil.example/", 303, "/"),  # only back to a page of this site
    ],
)
def test_the_language_form_refuses_what_it_cannot_honour(
    client: TestClient, language: str, next_path: str, status: int, location: str | None
) -> None:
    sent = client.post(
        "/language",
        data={"language": language, "next": next_path, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert sent.status_code == status
    assert sent.headers.get("location") == location
    assert (LANGUAGE_COOKIE in client.cookies) == (status == 303)


def test_the_json_api_stays_english(client: TestClient) -> None:
    answer = client.get("/api/v1/contacts", headers={"Accept-Language": "fr"})
    assert answer.status_code == 401
    body = answer.json()
    assert body and all(re.fullmatch(r"[\x00-\x7f]*", str(v)) for v in body.values())


def test_a_domain_reason_is_translated_on_pages_and_stays_english_in_the_api(
    client: TestClient, db_session: Session
) -> None:
    """The domain's message is one template: the page fills its French translation, the JSON
    API (whose clients parse it) keeps the English, both with the same value."""
    scenario = seed(db_session)
    french = {"Accept-Language": "fr"}
    client.headers.update(french)
    sign_in_secret(client, scenario.keys["officer"])
    page = client.get("/officer/contacts?country=NG&region=NG-XX")
    assert "« NG-XX » n'est pas une région (ISO 3166-2) de NG." in html.unescape(page.text)
    api = client.get(
        "/api/v1/contacts?country=NG&region=NG-XX",
        headers={**french, "Authorization": f"Bearer {scenario.keys['officer']}"},
    )
    assert api.status_code == 422
    assert api.json()["message"] == "'NG-XX' is not an ISO 3166-2 subdivision of NG"


def test_the_pages_speak_every_sheet_language() -> None:
    assert i18n.web_languages() == SHIPPED
    assert len(SHIPPED) == 11


def test_a_refusal_and_its_marked_values_are_translated_on_pages_and_english_in_the_api() -> None:
    """The 503 page's reason ("busy") and a conflict's thing ("contact") are marked words
    among the values: the page translates them with the template; the API's text is as
    before."""
    away = _unavailable(N_("busy"), RETRY_BUSY)
    assert away.message == (
        f"the database is unavailable (busy); nothing was saved, retry in {RETRY_BUSY} seconds"
    )
    with pytest.raises(HomewardError) as changed:
        check_version(3, 2, what=N_("contact"))
    assert changed.value.message == "the contact changed since version 2; it is now version 3"
    with i18n.using_language("fr"):
        assert in_page_language(away) == (
            "la base de données est indisponible (occupée) ; rien n'a été enregistré, "
            f"réessayez dans {RETRY_BUSY} secondes"
        )
        assert in_page_language(changed.value) == (
            "« contact » a changé depuis la version 2 ; c'est maintenant la version 3"
        )
    decided = SubmissionAlreadyDecided(7, "rejected")
    assert decided.message == "submission 7 was already decided (rejected)"
    with i18n.using_language("fr"):
        assert in_page_language(decided) == "la proposition 7 a déjà été traitée (refusée)"
    with i18n.using_language("ar"):
        assert "مشغولة" in in_page_language(away)


def test_the_sheets_outreach_and_directory_refusals_are_translated_on_pages_only() -> None:
    """Refusals marked P_() in app/sheets and app/outreach (and the directory's field
    refusals): English text for the JSON API, the page's language on pages."""
    with pytest.raises(InvalidValue) as size:
        checked_params(country="NG", size="a3")
    with pytest.raises(InvalidValue) as lang:
        checked_params(country="NG", lang="de")
    with pytest.raises(SheetRefused) as printed:
        guard(["Call us, victim"], blocklist())
    refusals = [size.value, lang.value, printed.value, MailWithheld(["victim"]), FieldFixed("id")]
    assert [r.message for r in refusals[:1] + refusals[3:]] == [
        "size must be 'a4' or 'pocket'",
        "the mail would carry a blocklisted word: victim",
        "'id' cannot be changed",
    ]
    assert lang.value.message.startswith("no sheet catalog for 'de'; available: ar, en")
    assert printed.value.message == "the sheet would print a blocklisted word: victim"
    with i18n.using_language("fr"):
        assert [in_page_language(r) for r in refusals[:1] + refusals[3:]] == [
            "le format doit être « a4 » ou « pocket »",
            "le courriel contiendrait un mot interdit : victim",
            "« id » ne peut pas être modifié",
        ]
        assert in_page_language(lang.value).startswith("pas de fiche en « de » ; langues")
        assert in_page_language(printed.value) == "la fiche imprimerait un mot interdit : victim"
    with i18n.using_language("ar"):
        assert in_page_language(size.value) == "يجب أن يكون الحجم «a4» أو «pocket»"


def test_the_database_away_page_speaks_the_users_language_and_the_api_english() -> None:
    """A database fault under a page: the 503 page in Arabic, reason included; the same
    fault under the API: its English JSON."""
    app = create_app()

    @app.get("/officer/fault")
    @app.get("/api/v1/fault")
    def fault() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with TestClient(app, headers={"Accept-Language": "ar"}) as client:
        page = client.get("/officer/fault")
        assert page.status_code == 503 and int(page.headers["retry-after"]) >= 1
        assert '<html lang="ar" dir="rtl">' in page.text
        say = i18n.translations("ar").gettext
        away = say(
            "the database is unavailable (%(reason)s); nothing was saved, retry in "
            "%(seconds)s seconds"
        ) % {"reason": say("unreachable or restarting"), "seconds": RETRY_DOWN}
        assert html.escape(away) in page.text
        assert html.escape(say("The directory is unavailable for a moment")) in page.text
        api = client.get("/api/v1/fault")
        assert api.status_code == 503
        assert api.json()["message"].startswith("the database is unavailable (unreachable")
