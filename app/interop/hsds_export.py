"""HSDS 3.0 exports: a tabular data package (datapackage.json + CSVs) and nested JSON.

Both stream: offices are read in keyset batches of plain rows and written out at once, so
memory stays flat however large the directory. Confidential organisations are left out unless
the operator asks for them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.directory.visibility import confidential_filter
from app.interop.hsds_documents import compact, organization_doc, service_doc
from app.interop.hsds_records import OfficeRecord, OrgRecord, load_offices, load_organizations
from app.interop.hsds_rows import flatten, service_rows, source_rows
from app.interop.hsds_tables import TABLES, package_descriptor
from app.interop.hsds_vocabulary import TERMS, taxonomy_doc, term_doc
from app.kit import safe_csv

BATCH_SIZE = 1000


@dataclass
class ExportSummary:
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def services(self) -> int:
        return self.counts["service"]

    @property
    def organizations(self) -> int:
        return self.counts["organization"]


def iter_office_batches(
    session: Session,
    *,
    include_confidential: bool = False,
    conditions: Sequence[ColumnElement[bool]] = (),
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[OfficeRecord]]:
    """Offices (all statuses unless `conditions` narrow them), ordered by organisation then
    id, in batches read by keyset so memory stays flat."""
    last: tuple[int, int] | None = None
    while True:
        stmt = (
            select(Office.id, Office.organization_id)
            .join(Organization, Organization.id == Office.organization_id)
            .where(*confidential_filter(include_confidential=include_confidential), *conditions)
            .order_by(Office.organization_id, Office.id)
            .limit(batch_size)
        )
        if last is not None:
            stmt = stmt.where(
                or_(
                    Office.organization_id > last[0],
                    and_(Office.organization_id == last[0], Office.id > last[1]),
                )
            )
        keys = list(session.execute(stmt))
        if not keys:
            return
        yield load_offices(session, [k.id for k in keys])
        last = (keys[-1].organization_id, keys[-1].id)


def iter_bare_organizations(
    session: Session, *, include_confidential: bool = False, batch_size: int = BATCH_SIZE
) -> Iterator[list[OrgRecord]]:
    """Organisations without any office, in batches."""
    last = 0
    while True:
        ids = list(
            session.execute(
                select(Organization.id)
                .where(
                    Organization.id > last,
                    ~exists().where(Office.organization_id == Organization.id),
                    *confidential_filter(include_confidential=include_confidential),
                )
                .order_by(Organization.id)
                .limit(batch_size)
            ).scalars()
        )
        if not ids:
            return
        orgs = load_organizations(session, ids)
        yield [orgs[i] for i in ids]
        last = ids[-1]


_COLUMNS = {t.name: tuple(t.column_names) for t in TABLES}
# Tables of few rows that many records share: written once per export.
_SHARED = frozenset({"taxonomy", "taxonomy_term", "meta_table_description"})


class _TableWriters:
    """One CSV writer per HSDS table, each row written as soon as it is made."""

    def __init__(self, stack: ExitStack, out_dir: Path) -> None:
        self.writers: dict[str, safe_csv.SafeWriter] = {}
        for table in TABLES:
            handle = stack.enter_context(
                (out_dir / table.path).open("w", encoding="utf-8", newline="")
            )
            writer = safe_csv.writer(handle)
            writer.writerow(table.column_names)
            self.writers[table.name] = writer
        self.counts: Counter[str] = Counter()
        self.shared: set[tuple[str, Any]] = set()

    def write(
        self, rows: Iterator[tuple[str, dict[str, Any]]], seen: set[tuple[str, Any]] | None = None
    ) -> None:
        """Write rows; with `seen`, a row whose (table, id) is in it is written once (an
        imported organisation's source nests the same location or program in several places)."""
        # csv writes None as an empty cell; HSDS rows hold only str, int, float and None.
        for table_name, row in rows:
            if seen is not None or table_name in _SHARED:
                key = (table_name, row.get("id"))
                memo = self.shared if table_name in _SHARED else seen
                assert memo is not None
                if key in memo:
                    continue
                memo.add(key)
            self.writers[table_name].writerow(map(row.get, _COLUMNS[table_name]))
            self.counts[table_name] += 1


def write_tabular(
    session: Session,
    out_dir: Path,
    *,
    include_confidential: bool = False,
    title: str = "Homeward directory (HSDS 3.0)",
) -> ExportSummary:
    """Write `datapackage.json` and one CSV per HSDS table into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tables = _TableWriters(stack, out_dir)
        tables.write(iter([("taxonomy", taxonomy_doc())]))
        tables.write(("taxonomy_term", term_doc(t)) for t in TERMS)
        last_org: int | None = None
        # The rows an imported organisation's records wrote: its source may nest one
        # location, program or contact in several of them.
        seen: set[tuple[str, Any]] = set()
        for batch in iter_office_batches(session, include_confidential=include_confidential):
            for office in batch:
                if office.organization_id != last_org:
                    seen = set()
                    tables.write(flatten("organization", organization_doc(office.org)), seen)
                    last_org = office.organization_id
                if office.hsds_source is None and office.org.hsds_source is None:
                    tables.write(service_rows(service_doc(office)))
                else:
                    source = office.hsds_source or {}
                    tables.write(source_rows("service", service_doc(office), source), seen)
        for orgs in iter_bare_organizations(session, include_confidential=include_confidential):
            for org in orgs:
                tables.write(flatten("organization", organization_doc(org)))
    (out_dir / "datapackage.json").write_text(
        json.dumps(package_descriptor(title=title), indent=2), encoding="utf-8"
    )
    return ExportSummary(counts=tables.counts)


def write_json(
    session: Session, out: IO[str], *, include_confidential: bool = False
) -> ExportSummary:
    """Write a JSON array of fully nested HSDS organizations, each with its services."""
    summary = ExportSummary()
    out.write("[")
    first_org = True
    open_org: int | None = None
    first_service = True

    def open_organization(org: OrgRecord) -> None:
        nonlocal first_org, first_service
        doc = compact(organization_doc(org))
        head = json.dumps(doc, ensure_ascii=False)[:-1]
        out.write(("\n" if first_org else ",\n") + head + ', "services": [')
        first_org, first_service = False, True
        summary.counts["organization"] += 1

    for batch in iter_office_batches(session, include_confidential=include_confidential):
        for office in batch:
            if office.organization_id != open_org:
                if open_org is not None:
                    out.write("]}")
                open_organization(office.org)
                open_org = office.organization_id
            out.write(
                ("" if first_service else ", ")
                + json.dumps(compact(service_doc(office)), ensure_ascii=False)
            )
            first_service = False
            summary.counts["service"] += 1
    if open_org is not None:
        out.write("]}")
    for orgs in iter_bare_organizations(session, include_confidential=include_confidential):
        for org in orgs:
            open_organization(org)
            out.write("]}")
    out.write("\n]\n")
    return summary
