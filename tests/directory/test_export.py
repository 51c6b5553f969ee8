"""`homeward export`: the import format (round trip) and a JSON array; confidential left out."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table, so the wipe below empties them all)
from app.config import Settings
from app.directory import service
from app.directory.export import write_csv, write_json
from app.directory.models import Office, Organization, Phone
from app.directory.schemas import ContactPublic, PhoneCreate
from app.kit.models import Base
from app.loading.csv_import import import_csv
from app.loading.demo_seed import seed_demo
from tests.directory.csv_samples import NG_FIXED, demo_subset
from tests.factories import TEST_PROVENANCE, make_office, make_org


def export_csv(session: Session, settings: Settings, *, confidential: bool = True) -> str:
    out = io.StringIO()
    write_csv(session, out, include_confidential=confidential, settings=settings)
    return out.getvalue()


def wipe(session: Session) -> None:
    """Empty every table inside the test's transaction (rolled back afterwards)."""
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.flush()
    session.expunge_all()


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        len(session.execute(select(model.id)).all()) for model in (Organization, Office, Phone)
    )


def test_export_then_import_into_an_empty_directory_gives_the_same_directory(
    db_session: Session, settings: Settings, tmp_path: Path
):
    # Nigeria and Moldova: confidential, closed, stale, flagged and never-verified entries.
    seed_demo(db_session, path=demo_subset(tmp_path))
    org = make_org(db_session, name="=Formula Looking Name (demo)", category="helpline")
    make_office(
        db_session,
        org=org,
        region=None,
        address='12 "Quoted" Street,\nSecond line',
        # Extensions: digits, grouped, and one a phone cannot dial (printed, kept as text).
        phones=[
            {"number": NG_FIXED.format(i), "kind": "voice", "extension": extension}
            for i, extension in enumerate(["12", None, "12 34", "ask for Ada", None])
        ],
    )
    before_counts = counts(db_session)
    first = export_csv(db_session, settings)
    assert "phone1_extension" in first.splitlines()[0]

    wipe(db_session)
    assert counts(db_session) == (0, 0, 0)
    report = import_csv(db_session, data=first.encode(), filename="roundtrip.csv")
    assert report.offices == before_counts[1]

    assert counts(db_session) == before_counts
    assert export_csv(db_session, settings) == first
    extensions = db_session.scalars(
        select(Phone.extension).where(
            Phone.number.in_([NG_FIXED.format(i).replace(" ", "") for i in range(5)])
        )
    ).all()
    assert sorted(filter(None, extensions)) == ["12", "12 34", "ask for Ada"]


def test_csv_has_a_column_group_for_every_phone_of_the_busiest_office(
    db_session: Session, settings: Settings
):
    office = make_office(db_session)
    for i in range(4):
        service.add_phone(
            db_session,
            office_id=office.id,
            data=PhoneCreate(number=NG_FIXED.format(10 + i), kind="voice"),
            provenance=TEST_PROVENANCE,
        )
    service.close_phone(db_session, phone_id=office.phones[0].id, provenance=TEST_PROVENANCE)
    rows = list(csv.DictReader(io.StringIO(export_csv(db_session, settings))))
    # Four active numbers: four groups (the disconnected number is history, not exported).
    assert "phone4" in rows[0] and "phone5" not in rows[0]
    assert [rows[0][f"phone{i}"] for i in range(1, 5)] == [
        f"+23420331234{10 + i}" for i in range(4)
    ]


def test_confidential_organisations_are_left_out_unless_asked_for(
    db_session: Session, settings: Settings
):
    make_office(db_session, org=make_org(db_session, name="Open Centre (demo)"))
    make_office(
        db_session, org=make_org(db_session, name="Hidden Shelter (demo)", confidential=True)
    )
    plain = export_csv(db_session, settings, confidential=False)
    assert "Open Centre (demo)" in plain and "Hidden Shelter" not in plain
    assert "Hidden Shelter (demo)" in export_csv(db_session, settings, confidential=True)

    out = io.StringIO()
    assert write_json(db_session, out, settings=settings) == 1
    names = [item["organization"]["name"] for item in json.loads(out.getvalue())]
    assert names == ["Open Centre (demo)"]


def test_json_is_an_array_of_contacts_in_the_api_shape(
    db_session: Session, settings: Settings, tmp_path: Path
):
    seed_demo(db_session, path=demo_subset(tmp_path))
    out = io.StringIO()
    written = write_json(db_session, out, settings=settings)
    items = json.loads(out.getvalue())
    assert len(items) == written > 20
    contacts = [ContactPublic.model_validate(item) for item in items]
    assert not any(c.organization.confidential for c in contacts)
    assert all(c.organization.is_demo for c in contacts)
    lagos = [c for c in contacts if c.region == "NG-LA"]
    assert lagos and all(p.number.startswith("+234") for c in lagos for p in c.phones)


def test_an_empty_directory_exports_a_header_and_an_empty_array(
    db_session: Session, settings: Settings
):
    assert export_csv(db_session, settings).startswith("organization_name,")
    assert len(export_csv(db_session, settings).splitlines()) == 1
    out = io.StringIO()
    assert write_json(db_session, out, settings=settings) == 0
    assert json.loads(out.getvalue()) == []


def test_formula_looking_text_is_escaped_in_every_column_and_imports_back(
    db_session: Session, settings: Settings
):
    org = make_org(db_session, name="@SUM(1+1) Centre (demo)", description="+cmd|' /C calc'!A0")
    make_office(
        db_session,
        org=org,
        address="-2+3+cmd|' /C calc'!A0",
        opening_hours="=1+1",
        latitude=-6.5,
        longitude=3.35,
        phones=[{"number": NG_FIXED.format(1), "kind": "voice", "hours": '=HYPERLINK("x")'}],
    )
    first = export_csv(db_session, settings)
    (row,) = csv.DictReader(io.StringIO(first, newline=""))
    assert row["organization_name"] == "'@SUM(1+1) Centre (demo)"
    assert row["organization_description"] == "'+cmd|' /C calc'!A0"
    assert row["address"] == "'-2+3+cmd|' /C calc'!A0"
    assert row["opening_hours"] == "'=1+1"
    assert row["phone1_hours"] == '\'=HYPERLINK("x")'
    # Numbers stay numbers: the E.164 phone number and a negative coordinate.
    assert (row["phone1"], row["latitude"]) == (NG_FIXED.format(1).replace(" ", ""), "-6.5")

    wipe(db_session)
    import_csv(db_session, data=first.encode(), filename="roundtrip.csv")
    office = db_session.execute(select(Office)).scalar_one()
    assert office.opening_hours == "=1+1"
    assert db_session.execute(select(Phone.hours)).scalar_one() == '=HYPERLINK("x")'
    assert db_session.execute(select(Organization.name)).scalar_one() == "@SUM(1+1) Centre (demo)"
    assert export_csv(db_session, settings) == first
