"""SQL constructs shared by the domains, compiled for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
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
