"""A package broken as a whole is refused before anything is queued, naming file and row."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.interop import hsds_import
from app.review.models import Submission
from tests.interop.spec import SPEC, needs_spec

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


def _tabular_json(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """Open Referral's `tabular.json` (the package in JSON), changed, written under tmp."""
    data = json.loads((SPEC / "examples" / "tabular.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "tabular.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@needs_spec
def test_the_package_in_json_is_checked_as_the_csv_files_are(
    db_session: Session, tmp_path: Path
) -> None:
    def twice(data: dict[str, Any]) -> None:
        data["locations.csv"].append(dict(data["locations.csv"][0]))

    def dangling(data: dict[str, Any]) -> None:
        data["service_at_location.csv"][0]["location_id"] = "nowhere"

    def no_column(data: dict[str, Any]) -> None:
        for row in data["service_at_location.csv"]:
            del row["service_id"]

    def not_rows(data: dict[str, Any]) -> None:
        data["phones.csv"] = "+44 1234 234567"

    assert _refused(db_session, _tabular_json(tmp_path, twice)).startswith(
        "tabular.json locations.csv row 3: id "
    )
    assert _refused(db_session, _tabular_json(tmp_path, dangling)) == (
        "tabular.json service_at_location.csv row 2: location_id nowhere is no id in "
        "tabular.json locations.csv"
    )
    assert _refused(db_session, _tabular_json(tmp_path, no_column)) == (
        "tabular.json service_at_location.csv row 1: no column service_id"
    )
    assert _refused(db_session, _tabular_json(tmp_path, not_rows)) == (
        "tabular.json phones.csv: not a list of rows"
    )
