"""NGO partner pages: browse the partner's countries' contacts, confirm one is still correct,
suggest a correction, report a closure or move, propose a new contact, see "My submissions".

One module per flow. Submissions go through the review queue's intake
(app.review.intake.create_submission), which validates them exactly as the directory would
and holds them to the partner's countries (app.verification.partners.check_scope);
confirmations go through the verification domain. `proposals` turns form fields into those
proposals and puts any error back next to the field it concerns, keeping what was typed.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.web.ngo import (
    browse,
    closure_report,
    confirm,
    correction,
    my_submissions,
    new_contact,
)

router = APIRouter(include_in_schema=False)
for flow in (browse, confirm, correction, closure_report, new_contact, my_submissions):
    router.include_router(flow.router)
