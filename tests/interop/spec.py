"""Where the published HSDS 3.0 files are: ../shared/hsds-3.0 beside the checkout, or
HSDS_SPEC_DIR. They are test oracles only; the project never copies them."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPEC = Path(
    os.environ.get("HSDS_SPEC_DIR")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "hsds-3.0"
).resolve()

needs_spec = pytest.mark.skipif(
    not (SPEC / "datapackage.json").exists(),
    reason=f"{SPEC} is absent: HSDS conformance NOT checked",
)


@cache
def load(relative: str) -> Any:
    return json.loads((SPEC / relative).read_text(encoding="utf-8"))
