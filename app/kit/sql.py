"""SQL constructs shared by the domains, compiled for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class comma_list(FunctionElement[str]):
    """An aggregate: the group's values joined with commas, in no particular order.

    `group_concat` on SQLite, `string_agg` on PostgreSQL. Unlike SQLAlchemy's
    `aggregate_strings`, the separator is part of the SQL text rather than a literal rendered
    into it at every execution, so a statement built once runs again without recompiling.
    """

    type = String()
    inherit_cache = True
    name = "comma_list"


@compiles(comma_list)
def _comma_list_standard(element: comma_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(comma_list, "sqlite")
def _comma_list_sqlite(element: comma_list, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


class json_rows(FunctionElement[Any]):
    """An aggregate: the group's rows as one JSON array of arrays, `columns` in order.

    `json_agg(json_build_array(...))` on PostgreSQL, `json_group_array(json_array(...))` on
    SQLite, where JSON columns are wrapped in `json()` so that they nest as arrays rather than
    as strings. Booleans come back as true/false on PostgreSQL and 1/0 on SQLite, and the
    rows in no particular order.
    """

    type = JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows)
def _json_rows_standard(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    columns = ", ".join(
        f"json({compiler.process(c, **kw)})"
        if isinstance(c.type, JSON)
        else compiler.process(c, **kw)
        for c in element.clauses
    )
    return f"json_group_array(json_array({columns}))"
