"""Reviewer pages: the verification worklist (also for officers), the per-country digest, and
the review queue with its decisions.

Decisions are the review domain's services; claiming, outcomes and digests the verification
domain's. These modules read forms, call them and pick the template.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.web.reviewer import digest, review, verify

router = APIRouter(include_in_schema=False)
for pages in (verify, digest, review):
    router.include_router(pages.router)
