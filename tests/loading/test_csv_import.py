"""`homeward import`: all or nothing, every bad row reported with its line number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.directory.csv_format import header
from app.directory.lookup import get_office
from app.directory.models import Office, Organization, Phone, Revision
from app.kit.clock import utcnow
from app.loading.csv_import import ImportRejected, RowError, import_csv
from app.verification.models import VerificationEvent
from tests.directory.csv_samples import NG_FIXED, row, to_csv
from tests.directory.dump import dump_database, table_counts
from tests.factories import make_office, make_org


def rejected(session: Session, data: bytes) -> list[RowError]:
    with pytest.raises(ImportRejected) as info:
        import_csv(session, data=data, filename="contacts.csv")
    return info.value.errors


def where(errors: list[RowError]) -> set[tuple[int, str | None]]:
    return {(e.line, e.field) for e in errors}


def test_import_creates_organisations_offices_phones_and_verifications(db_session: Session):
    verified = (utcnow() - timedelta(days=10)).replace(microsecond=0)
    data = to_csv(
        [
            row(
                office_name="Lagos office",
                phone2="0803 123 4567",
                phone2_kind="whatsapp",
                phone2_hours="Mon–Fri 09:00–17:00",
                phone2_24_7="no",
                phone2_languages="en;ha",
                meets_on_arrival="yes",
                last_verified_at=verified.isoformat(),
                verification_method="phone_call",
                verified_by="Desk officer",
            ),
            row(office_name="Nationwide line", region="", phone1=NG_FIXED.format(51)),
            row(
                organization_name="Example Welfare Office (demo)",
                category="social_welfare",
                services="",
                country="AL",
            ),
        ]
    )
    report = import_csv(db_session, data=data, filename="/somewhere/contacts.csv")

    assert (report.rows, report.organizations_created, report.offices) == (3, 2, 3)
    assert (report.phones, report.verifications) == (4, 1)
    lawyer = db_session.execute(
        select(Organization).where(Organization.category == "lawyer")
    ).scalar_one()
    offices = (
        db_session.execute(
            select(Office).where(Office.organization_id == lawyer.id).order_by(Office.id)
        )
        .scalars()
        .all()
    )
    assert [(o.name, o.region) for o in offices] == [
        ("Lagos office", "NG-LA"),
        ("Nationwide line", None),
    ]
    lagos = get_office(db_session, offices[0].id)
    assert lagos.meets_on_arrival is True
    assert lagos.language_codes == ["en", "yo"]
    assert [(p.number, p.kind, p.languages) for p in lagos.phones] == [
        ("+2342033123450", "voice", []),
        ("+2348031234567", "whatsapp", ["en", "ha"]),
    ]
    assert lagos.last_verified_at is not None
    assert lagos.verification_method == "phone_call"
    assert lagos.verified_by == "Desk officer"
    assert db_session.execute(
        select(VerificationEvent).where(VerificationEvent.office_id == lagos.id)
    ).scalar_one().source == ("import:contacts.csv")
    never = get_office(db_session, offices[1].id)
    assert never.last_verified_at is None
    sources = set(db_session.execute(select(Revision.source)).scalars())
    assert sources == {"import:contacts.csv"}


def test_rows_share_an_organisation_by_name_category_and_country(db_session: Session):
    data = to_csv(
        [
            row(city="Lagos"),
            row(city="Ikeja", phone1=NG_FIXED.format(52)),
            row(category="ngo", services="shelter"),
            row(country="AL"),
        ]
    )
    report = import_csv(db_session, data=data, filename="x.csv")
    assert report.organizations_created == 3
    names = db_session.execute(select(Organization.category)).scalars().all()
    assert sorted(names) == ["lawyer", "lawyer", "ngo"]


def test_offices_join_an_existing_organisation_with_the_same_name_and_category(
    db_session: Session,
):
    org = make_org(db_session, name="Example Legal Aid Centre (demo)", category="lawyer")
    make_office(db_session, org=org)
    report = import_csv(db_session, data=to_csv([row(city="Ikeja")]), filename="x.csv")
    assert report.organizations_created == 0
    assert report.organizations_existing == [(org.id, org.name)]
    count = db_session.execute(select(Office).where(Office.organization_id == org.id)).all()
    assert len(count) == 2


def test_one_bad_row_among_many_writes_nothing(db_session: Session):
    make_office(db_session)
    before = dump_database(db_session)
    rows = [row(city=f"Town {i}", phone1=NG_FIXED.format(i)) for i in range(60)]
    rows[41]["region"] = "AL-01"  # a region of Albania, not of Nigeria
    errors = rejected(db_session, to_csv(rows))
    assert [(e.line, e.field) for e in errors] == [(43, "region")]
    assert "not an ISO 3166-2 subdivision of NG" in errors[0].reason
    assert dump_database(db_session) == before


def test_every_bad_row_is_reported_with_its_line_and_field(db_session: Session):
    rows = [
        row(),  # line 2: good
        row(region="AL-01"),  # 3
        row(phone1="+234 1234 5678"),  # 4
        row(category="police"),  # 5
        row(organization_email="not-an-email", languages="en;xx"),  # 6
        row(address="Line one\nline two"),  # 7-8: a quoted value over two lines
        row(organization_website="ftp://example.org", latitude="91"),  # 9
        row(phone2_kind="mobile"),  # 10: a kind without a number
        row(country="XX"),  # 11
        row(status="open", meets_on_arrival="perhaps"),  # 12
        row(
            last_verified_at=(utcnow() + timedelta(days=2)).isoformat(),
            verification_method="phone_call",
        ),  # 13
        row(last_verified_at="yesterday", verification_method="guess"),  # 14
        row(phone1="+355 22 345 678"),  # 15: an Albanian number for a Nigerian office
    ]
    errors = rejected(db_session, to_csv(rows))
    assert where(errors) == {
        (3, "region"),
        (4, "phone1"),
        (5, "category"),
        (6, "organization_email"),
        (6, "languages"),
        (9, "organization_website"),
        (9, "latitude"),
        (10, "phone2"),
        (11, "country"),
        (12, "status"),
        (12, "meets_on_arrival"),
        (13, "last_verified_at"),
        (14, "last_verified_at"),
        (14, "verification_method"),
        (15, "phone1"),
    }
    reasons = {(e.line, e.field): e.reason for e in errors}
    assert "is not a valid phone number in NG" in reasons[(4, "phone1")]
    assert "item 2" in reasons[(6, "languages")]
    assert "future" in reasons[(13, "last_verified_at")]
    assert "not of NG" in reasons[(15, "phone1")]
    assert db_session.execute(select(Organization)).first() is None


def test_the_same_organisation_must_not_differ_between_rows(db_session: Session):
    errors = rejected(
        db_session,
        to_csv([row(), row(city="Ikeja", confidential="true", phone1=NG_FIXED.format(53))]),
    )
    assert where(errors) == {(3, "confidential")}
    assert "differs from line 2" in errors[0].reason


def test_a_confidential_mismatch_with_an_existing_organisation_is_refused(db_session: Session):
    make_org(db_session, name="Example Legal Aid Centre (demo)", category="lawyer")
    errors = rejected(db_session, to_csv([row(confidential="true")]))
    assert where(errors) == {(2, "confidential")}


def test_dry_run_checks_and_reports_but_writes_nothing(db_session: Session):
    before = dump_database(db_session)
    report = import_csv(
        db_session,
        data=to_csv([row(), row(region="", phone1=NG_FIXED.format(54))]),
        filename="x.csv",
        dry_run=True,
    )
    assert (report.dry_run, report.organizations_created, report.offices) == (True, 1, 2)
    assert dump_database(db_session) == before


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(db_session: Session):
    data = b"\xef\xbb\xbf" + to_csv([row()]).replace(b"\n", b"\r\n")
    report = import_csv(db_session, data=data, filename="excel.csv")
    assert report.offices == 1


def test_text_that_is_not_utf8_is_refused_with_its_line(db_session: Session):
    data = to_csv([row(), row(city="Lagos")]).replace(b"Lagos", "São".encode("latin-1"), 2)
    errors = rejected(db_session, data)
    assert errors[0].line == 2
    assert "not UTF-8" in errors[0].reason


def test_unknown_and_missing_columns_are_named(db_session: Session):
    columns = [c for c in header() if c != "category"] + ["colour"]
    errors = rejected(db_session, to_csv([{"organization_name": "X"}], columns))
    assert where(errors) == {(1, "category"), (1, "colour")}


def test_a_phone_detail_column_needs_its_number_column(db_session: Session):
    columns = ["organization_name", "category", "country", "phone1", "phone2_kind"]
    errors = rejected(db_session, to_csv([], columns))
    assert where(errors) == {(1, "phone2_kind")}


def test_only_the_required_columns_are_enough(db_session: Session):
    data = b"organization_name,category,country\nExample Helpline (demo),helpline,NG\n"
    report = import_csv(db_session, data=data, filename="x.csv")
    assert (report.offices, report.phones) == (1, 0)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf  \n\n", "empty"),
        (to_csv([]), "no rows"),
        (b"organization_name;category;country\nX;ngo;NG\n", "commas"),
        ("a,b\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_empty_or_unreadable_files_get_a_clear_message(
    db_session: Session, data: bytes, reason: str
):
    errors = rejected(db_session, data)
    assert reason in errors[0].reason


def test_a_row_with_too_many_values_is_reported(db_session: Session):
    data = to_csv([row()]) + b"a,b\n" + b"x," * 200 + b"\n"
    errors = rejected(db_session, data)
    assert where(errors) == {(3, None), (4, None)}


def test_a_spreadsheet_formula_prefix_is_removed(db_session: Session):
    import_csv(
        db_session, data=to_csv([row(organization_name="'=Example (demo)")]), filename="x.csv"
    )
    names = db_session.execute(select(Organization.name)).scalars().all()
    assert names == ["=Example (demo)"]


def test_phones_are_stored_e164_in_file_order(db_session: Session):
    data = to_csv(
        [row(phone1="", phone1_kind="", phone2=NG_FIXED.format(1), phone3=NG_FIXED.format(2))]
    )
    import_csv(db_session, data=data, filename="x.csv")
    numbers = db_session.execute(select(Phone.number).order_by(Phone.position)).scalars().all()
    assert numbers == ["+2342033123401", "+2342033123402"]
    assert table_counts(db_session, "phone") == {"phone": 2}


def test_the_example_file_in_seeds_imports(db_session: Session):
    data = (PROJECT_ROOT / "seeds" / "example_import.csv").read_bytes()
    report = import_csv(db_session, data=data, filename="example_import.csv")
    assert (report.organizations_created, report.offices, report.phones) == (2, 3, 4)
    assert report.verifications == 2
