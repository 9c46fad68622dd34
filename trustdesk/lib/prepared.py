"""``values()`` queries built and compiled once, then run again with other values.

Django builds a queryset and compiles it to SQL on every use: the filters are resolved, the joins
and columns chosen, the SQL written. For a query that runs on every request and whose structure
never changes, only the values it compares with (ids, a session key), that work can be done once.
:func:`values_of` builds the queryset with placeholder values (integers no primary key has, strings
no key or name has), compiles it, checks that the SQL's parameters are exactly those placeholders,
and keeps the SQL with the position of each value, and the converters the compiler chose for its
columns. Later calls send that SQL with the real values and turn the rows into dicts or tuples
through those converters, so dates, decimals and JSON come back as ``values()`` and
``values_list()`` give them.

What is kept is per database connection (the converters belong to it) and per key and number of
values; nothing of any result is kept. A query whose parameters are not only the placeholders (a
constant, a value the field converts, a list the database receives whole) is not kept: it is built
and run as usual every time, so a wrong key costs speed, never a wrong answer. The one rule for
callers: the queryset ``build`` returns may depend on nothing but the values it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable, ValuesListIterable
from django.db.models.sql.compiler import SQLCompiler

#: The first placeholder integer; the n-th is this minus n.
_FIRST_MARKER = -(2**40)

Value = int | str


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler
    sql: str
    #: For each parameter of the SQL, which of the values it is.
    slots: tuple[int, ...]
    #: The names of the columns (``values()``), or None for tuples (``values_list()``).
    names: tuple[str, ...] | None
    #: Per column that needs them, its position, the functions that turn the database's value into the
    #: field's, and the column (``SQLCompiler.get_converters``: what ``results_iter`` would look up per run).
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    def rows(self, fetched: list[Any]) -> list[tuple[Any, ...]]:
        """The fetched rows with every value converted, as ``results_iter(tuple_expected=True)`` gives them."""
        if not self.converters:
            return [tuple(row) for row in fetched]
        connection = self.compiler.connection
        done = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for position, functions, column in self.converters:
                value = row[position]
                for function in functions:
                    value = function(value, column, connection)
                row[position] = value
            done.append(tuple(row))
        return done


_compiled: WeakKeyDictionary[BaseDatabaseWrapper, dict[Hashable, _Compiled | None]] = WeakKeyDictionary()


def _markers(values: Sequence[Value]) -> list[Value]:
    """Placeholders of the values' kinds. A string placeholder has both cases, the characters a ``LIKE``
    pattern escapes (``%``, ``_``, ``\\``) and ends that count as white space, so that a field or lookup
    which changes the value it sends (case, escaping, stripping) changes the placeholder too, and the
    query is not kept."""
    return [
        _FIRST_MARKER - n if type(value) is int else f"\x1fPrepared%_\\{n}\x1f"
        for n, value in enumerate(values)
    ]


def _compile(queryset: QuerySet[Any], markers: list[Value]) -> _Compiled | None:
    query = queryset.query
    if not query.values_select or query.extra_select or query.annotation_select or query.selected is None:
        return None
    iterable = queryset._iterable_class
    if iterable is ValuesIterable:
        names: tuple[str, ...] | None = tuple(query.selected)
    elif iterable is ValuesListIterable:
        names = None
    else:  # flat or named lists
        return None
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        return None
    if compiler.has_extra_select or any(str(marker) in sql for marker in markers):
        return None
    columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):  # composite keys come back as nested tuples: not kept
        return None
    converters = tuple(
        (position, tuple(functions), column)
        for position, (functions, column) in compiler.get_converters(columns).items()
    )
    slots = []
    for param in params:
        found = [n for n, marker in enumerate(markers) if type(param) is type(marker) and param == marker]
        if len(found) != 1:
            return None
        slots.append(found[0])
    return _Compiled(compiler, sql, tuple(slots), names, converters)


def _run(
    model: type[Model],
    key: Hashable,
    build: Callable[[Sequence[Any]], QuerySet[Any]],
    values: Sequence[Value],
) -> tuple[_Compiled, list[Any]] | None:
    """The kept query and the rows it answers, converted; None when the query is not one to keep."""
    values = list(values)
    if not all(type(value) in (int, str) for value in values):
        return None
    connection = connections[router.db_for_read(model)]
    kept = _compiled.setdefault(connection, {})
    slot = (key, tuple(type(value) for value in values))
    if slot not in kept:
        markers = _markers(values)
        try:
            queryset = build(markers)
        except (TypeError, ValueError, ValidationError):  # a field that converts the value: not kept
            kept[slot] = None
        else:
            kept[slot] = _compile(queryset, markers)
    compiled = kept[slot]
    if compiled is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, [values[n] for n in compiled.slots])
        rows = cursor.fetchall()
    return compiled, compiled.rows(rows)


def values_of(
    model: type[Model],
    key: Hashable,
    build: Callable[[Sequence[Any]], QuerySet[Any]],
    values: Sequence[Value],
) -> list[Any]:
    """``list(build(values))``, where ``build`` returns a ``values()`` or ``values_list()`` queryset of
    ``model`` that depends only on ``values`` (integers and strings it compares with as they are): built
    and compiled once per connection, ``key`` and kinds of values."""
    done = _run(model, key, build, values)
    if done is None:
        return list(build(list(values)))
    compiled, rows = done
    if compiled.names is None:
        return rows
    names = compiled.names
    return [dict(zip(names, row, strict=True)) for row in rows]
