from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory import lookup
from app.directory import service as directory
from app.directory.models import Office
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.sheets import service
from app.sheets.cache import sheet_cache
from app.sheets.errors import SheetRefused
from app.sheets.i18n import sheet_language
from app.sheets.schemas import SheetData, SheetFormat, SheetParams, SheetSize
from app.verification.service import record_verification
from tests.factories import TEST_PROVENANCE, edit_phone, make_office, make_org
from tests.sheets.directory import NG, Directory, build_lagos_directory

LAGOS = SheetParams(country="NG", region="NG-LA", lang="en", lang2=None, size=SheetSize.A4)


def names(data) -> list[str | None]:
    return [e.name for e in data.entries]


def test_region_sheet_prints_only_printable_offices_of_region_and_nation(
    db_session: Session, settings: Settings
) -> None:
    d, data = _lagos_sheet(db_session, settings)
    printed_ids = {e.office_id for e in data.entries}
    assert set(d.printed.values()) <= printed_ids
    assert not printed_ids & set(d.absent.values())


def test_order_is_police_first_then_ngos_lawyers_welfare_with_regional_first(
    db_session: Session, settings: Settings
) -> None:
    _, data = _lagos_sheet(db_session, settings)
    assert [e.category for e in data.entries] == [
        "law_enforcement",
        "law_enforcement",
        "ngo",
        "lawyer",
        "social_welfare",
    ]
    police = data.entries[:2]
    assert [p.nationwide for p in police] == [False, True]


def test_offending_organisation_name_prints_as_neutral_label(
    db_session: Session, settings: Settings
) -> None:
    d, data = _lagos_sheet(db_session, settings, with_notes=True)
    entry = next(
        e for e in data.entries if e.office_id == d.printed["Anti-Trafficking Unit (demo)"]
    )
    assert entry.name is None and entry.local_name is None
    assert [n.office_id for n in data.withheld] == [entry.office_id]
    assert data.withheld[0].reason == "neutral_label"
    assert "name" in data.withheld[0].fields


def test_clean_local_name_replaces_an_offending_name(
    db_session: Session, settings: Settings
) -> None:
    org = make_org(
        db_session,
        name="Victim Support Desk (demo)",
        local_name="Ọ́fíìsì Ìrànlọ́wọ́ (demo)",
        category="ngo",
    )
    make_office(db_session, org=org, address="Victims' Lane 4", phones=[{"number": NG[20]}])
    data = service.assemble_sheet(db_session, params=LAGOS, now=utcnow(), settings=settings)
    (entry,) = [e for e in data.entries if e.category == "ngo"]
    assert entry.name == "Ọ́fíìsì Ìrànlọ́wọ́ (demo)"
    assert entry.local_name is None
    assert entry.address is None


def test_disconnected_phones_are_not_printed(db_session: Session, settings: Settings) -> None:
    d, data = _lagos_sheet(db_session, settings)
    ngo = next(e for e in data.entries if e.office_id == d.printed["Example Support Centre (demo)"])
    assert [p.e164 for p in ngo.phones] == [NG[3]]
    assert ngo.phones[0].national == "0803 123 4563"
    assert ngo.phones[0].international == "+234 803 123 4563"


def test_preview_lists_left_out_offices_with_reasons(
    db_session: Session, settings: Settings
) -> None:
    d, data = _lagos_sheet(db_session, settings, with_notes=True)
    reasons = {n.office_id: n.reason for n in data.excluded}
    assert reasons == {
        d.absent["Stale Shelter (demo)"]: "stale",
        d.absent["Closed Clinic (demo)"]: "closed",
        d.absent["Paused Drop-in (demo)"]: "temporarily_closed",
        d.absent["Unverified Helpers (demo)"]: "unverified",
        d.absent["Confidential Safe House (demo)"]: "confidential",
    }


def _lagos_sheet(
    session: Session, settings: Settings, *, with_notes: bool = False
) -> tuple[Directory, SheetData]:
    """The Lagos test directory, and its sheet assembled now."""
    d = build_lagos_directory(session)
    data = service.assemble_sheet(
        session, params=LAGOS, now=utcnow(), settings=settings, with_notes=with_notes
    )
    return d, data


def _renumber(session: Session, office: Office, number: str) -> None:
    """A printed edit: the office's first phone gets `number`."""
    edit_phone(session, office.phones[0], number=number)


def _verify_by_phone(session: Session, office_id: int) -> None:
    record_verification(
        session,
        office_id=office_id,
        method="phone_call",
        verified_by="tester",
        provenance=TEST_PROVENANCE,
    )


def _edit_unprinted(session: Session, office_id: int) -> None:
    """An edit the sheet does not print: the office's email."""
    directory.update_office(
        session,
        office_id=office_id,
        changes={"email": "desk@example.org"},
        expected_version=lookup.get_office(session, office_id).version,
        provenance=TEST_PROVENANCE,
    )


def _ogun_without_lawyers(session: Session) -> Office:
    """Ogun (NG-OG) has only an NGO; lawyers exist in Lagos (near) and Kano (far, returned)."""
    ngo = make_org(session, name="Abeokuta Help Point (demo)", category="ngo")
    make_office(session, org=ngo, region="NG-OG", city="Abeokuta", latitude=7.15, longitude=3.35)
    near = make_org(session, name="Lagos Lawyers (demo)", category="lawyer")
    make_office(session, org=near, latitude=6.45, longitude=3.39, phones=[{"number": NG[21]}])
    far = make_org(session, name="Kano Lawyers (demo)", category="lawyer")
    return make_office(
        session,
        org=far,
        region="NG-KN",
        city="Kano",
        latitude=12.0,
        longitude=8.52,
        phones=[{"number": NG[22]}],
    )


def test_missing_category_is_filled_by_nearest_office_by_coordinates(
    db_session: Session, settings: Settings
) -> None:
    _ogun_without_lawyers(db_session)
    params = SheetParams(country="NG", region="NG-OG", lang="en", lang2=None)
    data = service.assemble_sheet(db_session, params=params, now=utcnow(), settings=settings)
    lawyers = [e for e in data.entries if e.category == "lawyer"]
    assert [e.name for e in lawyers] == ["Lagos Lawyers (demo)", "Kano Lawyers (demo)"]
    assert all(e.nearest for e in lawyers)
    assert lawyers[0].distance_km == pytest.approx(78, abs=3)
    assert "ngo" not in {e.category for e in data.entries if e.nearest}
    assert data.missing_categories == ("law_enforcement", "social_welfare")


def test_without_coordinates_the_capitals_offices_come_first(
    db_session: Session, settings: Settings
) -> None:
    elsewhere = make_org(db_session, name="A Kano Welfare (demo)", category="social_welfare")
    make_office(db_session, org=elsewhere, region="NG-KN", city="Kano", phones=[{"number": NG[23]}])
    capital = make_org(db_session, name="Z Abuja Welfare (demo)", category="social_welfare")
    make_office(db_session, org=capital, region="NG-FC", city="Abuja", phones=[{"number": NG[24]}])
    data = service.assemble_sheet(db_session, params=LAGOS, now=utcnow(), settings=settings)
    welfare = [e.name for e in data.entries if e.category == "social_welfare"]
    assert welfare == ["Z Abuja Welfare (demo)", "A Kano Welfare (demo)"]


def test_national_sheet_holds_nationwide_offices(db_session: Session, settings: Settings) -> None:
    build_lagos_directory(db_session)
    params = SheetParams(country="NG", region=None, lang="en", lang2=None)
    data = service.assemble_sheet(db_session, params=params, now=utcnow(), settings=settings)
    assert [e.name for e in data.entries if not e.nearest] == ["Example Police Unit (demo)"]
    assert {e.category for e in data.entries if e.nearest} == {"ngo", "lawyer", "social_welfare"}


def test_snapshot_id_is_stable_and_changes_after_an_edit(
    db_session: Session, settings: Settings
) -> None:
    d = build_lagos_directory(db_session)
    now = utcnow()
    first = service.assemble_sheet(db_session, params=LAGOS, now=now, settings=settings)
    again = service.assemble_sheet(db_session, params=LAGOS, now=now, settings=settings)
    assert first.snapshot_id == again.snapshot_id
    assert (
        first.snapshot_id
        != service.assemble_sheet(
            db_session, params=SheetParams("NG", "NG-LA", "fr", None), now=now, settings=settings
        ).snapshot_id
    )

    # An edit that is not printed keeps the id; a printed one changes it.
    office_id = d.printed["Example Legal Aid Centre (demo)"]
    _edit_unprinted(db_session, office_id)
    unchanged = service.assemble_sheet(db_session, params=LAGOS, now=now, settings=settings)
    assert unchanged.snapshot_id == first.snapshot_id
    office = lookup.get_office(db_session, office_id)
    _renumber(db_session, office, NG[30])
    edited = service.assemble_sheet(db_session, params=LAGOS, now=now, settings=settings)
    assert edited.snapshot_id != first.snapshot_id


def test_snapshot_id_changes_after_a_verification(
    db_session: Session, settings: Settings, frozen_clock
) -> None:
    frozen_clock.now = utcnow()
    d = build_lagos_directory(db_session)
    before = service.assemble_sheet(db_session, params=LAGOS, now=utcnow(), settings=settings)
    frozen_clock.advance(days=3)
    _verify_by_phone(db_session, d.printed["Example Welfare Office (demo)"])
    after = service.assemble_sheet(db_session, params=LAGOS, now=utcnow(), settings=settings)
    assert after.snapshot_id != before.snapshot_id


def test_cache_serves_repeats_and_never_outdated_numbers(
    db_session: Session, settings: Settings
) -> None:
    d = build_lagos_directory(db_session)
    sheet_cache(settings.sheet_cache_size).clear()
    now = utcnow()
    first = service.render_sheet(
        db_session, params=LAGOS, fmt=SheetFormat.HTML, now=now, settings=settings
    )
    repeat = service.render_sheet(
        db_session, params=LAGOS, fmt=SheetFormat.HTML, now=now, settings=settings
    )
    assert (first.cached, repeat.cached) == (False, True)
    assert repeat.content == first.content

    office = lookup.get_office(db_session, d.printed["Example Welfare Office (demo)"])
    _renumber(db_session, office, NG[31])
    edited = service.render_sheet(
        db_session, params=LAGOS, fmt=SheetFormat.HTML, now=now, settings=settings
    )
    assert not edited.cached and edited.snapshot_id != first.snapshot_id
    assert (
        "0803 123 4591" in edited.content.decode()
        and "0803 123 4566" not in edited.content.decode()
    )

    next_day = service.render_sheet(
        db_session,
        params=LAGOS,
        fmt=SheetFormat.HTML,
        now=now + timedelta(days=1),
        settings=settings,
    )
    assert not next_day.cached and next_day.snapshot_id == edited.snapshot_id


def _html(session: Session, params: SheetParams, now: datetime, settings: Settings):  # type: ignore[no-untyped-def]
    return service.render_sheet(
        session, params=params, fmt=SheetFormat.HTML, now=now, settings=settings
    )


def test_cache_repeats_follow_verifications_closures_and_unprinted_edits(
    db_session: Session, settings: Settings, frozen_clock
) -> None:
    """A repeat is served from the fingerprint without assembling: it must still notice a
    verification (a new printed date), an office leaving, and keep bytes for an edit that
    prints nothing new."""
    d = build_lagos_directory(db_session)
    sheet_cache(settings.sheet_cache_size).clear()
    frozen_clock.advance(days=3)
    now = utcnow()
    first = _html(db_session, LAGOS, now, settings)
    assert (first.cached, _html(db_session, LAGOS, now, settings).cached) == (False, True)

    office_id = d.printed["Example Legal Aid Centre (demo)"]
    _edit_unprinted(db_session, office_id)
    unprinted = _html(db_session, LAGOS, now, settings)
    assert unprinted.cached and unprinted.snapshot_id == first.snapshot_id

    _verify_by_phone(db_session, d.printed["Example Welfare Office (demo)"])
    verified = _html(db_session, LAGOS, now, settings)
    assert not verified.cached and verified.snapshot_id != first.snapshot_id
    today = f"Verified on {sheet_language('en').date(now.date())}"
    assert today not in first.content.decode() and today in verified.content.decode()

    directory.close_office(db_session, office_id=office_id, provenance=TEST_PROVENANCE)
    closed = _html(db_session, LAGOS, now, settings)
    assert not closed.cached and "Example Legal Aid Centre" not in closed.content.decode()


def test_cache_follows_the_stand_ins_and_the_point_they_are_measured_from(
    db_session: Session, settings: Settings
) -> None:
    """Ogun has no lawyer: the nearest ones elsewhere are printed with their distance from
    the centroid of Ogun's offices (printable or not), so both must reach the cache key."""
    kano = _ogun_without_lawyers(db_session)
    ogun = SheetParams(country="NG", region="NG-OG", lang="en", lang2=None)
    sheet_cache(settings.sheet_cache_size).clear()
    now = utcnow()
    first = _html(db_session, ogun, now, settings)
    assert "Kano Lawyers" in first.content.decode()
    assert _html(db_session, ogun, now, settings).cached

    # An unverified office is never printed, but it moves the point distances start from.
    unverified = make_org(db_session, name="Ogun Outpost (demo)", category="ngo")
    make_office(
        db_session,
        org=unverified,
        region="NG-OG",
        city="Ota",
        latitude=9.0,
        longitude=5.0,
        verified_at=None,
    )
    moved = _html(db_session, ogun, now, settings)
    assert not moved.cached and moved.snapshot_id != first.snapshot_id
    assert "Ogun Outpost" not in moved.content.decode()

    directory.close_office(db_session, office_id=kano.id, provenance=TEST_PROVENANCE)
    without = _html(db_session, ogun, now, settings)
    assert not without.cached and "Kano Lawyers" not in without.content.decode()


def test_guard_refuses_a_sheet_with_a_blocklisted_word(db_session: Session) -> None:
    build_lagos_directory(db_session)
    strict = Settings(sheet_blocklist_extra=["Nigeria"])
    data = service.assemble_sheet(db_session, params=LAGOS, now=utcnow(), settings=strict)
    with pytest.raises(SheetRefused) as refused:
        service.render_data(data, fmt=SheetFormat.HTML, print_date=utcnow().date(), settings=strict)
    assert "nigeria" in refused.value.message


def test_preview_explains_a_refused_sheet(db_session: Session) -> None:
    build_lagos_directory(db_session)
    strict = Settings(sheet_blocklist_extra=["Nigeria"])
    data, page = service.preview_sheet(db_session, params=LAGOS, now=utcnow(), settings=strict)
    assert 'id="refused"' in page and "nigeria" in page
    assert "<iframe" not in page
    assert data.entries


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country": "ZZ"}, "country"),
        ({"country": "NG", "region": "AL-01"}, "region"),
        ({"country": "NG", "lang": "xx"}, "lang"),
        ({"country": "NG", "lang": "de"}, "lang"),
        ({"country": "NG", "lang2": "zz"}, "lang2"),
        ({"country": "NG", "size": "a3"}, "size"),
    ],
)
def test_bad_parameters_name_their_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidValue) as bad:
        service.checked_params(**kwargs)
    assert bad.value.field == field
