"""`homeward review list|show|approve|reject`: the real Typer app, in process, against a
committed database."""

from __future__ import annotations

from click.testing import Result
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.db import unit_of_work
from app.directory import lookup
from app.kit.clock import utcnow
from app.review import intake, queue
from tests.factories import make_office
from tests.review.support import partner, principal, submit


def test_review_from_the_terminal(committed_engine: Engine, homeward) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(committed_engine) as session:
        office = make_office(session)
        _, ngo = partner(session)
        principal(session, "reviewer", name="Reviewer Ana")
        first = submit(
            session,
            ngo,
            {
                "kind": "correction",
                "office_id": office.id,
                "office": {"city": "Ikeja", "address": "1 Example Way"},
            },
        )
        second = submit(
            session, ngo, {"kind": "closure", "office_id": office.id, "reason": "moved"}
        )
        ids = (first.id, second.id, office.id)

    listed = homeward("review", "list")
    assert listed.exit_code == 0, listed.output
    assert "office.city, office.address" in listed.output
    assert "closure (moved)" in listed.output
    assert "per country: NG 2" in listed.output

    shown = homeward("review", "show", str(ids[0]))
    assert shown.exit_code == 0, shown.output
    assert "Lagos" in shown.output and "Ikeja" in shown.output

    nobody = homeward("review", "approve", str(ids[0]), "--as", "Nobody")
    assert nobody.exit_code == 1 and "no active reviewer" in nobody.output

    def approve_city_as_ana(city: str) -> Result:
        return homeward(
            "review",
            "approve",
            str(ids[0]),
            "--as",
            "Reviewer Ana",
            "--field",
            "office.city",
            "--edit",
            f"office.city={city}",
        )

    bad = approve_city_as_ana("x" * 201)
    assert bad.exit_code == 1
    assert "office.city: must be at most 200 characters" in bad.output

    done = approve_city_as_ana("Ikeja GRA")
    assert done.exit_code == 0, done.output
    assert "partially_approved" in done.output

    no_reason = homeward("review", "reject", str(ids[1]), "--as", "Reviewer Ana", "--reason", " ")
    assert no_reason.exit_code == 1 and "reason" in no_reason.output
    rejected = homeward(
        "review", "reject", str(ids[1]), "--as", "Reviewer Ana", "--reason", "still there"
    )
    assert rejected.exit_code == 0, rejected.output

    with Session(committed_engine) as session:
        now = lookup.get_office(session, ids[2])
        assert (now.city, now.address, now.status) == ("Ikeja GRA", None, "active")
        sub = queue.get_submission(session, ids[1])
        assert (sub.status, sub.decision_reason) == ("rejected", "still there")
        assert sub.decided_by == f"Reviewer Ana (key {sub.decided_by_key_id})"

    again = homeward("review", "reject", str(ids[1]), "--as", "Reviewer Ana", "--reason", "x")
    assert again.exit_code == 1 and "already decided" in again.output


def test_show_lists_the_verifications_an_import_claims(committed_engine: Engine, homeward) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(committed_engine) as session:
        office = make_office(session, verified_at=None)
        sub = intake.create_submission(
            session,
            proposal={"kind": "correction", "office_id": office.id, "office": {"city": "Ikeja"}},
            submitter=None,
            source="import: their directory",
            verifications=[
                {"verified_at": utcnow().replace(microsecond=0), "method": "site_visit"}
            ],
        )
        submission_id, claimed = sub.id, sub.verifications[0]["verified_at"]

    shown = homeward("review", "show", str(submission_id))
    assert shown.exit_code == 0, shown.output
    when = f"{claimed[:10]} {claimed[11:16]} UTC"
    assert f"the source verified it on {when} by import: their directory (site_visit)" in (
        shown.output
    )
