"""The HSDS 3.0 tabular resources: table names, file names, columns and keys.

Homeward's own list of the Open Referral tables (names, types, formats, required and unique
flags, enums and foreign keys), from which `datapackage.json` is generated at export time. The
export never reads the published specification at run time; the tests check this list and the
files it produces against the published `datapackage.json` and schemas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HSDS_VERSION = "3.0.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/latest/hsds/schema_reference.html"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    fmt: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    # The table this column points at (by its id): a foreign key, stated next to its column.
    references: str | None = None

    def descriptor(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.fmt:
            out["format"] = self.fmt
        constraints: dict[str, Any] = {"required": self.required, "unique": self.unique}
        if self.enum:
            constraints["enum"] = list(self.enum)
        out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class Table:
    name: str
    path: str
    columns: tuple[Column, ...]

    @property
    def foreign_keys(self) -> tuple[tuple[str, str], ...]:
        """(column, table) for every column that points at another table."""
        return tuple((c.name, c.references) for c in self.columns if c.references)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def descriptor(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {
                "fields": [c.descriptor() for c in self.columns],
                "primaryKey": "id",
                "foreignKeys": [
                    {"fields": column, "reference": {"resource": resource, "fields": "id"}}
                    for column, resource in self.foreign_keys
                ],
            },
        }


# Every table's primary key.
ID = Column("id", "string", fmt="uuid", required=True, unique=True)


def link(name: str, table: str, *, required: bool = False, unique: bool = False) -> Column:
    """A column holding the id of a row of `table`, with its foreign key."""
    return Column(name, "string", fmt="uuid", required=required, unique=unique, references=table)


TABLES: tuple[Table, ...] = (
    Table(
        "organization",
        "organizations.csv",
        (
            ID,
            Column("name", "string", required=True),
            Column("alternate_name", "string"),
            Column("description", "string", required=True),
            Column("email", "string", fmt="email"),
            Column("website", "string", fmt="uri"),
            Column("tax_status", "string"),
            Column("tax_id", "string"),
            Column("year_incorporated", "number"),
            Column("legal_status", "string"),
            Column("logo", "string"),
            Column("uri", "string", fmt="uri"),
            Column("parent_organization_id", "string", fmt="uuid"),
        ),
    ),
    Table(
        "program",
        "programs.csv",
        (
            ID,
            link("organization_id", "organization", required=True, unique=True),
            Column("name", "string", required=True),
            Column("alternate_name", "string"),
            Column("description", "string", required=True),
        ),
    ),
    Table(
        "service",
        "services.csv",
        (
            ID,
            link("organization_id", "organization", required=True),
            link("program_id", "program"),
            Column("name", "string", required=True),
            Column("alternate_name", "string"),
            Column("description", "string"),
            Column("url", "string", fmt="uri"),
            Column("email", "string", fmt="email"),
            Column(
                "status",
                "string",
                required=True,
                enum=("active", "inactive", "defunct", "temporarily closed"),
            ),
            Column("interpretation_services", "string"),
            Column("application_process", "string"),
            Column("fees_description", "string"),
            Column("wait_time", "string"),
            Column("fees", "string"),
            Column("accreditations", "string"),
            Column("eligibility_description", "string"),
            Column("minimum_age", "number"),
            Column("maximum_age", "number"),
            Column("assured_date", "date"),
            Column("assurer_email", "string", fmt="email"),
            Column("licenses", "string"),
            Column("alert", "string"),
            Column("last_modified", "datetime"),
        ),
    ),
    Table(
        "attribute",
        "attributes.csv",
        (
            ID,
            Column("link_id", "string", fmt="uuid", required=True),
            link("taxonomy_term_id", "taxonomy_term", required=True),
            Column("link_type", "string"),
            Column("link_entity", "string", required=True),
            Column("value", "string"),
        ),
    ),
    Table(
        "service_at_location",
        "service_at_location.csv",
        (
            ID,
            link("service_id", "service", required=True),
            link("location_id", "location", required=True),
            Column("description", "string"),
        ),
    ),
    Table(
        "location",
        "locations.csv",
        (
            ID,
            Column(
                "location_type", "string", required=True, enum=("physical", "postal", "virtual")
            ),
            Column("url", "string", fmt="uri"),
            link("organization_id", "organization"),
            Column("name", "string"),
            Column("alternate_name", "string"),
            Column("description", "string"),
            Column("transportation", "string"),
            Column("latitude", "number"),
            Column("longitude", "number"),
            Column("external_identifier", "string"),
            Column("external_identifier_type", "string"),
        ),
    ),
    Table(
        "phone",
        "phones.csv",
        (
            ID,
            link("location_id", "location"),
            link("service_id", "service"),
            link("organization_id", "organization"),
            link("contact_id", "contact"),
            link("service_at_location_id", "service_at_location"),
            Column("number", "string", required=True),
            Column("extension", "number"),
            Column("type", "string"),
            Column("description", "string"),
        ),
    ),
    Table(
        "contact",
        "contacts.csv",
        (
            ID,
            link("organization_id", "organization"),
            link("service_id", "service"),
            link("service_at_location_id", "service_at_location"),
            link("location_id", "location"),
            Column("name", "string"),
            Column("title", "string"),
            Column("department", "string"),
            Column("email", "string", fmt="email"),
        ),
    ),
    Table(
        "address",
        "addresses.csv",
        (
            ID,
            link("location_id", "location"),
            Column("attention", "string"),
            Column("address_1", "string", required=True),
            Column("address_2", "string"),
            Column("city", "string", required=True),
            Column("region", "string"),
            Column("state_province", "string", required=True),
            Column("postal_code", "string", required=True),
            Column("country", "string", required=True),
            Column("address_type", "string", required=True, enum=("physical", "postal", "virtual")),
        ),
    ),
    Table(
        "schedule",
        "schedules.csv",
        (
            ID,
            link("service_id", "service"),
            link("location_id", "location"),
            link("service_at_location_id", "service_at_location"),
            Column("valid_from", "date"),
            Column("valid_to", "date"),
            Column("dtstart", "date"),
            Column("timezone", "number"),
            Column("until", "date"),
            Column("count", "number"),
            Column("wkst", "string", enum=("MO", "TU", "WE", "TH", "FR", "SA", "SU")),
            Column("freq", "string", enum=("WEEKLY", "MONTHLY")),
            Column("interval", "number"),
            Column("byday", "string"),
            Column("byweekno", "string"),
            Column("bymonthday", "string"),
            Column("byyearday", "string"),
            Column("description", "string"),
            Column("opens_at", "time"),
            Column("closes_at", "time"),
            Column("schedule_link", "string", fmt="uri"),
            Column("attending_type", "string"),
            Column("notes", "string"),
        ),
    ),
    Table(
        "funding",
        "funding.csv",
        (
            ID,
            link("organization_id", "organization"),
            link("service_id", "service"),
            Column("source", "string"),
        ),
    ),
    Table(
        "service_area",
        "service_areas.csv",
        (
            ID,
            link("service_id", "service"),
            Column("name", "string"),
            Column("description", "string"),
            Column("extent", "string"),
            Column("extent_type", "string"),
            Column("uri", "string"),
        ),
    ),
    Table(
        "required_document",
        "required_documents.csv",
        (
            ID,
            link("service_id", "service"),
            Column("document", "string"),
            Column("uri", "string", fmt="uri"),
        ),
    ),
    Table(
        "language",
        "languages.csv",
        (
            ID,
            link("service_id", "service"),
            link("location_id", "location"),
            link("phone_id", "phone"),
            Column("name", "string"),
            Column("code", "string"),
            Column("note", "string"),
        ),
    ),
    Table(
        "accessibility",
        "accessibility.csv",
        (
            ID,
            link("location_id", "location"),
            Column("description", "string"),
            Column("details", "string"),
            Column("url", "string", fmt="uri"),
        ),
    ),
    Table(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            ID,
            Column("code", "string", unique=True),
            Column("name", "string", required=True),
            Column("description", "string", required=True),
            Column("parent_id", "string", fmt="uuid"),
            Column("taxonomy", "string"),
            Column("language", "string"),
            link("taxonomy_id", "taxonomy"),
            Column("term_uri", "string", fmt="uri"),
        ),
    ),
    Table(
        "metadata",
        "metadata.csv",
        (
            ID,
            Column("resource_id", "string", fmt="uuid", required=True),
            Column("resource_type", "string", required=True),
            Column("last_action_date", "date", required=True),
            Column("last_action_type", "string", required=True),
            Column("field_name", "string", required=True),
            Column("previous_value", "string", required=True),
            Column("replacement_value", "string", required=True),
            Column("updated_by", "string", required=True),
        ),
    ),
    Table(
        "meta_table_description",
        "meta_table_descriptions.csv",
        (
            ID,
            Column("name", "string"),
            Column("language", "string"),
            Column("character_set", "string"),
        ),
    ),
    Table(
        "cost_option",
        "cost_options.csv",
        (
            ID,
            link("service_id", "service", required=True),
            Column("valid_from", "date"),
            Column("valid_to", "date"),
            Column("option", "string"),
            Column("currency", "string"),
            Column("amount", "number"),
            Column("amount_description", "string"),
        ),
    ),
    Table(
        "organization_identifier",
        "organization_identifiers.csv",
        (
            ID,
            link("organization_id", "organization", required=True),
            Column("identifier_scheme", "string"),
            Column("identifier_type", "string", required=True),
            Column("identifier", "string", required=True),
        ),
    ),
    Table(
        "taxonomy",
        "taxonomies.csv",
        (
            ID,
            Column("name", "string", required=True),
            Column("description", "string", required=True),
            Column("uri", "string", fmt="uri"),
            Column("version", "string"),
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def package_descriptor(*, title: str) -> dict[str, Any]:
    """The tabular data package descriptor for an export (every HSDS table, some empty)."""
    return {
        "name": "homeward_hsds",
        "title": title,
        "profile": "tabular-data-package",
        "version": HSDS_VERSION,
        "homepage": "https://openreferral.org/",
        "resources": [t.descriptor() for t in TABLES],
    }
