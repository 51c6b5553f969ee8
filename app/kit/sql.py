"""SQL constructs shared by the domains, compiled for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import JSON, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class _Aggregate(FunctionElement[Any]):
    """A function spelled differently per dialect: `standard` (PostgreSQL) and `sqlite` are
    SQL templates whose `{}` takes the compiled arguments."""

    standard: ClassVar[str]
    sqlite: ClassVar[str]

    def sqlite_arguments(self, compiler: SQLCompiler, **kw: Any) -> str:
        return compiler.process(self.clauses, **kw)


@compiles(_Aggregate)
def _aggregate_standard(element: _Aggregate, compiler: SQLCompiler, **kw: Any) -> str:
    return element.standard.format(compiler.process(element.clauses, **kw))


@compiles(_Aggregate, "sqlite")
def _aggregate_sqlite(element: _Aggregate, compiler: SQLCompiler, **kw: Any) -> str:
    return element.sqlite.format(element.sqlite_arguments(compiler, **kw))


class comma_list(_Aggregate):
    """An aggregate: the group's values joined with commas, in no particular order.

    `group_concat` on SQLite, `string_agg` on PostgreSQL. Unlike SQLAlchemy's
    `aggregate_strings`, the separator is part of the SQL text rather than a literal rendered
    into it at every execution, so a statement built once runs again without recompiling.
    """

    type = String()
    inherit_cache = True
    name = "comma_list"
    standard = "string_agg({}, ',')"
    sqlite = "group_concat({}, ',')"


class json_rows(_Aggregate):
    """An aggregate: the group's rows as one JSON array of arrays, `columns` in order.

    `json_agg(json_build_array(...))` on PostgreSQL, `json_group_array(json_array(...))` on
    SQLite, where JSON columns are wrapped in `json()` so that they nest as arrays rather than
    as strings. Booleans come back as true/false on PostgreSQL and 1/0 on SQLite, and the
    rows in no particular order.
    """

    type = JSON()
    inherit_cache = True
    name = "json_rows"
    standard = "json_agg(json_build_array({}))"
    sqlite = "json_group_array(json_array({}))"

    def sqlite_arguments(self, compiler: SQLCompiler, **kw: Any) -> str:
        return ", ".join(
            f"json({compiler.process(c, **kw)})"
            if isinstance(c.type, JSON)
            else compiler.process(c, **kw)
            for c in self.clauses
        )
