"""Inserting many new rows of one model at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere.

Used by the journal's ``record_many`` and the registry's ``do_bulk_create``. The values are those
Django's own insert writes (each field's ``pre_save`` and ``get_db_prep_save``); on PostgreSQL
the primary keys are taken from the table's sequence first, so every instance comes back with
its primary key, as ``bulk_create`` leaves it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router

from trustdesk.journal.models import JournalEntry, JournalImmutableError


def insert_new(model: type[models.Model], objs: Sequence[models.Model], *, batch_size: int = 1000) -> None:
    """Insert these unsaved instances of ``model`` and set their primary keys."""
    if not objs:
        return
    if issubclass(model, JournalEntry) and not all(getattr(obj, "_recording", False) for obj in objs):
        raise JournalImmutableError("journal entries are appended with trustdesk.journal.services")
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        queryset: models.QuerySet[Any] = models.QuerySet(model, using=alias)
        queryset.bulk_create(list(objs), batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    if pk is None:
        raise TypeError(f"{meta.label} has no primary key")
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    columns = ", ".join(quote(str(field.column)) for field in fields)
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        for obj, (value,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
        kinds = [_plain_kind(field) for field in fields]
        rows: list[list[Any]] = [
            [_db_value(field, kind, obj, connection) for field, kind in zip(fields, kinds, strict=True)]
            for obj in objs
        ]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


#: Fields whose value, when it has this exact type, ``get_db_prep_save`` gives to PostgreSQL unchanged.
_TEXT_FIELDS = (models.CharField, models.TextField, models.EmailField, models.URLField, models.SlugField)
_INT_FIELDS = (models.AutoField, models.BigAutoField, models.IntegerField, models.PositiveBigIntegerField)


def _plain_kind(field: models.Field[Any, Any]) -> type | None:
    """The type of value this field stores as it is on PostgreSQL (None: always ask the field)."""
    kind = type(field)
    if kind in _TEXT_FIELDS:
        return str
    if kind in _INT_FIELDS or (
        isinstance(field, models.ForeignKey)
        and kind is models.ForeignKey
        and type(field.target_field) in _INT_FIELDS
    ):
        return int
    if kind is models.DateTimeField:
        return dt.datetime
    if kind is models.DateField:
        return dt.date
    return None


def _db_value(field: models.Field[Any, Any], kind: type | None, obj: models.Model, connection: Any) -> Any:
    value = field.pre_save(obj, True)
    if kind is not None and type(value) is kind and (kind is not dt.datetime or _aware(value)):
        return value
    return field.get_db_prep_save(value, connection)


def _aware(value: Any) -> bool:
    """A naive time goes through Django's own check (its warning, its conversion)."""
    return value.tzinfo is not None
