"""A submission's origin (an NGO partner or an import) is a column set at intake; approval
decides by it, not by how `source` or `title` read. The migration backfills it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.directory.models import Office
from app.kit.principal import Principal
from app.review import decisions, intake
from app.review.models import Submission, SubmissionOrigin
from tests.conftest import alembic_config, throwaway_database
from tests.factories import NG_PHONE, NG_PHONE_2
from tests.review.support import partner, principal

BEFORE = "20261129_0120"
ORIGIN = "20261203_0810_submission_origin"


def _new_contact(city: str, number: str) -> dict[str, object]:
    return {
        "kind": "new_contact",
        "organization": {"name": "Harbour Help (demo)", "category": "ngo"},
        "office": {"country": "NG", "city": city, "phones": [{"number": number}]},
    }


def _two_new_offices_approved(
    session: Session, submitter: Principal | None, source: str, **origin: SubmissionOrigin
) -> tuple[list[Submission], set[int]]:
    """Harbour Help proposed in Kano and in Jos by `submitter`, both approved: the two
    submissions, and the organisations their offices ended up in."""
    subs = [
        intake.create_submission(
            session,
            proposal=_new_contact(city, number),
            submitter=submitter,
            source=source,
            **origin,
        )
        for city, number in (("Kano", NG_PHONE), ("Jos", NG_PHONE_2))
    ]
    return subs, _approve_both(session, subs)


def _approve_both(session: Session, subs: list[Submission]) -> set[int]:
    reviewer = principal(session, "reviewer", name="Reviewer Rui")
    offices = []
    for sub in subs:
        assert sub.id is not None
        decided = decisions.approve(session, submission_id=sub.id, reviewer=reviewer)
        offices.append(session.get(Office, decided.office_id))
    return {o.organization_id for o in offices if o is not None}


def test_intake_records_the_origin_it_is_given_or_the_one_its_submitter_implies(
    db_session: Session,
) -> None:
    _, ngo = partner(db_session)
    by_partner = intake.create_submission(
        db_session, proposal=_new_contact("Kano", NG_PHONE), submitter=ngo, source="web"
    )
    by_import = intake.create_submission(
        db_session,
        proposal=_new_contact("Jos", NG_PHONE_2),
        submitter=None,
        source="partner directory",
        origin=SubmissionOrigin.IMPORT,
    )
    assert (by_partner.origin, by_import.origin) == ("ngo_partner", "import")


def test_an_import_reuses_the_organisation_it_created_whatever_its_source_says(
    db_session: Session,
) -> None:
    # The source names the dataset in words of its own: no "import:" prefix to recognise.
    _, organisations = _two_new_offices_approved(
        db_session, None, "Harbour network, March list", origin=SubmissionOrigin.IMPORT
    )
    assert len(organisations) == 1


def test_partner_proposals_that_read_like_an_import_are_not_merged(db_session: Session) -> None:
    _, ngo = partner(db_session)
    subs, organisations = _two_new_offices_approved(db_session, ngo, "import: looks like one")
    assert {s.origin for s in subs} == {"ngo_partner"}
    # Each partner proposal of a new organisation creates it: a reviewer merges by hand.
    assert len(organisations) == 2


def _insert_old_submission(conn: Connection, source: str) -> None:
    conn.execute(
        text(
            "INSERT INTO submission (kind, status, country, title, changes, base, base_versions,"
            " base_revision_id, source, duplicate_matches, submitter_name, created_at)"
            " VALUES ('correction', 'pending', 'NG', 't', '{}', '{}', '{}', 0, :source, '[]',"
            " :source, CURRENT_TIMESTAMP)"
        ),
        {"source": source},
    )


def test_the_migration_backfills_the_origin_from_the_source_and_downgrades() -> None:
    with throwaway_database("origin") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, BEFORE)
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                for source in ("import: partner network", "ngo: Field team (key 3)", "web"):
                    _insert_old_submission(conn, source)
            command.upgrade(cfg, ORIGIN)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT source, origin FROM submission ORDER BY id"))
                assert [tuple(r) for r in rows] == [
                    ("import: partner network", "import"),
                    ("ngo: Field team (key 3)", "ngo_partner"),
                    ("web", "ngo_partner"),
                ]
            command.downgrade(cfg, BEFORE)
            columns = {c["name"] for c in inspect(engine).get_columns("submission")}
            assert "origin" not in columns and "source" in columns
            command.upgrade(cfg, "heads")
        finally:
            engine.dispose()
