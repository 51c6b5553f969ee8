"""`homeward import FILE.csv`: all or nothing.

Every row is checked with the directory's own rules (the schemas and validation.py) before
anything is written. If any row is bad, every bad row is reported with its line number (as an
editor shows it: the header is line 1), its column and the reason, and nothing is written.
Otherwise the whole file goes in through the directory and verification services in the
caller's single transaction, with Provenance(source="import:<file name>").

Rows sharing organisation name, category and country are one organisation. An organisation
that already exists (same exact name and category, active, with an office in that country or
no office yet) gets the new offices; an import never changes an existing organisation.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from app.directory import csv_format as fmt
from app.directory import service
from app.directory.enums import VerificationMethod
from app.directory.models import Office, Organization
from app.directory.printable import ORGANIZATION_ACTIVE
from app.directory.provenance import Provenance
from app.directory.schemas import EARLIEST_VERIFICATION, OfficeCreate, OrganizationCreate
from app.directory.validation import checked_country, checked_phone, checked_region
from app.kit import safe_csv
from app.kit.clock import as_utc, utcnow
from app.kit.errors import InvalidValue
from app.kit.text import ShortText
from app.verification.service import record_verification

_DATETIME = TypeAdapter(datetime)
_SHORT_TEXT: TypeAdapter[str] = TypeAdapter(ShortText)
ORGANIZATION_STATUSES = ("active", "closed")
# Shown before the file's name in every revision the import writes.
SOURCE_PREFIX = "import:"


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class ImportRejected(InvalidValue):
    """The file has bad rows; nothing was written. `errors` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors)
        noun = "problem" if len(self.errors) == 1 else "problems"
        super().__init__(f"{len(self.errors)} {noun} in the file; nothing was imported")


@dataclass(frozen=True)
class PlannedVerification:
    verified_at: datetime
    method: str
    verified_by: str | None


@dataclass
class PlannedOffice:
    line: int
    data: OfficeCreate
    verification: PlannedVerification | None


@dataclass
class PlannedOrganization:
    line: int
    data: OrganizationCreate
    country: str
    closed: bool
    comparable: dict[str, Any]
    existing_id: int | None = None
    offices: list[PlannedOffice] = field(default_factory=list)


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    rows: int = 0
    organizations_created: int = 0
    organizations_existing: list[tuple[int, str]] = field(default_factory=list)
    offices: int = 0
    phones: int = 0
    verifications: int = 0


# ---- reading the file ----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 text without its byte-order mark, or ImportRejected naming the bad line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRejected(
            [RowError(1, None, "the file is UTF-16; save it as 'CSV UTF-8' and try again")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise ImportRejected(
            [
                RowError(
                    line,
                    None,
                    f"not UTF-8 text (byte 0x{byte}); save the file as 'CSV UTF-8' and try again",
                )
            ]
        ) from exc


def read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each non-blank row keyed by column, with the line the row starts on."""
    if not text.strip():
        raise ImportRejected(
            [RowError(1, None, "the file is empty: expected a header line naming the columns")]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    next_line = 1
    try:
        for record in reader:
            line, next_line = next_line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = _checked_header(record)
                continue
            if len(record) != len(header):
                errors.append(
                    RowError(
                        line,
                        None,
                        f"{len(record)} values but the header has {len(header)} columns "
                        "(a missing or extra comma, or an unclosed quote?)",
                    )
                )
                continue
            rows.append((line, dict(zip(header, record, strict=True))))
    except csv.Error as exc:
        errors.append(RowError(next_line, None, f"cannot read the CSV: {exc}"))
    if header is None:
        raise ImportRejected([RowError(1, None, "the file has no header line")])
    if errors:
        raise ImportRejected(errors)
    if not rows:
        raise ImportRejected([RowError(2, None, "no rows after the header: nothing to import")])
    return header, rows


def _checked_header(record: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in record]
    if len(names) == 1 and ";" in names[0]:
        raise ImportRejected(
            [RowError(1, None, "columns must be separated by commas, not semicolons")]
        )
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in names:
        if not name:
            errors.append(RowError(1, None, "a column has no name"))
        elif name in seen:
            errors.append(RowError(1, name, "this column appears twice"))
        elif not fmt.known_column(name):
            errors.append(RowError(1, name, "unknown column (see the CSV format in the README)"))
        seen.add(name)
    for required in fmt.REQUIRED_COLUMNS:
        if required not in seen:
            errors.append(RowError(1, required, "required column is missing"))
    for name in seen:
        match = fmt.PHONE_COLUMN.match(name)
        if match and match.group(2) and f"phone{match.group(1)}" not in seen:
            errors.append(RowError(1, name, f"needs the column phone{match.group(1)} too"))
    if errors:
        raise ImportRejected(errors)
    return names


# ---- checking rows ---------------------------------------------------------------------------


def _clean(value: str) -> str:
    return safe_csv.unescape(value.strip())


def _reason(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if isinstance(given, str) and len(given) <= 60 and given not in message:
        message += f" (got '{given}')"
    return message


def _with_item(loc: tuple[Any, ...], reason: str) -> str:
    if loc and isinstance(loc[0], int):
        return f"item {loc[0] + 1}: {reason}"
    return reason


def _column_named(column_of: dict[str, str], loc: tuple[int | str, ...]) -> str | None:
    """The CSV column a validation error's location points at (its field's own name when
    no column maps to it)."""
    return column_of.get(str(loc[0]), str(loc[0])) if loc else None


def _organization(
    line: int, row: dict[str, str]
) -> tuple[OrganizationCreate | None, bool, list[RowError]]:
    values: dict[str, Any] = {}
    for column, field_name in fmt.ORGANIZATION_FIELD_OF.items():
        raw = _clean(row.get(column, ""))
        if raw:
            values[field_name] = fmt.split_list(raw) if column in fmt.LIST_COLUMNS else raw
    errors: list[RowError] = []
    status = row.get("organization_status", "").strip().lower() or "active"
    if status not in ORGANIZATION_STATUSES:
        errors.append(
            RowError(line, "organization_status", f"must be active or closed (got '{status}')")
        )
    column_of = {v: k for k, v in fmt.ORGANIZATION_FIELD_OF.items()}
    try:
        data = OrganizationCreate(**values)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            errors.append(
                RowError(line, _column_named(column_of, loc), _with_item(loc[1:], _reason(err)))
            )
        return None, status == "closed", errors
    return data, status == "closed", errors


def _phone_groups(header: list[str]) -> list[int]:
    groups = {int(m.group(1)) for c in header if (m := fmt.PHONE_COLUMN.match(c))}
    return sorted(groups)


def _office(
    line: int, row: dict[str, str], groups: list[int]
) -> tuple[OfficeCreate | None, list[RowError]]:
    values: dict[str, Any] = {"organization_id": 1}  # the real id is set when writing
    for column, field_name in fmt.OFFICE_FIELD_OF.items():
        raw = _clean(row.get(column, ""))
        if raw:
            values[field_name] = fmt.split_list(raw) if column in fmt.LIST_COLUMNS else raw
    errors: list[RowError] = []
    phones: list[dict[str, Any]] = []
    phone_group_of: list[int] = []
    for group in groups:
        phone: dict[str, Any] = {}
        filled: list[str] = []
        for suffix, field_name in fmt.PHONE_FIELD_OF_SUFFIX.items():
            column = f"phone{group}{suffix}"
            raw = _clean(row.get(column, ""))
            if raw:
                phone[field_name] = fmt.split_list(raw) if suffix == "_languages" else raw
                filled.append(column)
        if not phone:
            continue
        if "number" not in phone:
            given = ", ".join(filled)
            errors.append(RowError(line, f"phone{group}", f"empty, but {given} is filled in"))
            continue
        phones.append(phone)
        phone_group_of.append(group)
    values["phones"] = phones
    try:
        data = OfficeCreate(**values)
    except ValidationError as exc:
        column_of = {v: k for k, v in fmt.OFFICE_FIELD_OF.items()}
        suffix_of = {v: k for k, v in fmt.PHONE_FIELD_OF_SUFFIX.items()}
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc[:1] == ("phones",) and len(loc) >= 3 and isinstance(loc[1], int):
                column = f"phone{phone_group_of[loc[1]]}{suffix_of.get(str(loc[2]), '')}"
                errors.append(RowError(line, column, _with_item(loc[3:], _reason(err))))
            else:
                errors.append(
                    RowError(line, _column_named(column_of, loc), _with_item(loc[1:], _reason(err)))
                )
        return None, errors
    # The country-dependent rules, exactly as the directory service applies them.
    try:
        country = checked_country(data.country)
    except InvalidValue as exc:
        return None, [*errors, RowError(line, "country", exc.message)]
    try:
        checked_region(country, data.region)
    except InvalidValue as exc:
        errors.append(RowError(line, "region", exc.message))
    for proposed, group in zip(data.phones, phone_group_of, strict=True):
        try:
            checked_phone(proposed.number, country)
        except InvalidValue as exc:
            errors.append(RowError(line, f"phone{group}", exc.message))
    return (None if errors else data), errors


def _verification(
    line: int, row: dict[str, str], now: datetime
) -> tuple[PlannedVerification | None, list[RowError]]:
    when = row.get("last_verified_at", "").strip()
    method = row.get("verification_method", "").strip().lower()
    by = _clean(row.get("verified_by", ""))
    if not when:
        if method or by:
            column = "verification_method" if method else "verified_by"
            return None, [RowError(line, column, "given without last_verified_at")]
        return None, []
    errors: list[RowError] = []
    verified_at: datetime | None = None
    try:
        verified_at = as_utc(_DATETIME.validate_python(when))
    except ValidationError:
        errors.append(
            RowError(
                line,
                "last_verified_at",
                f"not a date and time like 2026-05-01T09:30Z (got '{when[:40]}')",
            )
        )
    if verified_at is not None and verified_at < EARLIEST_VERIFICATION:
        errors.append(
            RowError(
                line, "last_verified_at", f"must not be before {EARLIEST_VERIFICATION:%Y-%m-%d}"
            )
        )
    elif verified_at is not None and verified_at > now:
        errors.append(RowError(line, "last_verified_at", "a verification cannot be in the future"))
    allowed = ", ".join(m.value for m in VerificationMethod)
    if not method:
        errors.append(
            RowError(line, "verification_method", f"required with last_verified_at: {allowed}")
        )
    elif method not in {m.value for m in VerificationMethod}:
        errors.append(
            RowError(line, "verification_method", f"must be one of {allowed} (got '{method[:40]}')")
        )
    verified_by: str | None = None
    if by:
        try:
            verified_by = _SHORT_TEXT.validate_python(by)
        except ValidationError as exc:
            errors.append(RowError(line, "verified_by", _reason(exc.errors()[0])))
    if errors or verified_at is None:
        return None, errors
    return PlannedVerification(verified_at=verified_at, method=method, verified_by=verified_by), []


def _first_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    column_of = {v: k for k, v in fmt.ORGANIZATION_FIELD_OF.items()}
    column_of["closed"] = "organization_status"
    for key in a:
        if a[key] != b.get(key):
            return column_of.get(key, key)
    return "organization_name"


def _existing_organization(
    session: Session, *, name: str, category: str, country: str
) -> Organization | None:
    in_country = exists().where(
        Office.organization_id == Organization.id, Office.country == country
    )
    any_office = exists().where(Office.organization_id == Organization.id)
    stmt = (
        select(Organization)
        .where(
            Organization.name == name,
            Organization.category == category,
            ORGANIZATION_ACTIVE.clause(),
            or_(in_country, ~any_office),
        )
        .order_by(Organization.id)
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def plan_import(session: Session, *, data: bytes) -> tuple[list[PlannedOrganization], int]:
    """Check the whole file and return what it would create, or raise ImportRejected
    listing every bad row. Reads the database (to match organisations), writes nothing."""
    header, rows = read_rows(decode(data))
    groups = _phone_groups(header)
    now = utcnow()
    errors: list[RowError] = []
    planned: dict[tuple[str, str, str], PlannedOrganization] = {}
    for line, row in rows:
        org, closed, org_errors = _organization(line, row)
        office, office_errors = _office(line, row, groups)
        verification, verification_errors = _verification(line, row, now)
        row_errors = [*org_errors, *office_errors, *verification_errors]
        errors.extend(row_errors)
        if row_errors or org is None or office is None:
            continue
        country = checked_country(office.country)
        key = (org.name, org.category.value, country)
        comparable = {**org.model_dump(mode="json", warnings=False), "closed": closed}
        existing = planned.get(key)
        if existing is None:
            existing = planned[key] = PlannedOrganization(
                line=line, data=org, country=country, closed=closed, comparable=comparable
            )
        elif existing.comparable != comparable:
            column = _first_difference(comparable, existing.comparable)
            errors.append(
                RowError(
                    line,
                    column,
                    f"differs from line {existing.line}, a row of the same organisation "
                    "(name, category and country identify an organisation)",
                )
            )
            continue
        existing.offices.append(PlannedOffice(line=line, data=office, verification=verification))
    for org_plan in planned.values():
        found = _existing_organization(
            session,
            name=org_plan.data.name,
            category=org_plan.data.category.value,
            country=org_plan.country,
        )
        if found is None:
            continue
        if found.confidential != org_plan.data.confidential:
            errors.append(
                RowError(
                    org_plan.line,
                    "confidential",
                    f"organisation {found.id} '{found.name}' already exists with "
                    f"confidential={str(found.confidential).lower()}; the file says "
                    f"{str(org_plan.data.confidential).lower()}. Fix the file or the organisation.",
                )
            )
        org_plan.existing_id = found.id
    if errors:
        raise ImportRejected(errors)
    return list(planned.values()), len(rows)


def import_csv(
    session: Session,
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Import a CSV file into the directory, all or nothing (flushes; the caller commits).

    Raises ImportRejected listing every bad row; with `dry_run` only checks and reports.
    """
    name = Path(filename).name
    plan, row_count = plan_import(session, data=data)
    report = ImportReport(filename=name, dry_run=dry_run, rows=row_count)
    provenance = Provenance(actor=actor, source=(SOURCE_PREFIX + name)[:200], approved_by=actor)
    for org_plan in plan:
        if org_plan.existing_id is not None:
            report.organizations_existing.append((org_plan.existing_id, org_plan.data.name))
        else:
            report.organizations_created += 1
        report.offices += len(org_plan.offices)
        report.phones += sum(len(o.data.phones) for o in org_plan.offices)
        report.verifications += sum(1 for o in org_plan.offices if o.verification)
        if dry_run:
            continue
        if org_plan.existing_id is None:
            org = service.create_organization(session, data=org_plan.data, provenance=provenance)
            assert org.id is not None
            org_id = org.id
        else:
            org_id = org_plan.existing_id
        for office_plan in org_plan.offices:
            office = service.create_office(
                session,
                data=office_plan.data.model_copy(update={"organization_id": org_id}),
                provenance=provenance,
            )
            assert office.id is not None
            if office_plan.verification is not None:
                record_verification(
                    session,
                    office_id=office.id,
                    method=office_plan.verification.method,
                    verified_by=office_plan.verification.verified_by or provenance.source,
                    verified_at=office_plan.verification.verified_at,
                    note=f"imported from {name}",
                    provenance=provenance,
                )
        if org_plan.closed and org_plan.existing_id is None:
            service.close_organization(session, organization_id=org_id, provenance=provenance)
    session.flush()
    return report
