"""The model layer: every table is a typed SQLAlchemy 2 declarative class on one base, so
`mypy --strict` (run by `make lint`) checks every column expression and constructor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import app.models  # noqa: F401  (registers every table)
from app.directory.models import Office, OfficeLanguage, Organization
from app.kit.models import Base

ROOT = Path(__file__).resolve().parents[1]


def _imports_sqlmodel(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(
            a.name.split(".")[0] == "sqlmodel" for a in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlmodel":
            return True
    return False


def test_nothing_imports_sqlmodel_any_more() -> None:
    # The dependency is gone from pyproject.toml: an import would fail on a fresh install.
    sources = [*ROOT.glob("app/**/*.py"), *ROOT.glob("migrations/**/*.py")]
    assert [str(p.relative_to(ROOT)) for p in sources if _imports_sqlmodel(p)] == []


def test_every_table_is_mapped_on_the_one_base() -> None:
    mapped = {m.class_.__tablename__ for m in Base.registry.mappers}
    assert mapped == set(Base.metadata.tables)
    assert {"organization", "office", "phone", "submission", "verification_task"} <= mapped


def test_constructors_take_keywords_and_fill_defaults_before_a_flush() -> None:
    org = Organization(name="Example", category="ngo")
    assert (org.id, org.status, org.confidential, org.version) == (None, "active", False, 1)
    assert org.created_at.tzinfo is not None
    office = Office(organization_id=1, country="NG")
    assert office.languages == [] and office.status == "active"
    with pytest.raises(TypeError):
        OfficeLanguage("en")  # type: ignore[misc]


def test_instances_compare_by_identity_and_hash() -> None:
    first, second = (Organization(name="Same", category="ngo") for _ in range(2))
    assert first != second
    assert len({first, second}) == 2
