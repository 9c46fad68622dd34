"""values() queries compiled once and run again with other ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from trustdesk.lib import prepared
from trustdesk.registry.models import Disclosure, Invoice, Organisation
from trustdesk.registry.services import Actor, do_create, do_create_invoice, do_update

pytestmark = pytest.mark.django_db

STAFF = Actor.operator("test")


def _organisation(name: str) -> Organisation:
    return do_create(
        Organisation, {"kind": "company", "name": name, "email": f"{name}@example.com"}, actor=STAFF
    )


def _invoice(organisation: Organisation, number: str) -> Invoice:
    return do_create_invoice(
        {
            "organisation": organisation,
            "number": number,
            "issued_on": dt.date(2026, 2, 1),
            "fiscal_year_end": dt.date(2026, 12, 31),
            "total": Decimal("121.50"),
        },
        [],
        actor=STAFF,
    )


class Builds:
    """A build function that counts how often it is called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, ids: Sequence[int]) -> QuerySet[Any]:
        self.calls += 1
        return (
            Invoice.objects.filter(organisation__in=list(ids))
            .values("id", "number", "total", "issued_on", "organisation_id")
            .order_by("id")
        )


def test_it_answers_what_the_queryset_answers_with_the_same_types(publish) -> None:
    a, b = _organisation("a"), _organisation("b")
    _invoice(a, "1"), _invoice(b, "2"), _invoice(b, "3")
    build = Builds()
    for ids in ([a.pk], [b.pk], [a.pk, b.pk], [b.pk]):
        got = prepared.values_of(Invoice, "test.invoices", build, ids)
        assert got == list(build(ids))
        assert all(isinstance(row["total"], Decimal) and isinstance(row["issued_on"], dt.date) for row in got)
    # Built to compile once per number of ids, then built only for the comparisons above.
    assert build.calls == 2 + 4


def test_it_runs_one_query_and_keeps_no_result(publish) -> None:
    a = _organisation("a")
    first = _invoice(a, "1")
    build = Builds()
    prepared.values_of(Invoice, "test.kept", build, [a.pk])
    do_update(first, {"number": "1-corrected"}, actor=STAFF)
    _invoice(a, "2")
    with CaptureQueriesContext(connection) as queries:
        got = prepared.values_of(Invoice, "test.kept", build, [a.pk])
    assert len(queries.captured_queries) == 1
    assert [row["number"] for row in got] == ["1-corrected", "2"]
    assert build.calls == 1


def test_it_does_not_keep_a_query_with_other_parameters_and_still_answers(publish) -> None:
    a = _organisation("a")
    _invoice(a, "1")
    calls: list[int] = []

    def build(ids: Sequence[int]) -> QuerySet[Any]:
        calls.append(len(ids))
        return Invoice.objects.filter(organisation=ids[0], number="1").values("id", "number").order_by("id")

    for _ in range(2):
        assert prepared.values_of(Invoice, "test.constant", build, [a.pk]) == [
            {"id": Invoice.objects.get().pk, "number": "1"}
        ]
    assert len(calls) == 3  # the compile attempt, then built as usual on each call


def test_it_builds_as_usual_for_values_it_cannot_stand_in_for(publish) -> None:
    a = _organisation("a")
    _invoice(a, "1")
    build = Builds()
    assert prepared.values_of(Invoice, "test.strings", build, [str(a.pk)]) == list(build([a.pk]))
    assert prepared.values_of(Invoice, "test.floats", build, [float(a.pk)]) == list(build([a.pk]))  # type: ignore[list-item]
    assert build.calls == 2 + 1 + 2  # the string's compile attempt failed (not an id), then built as usual


def test_it_converts_times_json_and_nulls_as_the_queryset_does(publish) -> None:
    a = _organisation("a")
    when = dt.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
    for categories in (["user.name", "user.contact.email"], [], {"nested": [1, None, "x"]}):
        do_create(
            Disclosure,
            {"organisation": a, "recipient": "registry", "disclosed_at": when, "categories": categories},
            actor=STAFF,
        )

    def build(ids: Sequence[Any]) -> QuerySet[Any]:
        return (
            Disclosure.objects.filter(organisation=ids[0])
            .values("id", "disclosed_at", "categories", "service_id", "public", "created_at")
            .order_by("id")
        )

    for _ in range(2):  # compiled by the first call, then run from what was kept
        got = prepared.values_of(Disclosure, "test.disclosures", build, [a.pk])
        assert got == list(build([a.pk]))
        assert [row["categories"] for row in got] == [
            ["user.name", "user.contact.email"],
            [],
            {"nested": [1, None, "x"]},
        ]
        assert all(row["disclosed_at"] == when and row["service_id"] is None for row in got)
        assert all(row["public"] is False for row in got)


def test_it_reads_strings_and_tuples(publish) -> None:
    a, b = _organisation("a"), _organisation("b")
    calls: list[object] = []

    def build(values: Sequence[Any]) -> QuerySet[Any]:
        calls.append(values)
        return Organisation.objects.filter(name=values[0]).order_by("pk").values_list("pk", "name")

    for organisation in (a, b, a):
        assert prepared.values_of(Organisation, "test.by_name", build, [organisation.name]) == [
            (organisation.pk, organisation.name)
        ]
    assert prepared.values_of(Organisation, "test.by_name", build, ["nobody"]) == []
    assert len(calls) == 1


def test_it_does_not_keep_a_query_whose_lookup_changes_the_string(publish) -> None:
    a, _ = _organisation("a"), _organisation("100%")
    calls: list[object] = []

    def build(values: Sequence[Any]) -> QuerySet[Any]:
        calls.append(values)
        return Organisation.objects.filter(name__iexact=values[0]).order_by("pk").values_list("pk")

    for _ in range(2):
        assert prepared.values_of(Organisation, "test.iexact", build, ["A"]) == [(a.pk,)]
        assert prepared.values_of(Organisation, "test.iexact", build, ["1_0%"]) == []  # escaped as usual
    # SQLite sends iexact as an escaped LIKE pattern: not kept, built as usual on each call. PostgreSQL
    # compares UPPER() of the value as it is sent: kept, and the answers are the same.
    assert len(calls) == (5 if connection.vendor == "sqlite" else 1)
