"""Where the published HSDS 3.0 files are: HSDS_SPEC_DIR, ../shared/hsds-3.0 beside the
checkout, the workplace's /work/shared/hsds-3.0, or /tmp/shared/hsds-3.0. They are test oracles
only; the project never copies them."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest


def _spec_dir() -> Path:
    """HSDS_SPEC_DIR, else the first of these that exists: ../shared/hsds-3.0 beside the
    checkout, /work/shared/hsds-3.0 (a clone made elsewhere, e.g. under /tmp, on this
    workplace's machines), /tmp/shared/hsds-3.0."""
    given = os.environ.get("HSDS_SPEC_DIR")
    if given:
        return Path(given).resolve()
    beside = (Path(__file__).resolve().parents[2] / ".." / "shared" / "hsds-3.0").resolve()
    candidates = [beside, Path("/work/shared/hsds-3.0"), Path("/tmp/shared/hsds-3.0")]
    return next((c.resolve() for c in candidates if c.exists()), beside)


SPEC = _spec_dir()

needs_spec = pytest.mark.skipif(
    not (SPEC / "datapackage.json").exists(),
    reason=f"{SPEC} is absent: HSDS conformance NOT checked",
)


@cache
def load(relative: str) -> Any:
    return json.loads((SPEC / relative).read_text(encoding="utf-8"))
