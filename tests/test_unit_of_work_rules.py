"""The unit of work has one home: app/db.py ends transactions; routers and pages build no query.

Read from the source: no `.rollback(` outside app/db.py (pages undo a refused write with
`db.savepoint`), and no `select(` or `.commit(` under app/api or app/web (queries live in the
services; the request's unit of work commits).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"


def calls(source: str) -> Iterator[tuple[int, str]]:
    """(line, name) of every call: `f(...)` as "f", `x.f(...)` as ".f"."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                yield node.lineno, node.func.id
            elif isinstance(node.func, ast.Attribute):
                yield node.lineno, "." + node.func.attr


def offending_calls(source: str, names: set[str], where: str) -> list[str]:
    return [f"{where}:{line} calls {name}(" for line, name in calls(source) if name in names]


def files(under: Path) -> list[Path]:
    return sorted(under.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_app_db_rolls_back() -> None:
    found = [
        problem
        for path in files(APP)
        if relative(path) != "app/db.py"
        for problem in offending_calls(
            path.read_text(encoding="utf-8"), {".rollback"}, relative(path)
        )
    ]
    assert found == []


@pytest.mark.parametrize("package", ["api", "web"])
def test_routers_and_pages_neither_query_nor_commit(package: str) -> None:
    found = [
        problem
        for path in files(APP / package)
        for problem in offending_calls(
            path.read_text(encoding="utf-8"), {"select", ".select", ".commit"}, relative(path)
        )
    ]
    assert found == []


def test_the_guard_sees_a_rollback_a_select_and_a_commit() -> None:
    source = "def page(session):\n    session.rollback()\n    session.commit()\n    select(X)\n"
    assert len(offending_calls(source, {".rollback", ".commit", "select"}, "x.py")) == 3
