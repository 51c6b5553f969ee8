"""A package broken as a whole is refused before anything is queued, naming file and row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.interop import hsds_import
from app.review.models import Submission

FIXTURES = Path(__file__).parent / "fixtures"


def _package(tmp_path: Path) -> Path:
    target = tmp_path / "package"
    shutil.copytree(FIXTURES / "hsds_2_0", target)
    return target


def _refused(session: Session, package: Path) -> str:
    with pytest.raises(hsds_import.DatasetError) as caught:
        hsds_import.import_path(session, package)
    assert session.execute(select(func.count(Submission.id))).scalar_one() == 0
    return str(caught.value)


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_csv_cut_off_inside_a_quote_is_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    _append(package / "phones.csv", 'ph-b,,,,,sal-a,"+355 22 345')
    assert _refused(db_session, package).startswith("phones.csv row 3:")


def test_a_last_row_with_too_few_cells_is_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    _append(package / "phones.csv", "ph-b,,,,,sal-a,+355 22 345\n")
    message = _refused(db_session, package)
    assert message.startswith("phones.csv row 3: 7 cells where the header has 11"), message


def test_a_missing_required_column_is_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    path = package / "service_at_location.csv"
    path.write_text("id,service_id,description\nsal-a,svc-a,\n", encoding="utf-8")
    assert _refused(db_session, package) == "service_at_location.csv row 1: no column location_id"


def test_a_foreign_key_to_nothing_is_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    path = package / "service_at_location.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("svc-a,loc-a", "svc-a,loc-z"), encoding="utf-8"
    )
    message = _refused(db_session, package)
    assert message == "service_at_location.csv row 2: location_id loc-z is no id in locations.csv"


def test_duplicated_ids_are_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    _append(package / "locations.csv", "loc-a,org-a,Second,,,,41.3,19.8\n")
    message = _refused(db_session, package)
    assert message == "locations.csv row 3: id loc-a is already the id of row 2"


def test_a_file_that_is_not_utf8_is_refused(db_session: Session, tmp_path: Path) -> None:
    package = _package(tmp_path)
    path = package / "organizations.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    message = _refused(db_session, package)
    assert message.startswith("organizations.csv row 2: not UTF-8"), message
