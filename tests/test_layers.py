"""The import direction of app/: every package stands only on the layers below it.

Read from the source (every `import`, also those inside functions), so a new upward import
fails here before it ships. Lowest layer first; packages on one line are peers and do not
import each other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

LAYERS: list[set[str]] = [
    {"config"},
    {"kit", "db", "backup"},
    {"directory"},
    {"auth"},
    {"verification"},
    {"review", "sheets"},
    {"interop", "outreach"},
    {"loading", "schedule"},
    {"web", "api"},
    {"main", "models", "cli"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}

# Narrow exceptions to "only downwards", each with its reason. Auth's API keys point at an
# organisation (a foreign key), so auth may see the directory's tables but none of its services.
ALLOWED_ONLY: dict[tuple[str, str], set[str]] = {
    ("auth", "directory"): {"app.directory.models"},
}


def imported_modules(source: str, top: str = "app") -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import of `top` or `top.*` in `source`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            if name == top or name.startswith(top + "."):
                yield node.lineno, name


def package_of(path: Path) -> str:
    """The layer a file of app/ belongs to: its package, or its own name at the top."""
    relative = path.relative_to(APP).with_suffix("")
    return relative.parts[0]


def violations(package: str, source: str, where: str) -> list[str]:
    """Each import in `source` (a file of `package`) that runs sideways or back up."""
    found = []
    for line, module in imported_modules(source):
        parts = module.split(".")
        if len(parts) < 2:
            found.append(f"{where}:{line} imports the whole app package")
            continue
        target = parts[1]
        if target == package:
            continue
        if target not in RANK:
            found.append(f"{where}:{line} imports {module}, which is in no layer")
            continue
        allowed = ALLOWED_ONLY.get((package, target))
        if allowed is not None:
            if not any(module == ok or module.startswith(ok + ".") for ok in allowed):
                found.append(f"{where}:{line} imports {module}; only {sorted(allowed)} allowed")
            continue
        if RANK[target] >= RANK[package]:
            found.append(f"{where}:{line} imports {module} (layer {target} is not below {package})")
    return found


def app_files() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_every_package_of_app_has_a_layer() -> None:
    assert {package_of(path) for path in app_files()} - {"__init__"} <= set(RANK)


def test_no_import_in_app_runs_sideways_or_back_up() -> None:
    found = [
        problem
        for path in app_files()
        for problem in violations(
            package_of(path), path.read_text(encoding="utf-8"), str(path.relative_to(APP.parent))
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    ("folder", "forbidden"), [("app", "bench"), ("app", "tests"), ("bench", "tests")]
)
def test_tooling_stays_out_of_the_app_and_benches_stand_alone(folder: str, forbidden: str) -> None:
    """Nothing of tests or benches ships in app/; bench/ (the synthetic directory, the local
    server) is shared by benches and tests and never imports tests/."""
    found = [
        f"{path.relative_to(APP.parent)}:{line} imports {module}"
        for path in sorted((APP.parent / folder).rglob("*.py"))
        for line, module in imported_modules(path.read_text(encoding="utf-8"), forbidden)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("directory", "from app.verification.service import record_verification"),
        ("directory", "def f():\n    from app.interop import cli\n"),
        ("directory", "import app.web.ngo"),
        ("kit", "from app.directory.models import Office"),
        ("auth", "from app.directory.service import get_office"),
        ("review", "from app.sheets import service"),
    ],
)
def test_the_guard_catches_an_upward_or_sideways_import(package: str, source: str) -> None:
    assert violations(package, source, "example.py")


def test_the_guard_lets_auth_see_the_directory_tables() -> None:
    assert violations("auth", "from app.directory.models import Organization", "x.py") == []


# A module that grows past this does more than one job: split it by job, not by line count.
MAX_MODULE_LINES = 600


def test_no_module_of_app_is_longer_than_the_limit() -> None:
    too_long = {
        str(path.relative_to(APP.parent)): lines
        for path in app_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
