"""`homeward export --format hsds|hsds-json|vcard` and `homeward import --format hsds`: the
real Typer app, in process (starting the app in a subprocess costs seconds), against a
committed database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import vobject
from frictionless import validate
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.review.models import Submission
from tests.interop import sample
from tests.interop.spec import SPEC, needs_spec


def test_cli_exports_and_imports(committed_engine: Engine, homeward, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Session(committed_engine, expire_on_commit=False) as session:
        s = sample.build(session)
        session.commit()

    package = tmp_path / "package"
    result = homeward("export", "--format", "hsds", "--out", str(package))
    assert result.exit_code == 0, result.output
    assert "exported 5 records as hsds" in result.output
    report = validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    assert not list(tmp_path.glob(".*partial*"))

    nested = tmp_path / "directory.json"
    result = homeward(
        "export", "--format", "hsds-json", "--out", str(nested), "--include-confidential"
    )
    assert result.exit_code == 0, result.output
    names = {doc["name"] for doc in json.loads(nested.read_text(encoding="utf-8"))}
    assert "Example Safe House (demo)" in names

    cards = tmp_path / "contacts.vcf"
    result = homeward("export", "--format", "vcard", "--out", str(cards))
    assert result.exit_code == 0, result.output
    parsed = list(vobject.readComponents(cards.read_text(encoding="utf-8")))
    assert len(parsed) == 4  # every office but the closed and the confidential ones
    assert all(c.version.value == "4.0" for c in parsed)

    missing_out = homeward("export", "--format", "hsds")
    assert missing_out.exit_code == 2 and "--out DIR/" in missing_out.output

    # Re-importing our own export: every record matches its office and nothing differs.
    dry = homeward("import", "--format", "hsds", "--dry-run", str(package))
    assert dry.exit_code == 0, dry.output
    assert "5 unchanged" in dry.output and "dry run" in dry.output
    lagos_address = package / "addresses.csv"
    lagos_address.write_text(
        lagos_address.read_text(encoding="utf-8").replace(",Ikeja,", ",Ikeja GRA,"),
        encoding="utf-8",
    )
    done = homeward("import", "--format", "hsds", str(package))
    assert done.exit_code == 0, done.output
    assert "queued 0 new contacts and 1 corrections" in done.output
    with Session(committed_engine) as session:
        (sub,) = session.execute(select(Submission)).scalars().all()
        assert sub.office_id == s.lagos.id and sub.source == "import: package"
        assert session.execute(select(func.count(Submission.id))).scalar_one() == 1

    bad = homeward("import", "--format", "hsds", str(tmp_path / "nope.txt"))
    assert bad.exit_code == 2 and "neither a data package" in bad.output


def test_cli_import_exit_status_says_whether_anything_was_refused(
    committed_engine: Engine, homeward, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    fixtures = Path(__file__).parent / "fixtures"
    flagged = tmp_path / "flagged"
    shutil.copytree(fixtures / "hsds_2_0", flagged)
    addresses = flagged / "physical_addresses.csv"
    addresses.write_text(
        addresses.read_text(encoding="utf-8").replace(",AL-11,", ",Nowhere,"), "utf-8"
    )
    strict = homeward("import", "--format", "hsds", "--strict", "--dry-run", str(flagged))
    assert strict.exit_code == 1, strict.output
    assert "office.region: 'Nowhere' is not an ISO 3166-2 subdivision of AL" in strict.output
    tolerant = homeward("import", "--format", "hsds", str(flagged))
    assert tolerant.exit_code == 0, tolerant.output
    assert (
        "queued 1 new contacts" in tolerant.output and "1 with values left out" in tolerant.output
    )
    with Session(committed_engine) as session:
        flagged_id = session.execute(select(Submission.id)).scalar_one()
    shown = homeward("review", "show", str(flagged_id))
    assert shown.exit_code == 0, shown.output
    assert "left out by the import: office.region (office.region)" in shown.output
    assert "“Nowhere”: 'Nowhere' is not an ISO 3166-2 subdivision" in shown.output

    nameless = tmp_path / "nameless"
    shutil.copytree(fixtures / "hsds_1_1", nameless)
    orgs = nameless / "organizations.csv"
    orgs.write_text(orgs.read_text(encoding="utf-8").replace("Casa Esperanza", ""), "utf-8")
    refused = homeward("import", "--format", "hsds", str(nameless))
    assert refused.exit_code == 1, refused.output
    assert "services.csv row 2: organization.name:" in refused.output

    cut = tmp_path / "cut"
    shutil.copytree(fixtures / "hsds_2_0", cut)
    phones = cut / "phones.csv"
    phones.write_text(phones.read_text(encoding="utf-8") + 'ph-b,,,,,sal-a,"+355', "utf-8")
    broken = homeward("import", "--format", "hsds", str(cut))
    assert broken.exit_code == 2 and "phones.csv row 3" in broken.output
    with Session(committed_engine) as session:
        assert session.execute(select(func.count(Submission.id))).scalar_one() == 1


@needs_spec
def test_cli_import_of_open_referral_examples_exit_status(
    committed_engine: Engine, homeward, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """0 all queued (findings included), 1 some refused (--strict: then none queued),
    2 a dataset that cannot be read, 3 a file without contact records."""
    examples = SPEC / "examples"
    listed = homeward("import", "--format", "hsds", str(examples / "service_list.json"))
    assert listed.exit_code == 0, listed.output
    assert "queued 1 new contacts" in listed.output and "1 with values left out" in listed.output

    taxonomy = homeward("import", "--format", "hsds", str(examples / "taxonomy_list.json"))
    assert taxonomy.exit_code == 3, taxonomy.output
    assert "no contact records in this file (taxonomy)" in taxonomy.output

    mixed = tmp_path / "mixed.json"
    page = json.loads((examples / "service_list.json").read_text(encoding="utf-8"))
    mixed.write_text(json.dumps([page["contents"][0], {"name": "Nobody"}]), encoding="utf-8")
    some = homeward("import", "--format", "hsds", str(mixed))
    assert some.exit_code == 1, some.output
    assert "[1]: nothing to contact" in some.output and "queued 1 new contacts" in some.output
    strict = homeward("import", "--format", "hsds", "--strict", str(mixed))
    assert strict.exit_code == 1, strict.output
    assert "[0]: office.country: the dataset gives no country" in strict.output
    assert "strict: a record was refused, so nothing was queued" in strict.output

    not_json = tmp_path / "broken.json"
    not_json.write_bytes(b'{"contents": [\xff')
    broken = homeward("import", "--format", "hsds", str(not_json))
    assert broken.exit_code == 2 and "broken.json is not JSON" in broken.output
    with Session(committed_engine) as session:
        assert session.execute(select(func.count(Submission.id))).scalar_one() == 2
