"""``values()`` queries built and compiled once, then run again with other values.

Django builds a queryset and compiles it to SQL on every use: the filters are resolved, the joins
and columns chosen, the SQL written. For a query that runs on every request and whose structure
never changes, only the ids it is about, that work can be done once. :func:`values_of` builds the
queryset with placeholder ids (negative integers no primary key has), compiles it, checks that the
SQL's parameters are exactly those placeholders, and keeps the SQL with the position of each id.
Later calls send that SQL with the real ids and turn the rows into dicts through the same
compiler's converters, so dates, decimals and JSON come back as ``values()`` gives them.

What is kept is per database connection (the converters belong to it) and per key and number of
ids; nothing of any result is kept. A query whose parameters are not only the placeholders (a date,
a constant, a list the database receives whole) is not kept: it is built and run as usual every
time, so a wrong key costs speed, never a wrong answer. The one rule for callers: the queryset
``build`` returns may depend on nothing but the ids it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

#: The first placeholder id; the n-th is this minus n.
_FIRST_MARKER = -(2**40)


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    #: For each parameter of the SQL, which of the ids it is.
    slots: tuple[int, ...]
    names: tuple[str, ...]


_compiled: WeakKeyDictionary[BaseDatabaseWrapper, dict[Hashable, _Compiled | None]] = WeakKeyDictionary()


def _markers(count: int) -> list[int]:
    return [_FIRST_MARKER - n for n in range(count)]


def _compile(queryset: QuerySet[Any], markers: list[int]) -> _Compiled | None:
    query = queryset.query
    if not query.values_select or query.extra_select or query.annotation_select or query.selected is None:
        return None
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        return None
    position = {marker: n for n, marker in enumerate(markers)}
    if compiler.has_extra_select or any(str(marker) in sql for marker in markers):
        return None
    if not all(type(param) is int and param in position for param in params):
        return None
    return _Compiled(compiler, sql, tuple(position[param] for param in params), tuple(query.selected))


def values_of(
    model: type[Model], key: Hashable, build: Callable[[Sequence[int]], QuerySet[Any]], ids: Sequence[int]
) -> list[dict[str, Any]]:
    """``list(build(ids))``, where ``build`` returns a ``values()`` queryset of ``model`` that depends only
    on ``ids`` (integer primary keys): built and compiled once per connection, ``key`` and number of ids."""
    ids = list(ids)
    if not all(type(i) is int for i in ids):
        return list(build(ids))
    connection = connections[router.db_for_read(model)]
    kept = _compiled.setdefault(connection, {})
    slot = (key, len(ids))
    if slot not in kept:
        kept[slot] = _compile(build(_markers(len(ids))), _markers(len(ids)))
    compiled = kept[slot]
    if compiled is None:
        return list(build(ids))
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, [ids[n] for n in compiled.slots])
        rows = cursor.fetchall()
    names = compiled.names
    return [dict(zip(names, row, strict=True)) for row in compiled.compiler.results_iter(results=[rows])]
