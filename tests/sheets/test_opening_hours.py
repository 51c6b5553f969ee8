"""Structured opening hours (Office.schedules) on the contact page and on printed sheets,
in the reader's language: PDFs parsed back to text, the page from the real ASGI app."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from babel.dates import format_date, format_time, get_day_names
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.models import Office
from app.interop import hsds_import
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.review import decisions
from app.sheets import service
from app.sheets.schemas import SheetFormat, SheetParams
from tests.factories import NG_PHONE, make_office
from tests.interop.spec import SPEC, needs_spec
from tests.sheets.test_pdf import pdf_text
from tests.web.signed_in import sign_in

SCHEDULE = {"byday": "TH,FR", "opens_at": "10:00", "closes_at": "18:00", "valid_from": "2027-01-04"}


def _sheet_text(session: Session, settings: Settings, tmp_path: object, lang: str) -> str:
    """The text of the Lagos sheet's PDF in `lang`, its whitespace as single spaces."""
    now = utcnow()
    params = SheetParams("NG", "NG-LA", lang, None)
    data = service.assemble_sheet(session, params=params, now=now, settings=settings)
    pdf = service.render_data(data, fmt=SheetFormat.PDF, print_date=now.date(), settings=settings)
    path = tmp_path / f"sheet-{lang}.pdf"  # type: ignore[operator]
    path.write_bytes(pdf)
    return " ".join(pdf_text(path).split())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ("jeudi et vendredi", "à partir du")),
        ("ar", ("الخميس", "الجمعة", "من")),
    ],
)
def test_a_sheet_prints_structured_hours_in_its_language(
    db_session: Session, settings: Settings, tmp_path: object, lang: str, words: tuple[str, ...]
) -> None:
    make_office(db_session, schedules=[SCHEDULE])
    text = _sheet_text(db_session, settings, tmp_path, lang)
    for word in words:
        assert word in text, (word, text)
    days = get_day_names("wide", locale=lang)
    assert days[3] in text and days[4] in text  # Thursday, Friday as Babel names them
    # Bidi reordering in extraction moves an Arabic time's "ص"/"م" and a date's parts around:
    # their numbers are compared, each as Babel writes it.
    opens = format_time(time(10, 0), format="short", locale=lang)
    closes = format_time(time(18, 0), format="short", locale=lang)
    since = format_date(date(2027, 1, 4), format="medium", locale=lang)
    for value in (opens, closes, since):
        for number in re.findall(r"[\d:]+", value):
            assert number in text, (value, number)


@needs_spec
def test_the_contact_page_shows_the_imported_schedule(
    client: TestClient, db_session: Session
) -> None:
    report = hsds_import.import_path(db_session, SPEC / "examples" / "service_full.json")
    reviewer = Principal(name="Reviewer Rui", role="reviewer", key_id=None)
    decisions.approve(db_session, submission_id=report.submission_ids[0], reviewer=reviewer)
    office = db_session.execute(select(Office)).scalars().one()
    assert office.schedules and office.schedules[0]["opens_at"] == "10:00:00"
    sign_in(client, db_session, "officer")
    page = client.get(f"/contacts/{office.id}")
    assert page.status_code == 200
    assert "Thursday and Friday" in page.text
    assert "10:00\u202fAM–6:00\u202fPM" in page.text
    assert "from Jan 1, 2005" in page.text and "until Jan 1, 2005" in page.text


@pytest.mark.parametrize(("lang", "ext"), [("en", "ext. 12"), ("fr", "poste 12")])
def test_a_sheet_titles_the_service_and_prints_extensions_in_its_language(
    db_session: Session, settings: Settings, tmp_path: object, lang: str, ext: str
) -> None:
    office = make_office(
        db_session,
        service_name="Legal aid clinic",
        address="12 Allen Avenue",
        address_2="Second floor",
        phones=[{"number": NG_PHONE, "kind": "voice", "extension": "12"}],
        contacts=[{"name": "Ann Persona", "title": "Reception Manager"}],
    )
    org_name = office.organization.name
    text = _sheet_text(db_session, settings, tmp_path, lang)
    assert f"Legal aid clinic — {org_name}" in text, text
    assert ext in text and "Second floor" in text
    assert "Ann Persona" not in text  # named contacts are staff data: never on a sheet
