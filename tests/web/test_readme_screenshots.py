"""The README's Screenshots section shows exactly the pages the browser tests photograph."""

from __future__ import annotations

import re

from PIL import Image

from app.config import PROJECT_ROOT
from tests.web.conftest import DOCS_SCREENSHOTS, README_SCREENSHOTS


def test_the_readme_shows_each_roles_main_page_from_the_browser_tests() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("### Screenshots", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"\]\(docs/screenshots/([\w-]+)\.png\)", section)
    assert sorted(shown) == sorted(README_SCREENSHOTS)
    for name in shown:
        with Image.open(DOCS_SCREENSHOTS / f"{name}.png") as image:
            assert image.format == "PNG"
            assert image.size == (1280, 900), (name, image.size)
