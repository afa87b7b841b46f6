"""Imports go chunk by chunk in one transaction: a constant number of reads per chunk, duplicates
found across chunks, nothing left behind by a rejected file or a crash."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from exchange_world import SHANGHAI, World, account_no, csv_bytes, problems_of, run_import

from gridcare.audit.models import AuditEvent
from gridcare.exchange import operations
from gridcare.exchange.kinds import KINDS, Built
from gridcare.exchange.models import ExchangeBatch
from gridcare.exchange.operations import RowProblem, import_file
from gridcare.identity.permissions import permissions_of
from gridcare.metering.models import MeteringPoint, MeterRead

READ_HEADER = ["asset_no", "read_at", "source", "import_active_total"]
START = datetime(2024, 1, 1, tzinfo=SHANGHAI)


def _reads(count: int, *, asset_nos: Sequence[str] = ("M0001", "M0002")) -> list[list[str]]:
    rows = [READ_HEADER]
    for number in range(count):
        read_at = START + timedelta(hours=number)
        rows.append([asset_nos[number % len(asset_nos)], read_at.isoformat(), "ami", str(number)])
    return rows


def _selects_of_an_import(world: World, rows: list[list[str]]) -> int:
    scope = world.scope()
    permissions_of(scope.user)  # looked up once per user object, not per import: not counted
    with CaptureQueriesContext(connection) as queries:
        report = run_import("reads", csv_bytes(rows), scope=scope)
    assert report.rows_imported == len(rows) - 1
    return sum(1 for query in queries.captured_queries if query["sql"].lstrip().upper().startswith("SELECT"))


def test_a_chunk_costs_the_same_reads_whatever_its_number_of_rows(world: World) -> None:
    few = _selects_of_an_import(world, _reads(4))
    MeterRead.objects.all().delete()
    ExchangeBatch.objects.all().delete()

    many = _selects_of_an_import(world, _reads(400))

    assert few == many


def test_a_duplicate_of_a_row_in_an_earlier_chunk_is_reported(world: World) -> None:
    rows = _reads(3)
    rows.append(rows[1])

    report = run_import("reads", csv_bytes(rows), scope=world.scope(), chunk_size=2, partial=True)

    assert problems_of(report) == [(5, "read_at", rows[1][1], "duplicate_of_earlier_row")]
    assert (
        report.problems[0].message_en == f"Duplicates an earlier row of this file (Read time {rows[1][1]})."
    )
    assert MeterRead.objects.count() == 3


def test_a_rejected_file_leaves_nothing_of_its_earlier_chunks(world: World) -> None:
    rows = _reads(5)
    rows[5][3] = "-1"

    report = run_import("reads", csv_bytes(rows), scope=world.scope(), chunk_size=2)

    assert problems_of(report) == [(6, "import_active_total", "-1", "energy_invalid")]
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (5, 0, 1)
    assert MeterRead.objects.count() == 0
    assert ExchangeBatch.objects.count() == 0


def test_a_parent_metering_point_from_an_earlier_chunk_is_found(world: World) -> None:
    rows = [
        ["code", "account_no", "name", "metering_arrangement", "parent", "child_relation"],
        ["MP0500", account_no(1), "总表", "lv_lv", "", ""],
        ["MP0501", account_no(1), "分表", "lv_lv", "MP0500", "subtract"],
    ]

    report = run_import("metering_points", csv_bytes(rows), scope=world.scope(), chunk_size=1)

    assert report.problems == []
    assert MeteringPoint.objects.get(code="MP0501").parent.code == "MP0500"  # type: ignore[union-attr]


def test_a_crash_half_way_leaves_nothing_behind(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    reads_kind = KINDS["reads"]
    insert = reads_kind.insert
    calls = []

    def insert_then_crash(built: Sequence[Built]) -> None:
        calls.append(len(built))
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        insert(built)

    monkeypatch.setattr(reads_kind, "insert", insert_then_crash)

    with pytest.raises(RuntimeError, match="the disk is full"):
        run_import("reads", csv_bytes(_reads(4)), scope=world.scope(), chunk_size=2)

    assert calls == [2, 2]
    assert MeterRead.objects.count() == 0
    assert ExchangeBatch.objects.count() == 0
    assert AuditEvent.objects.filter(action="import_reads").count() == 0


def test_the_report_keeps_the_first_problems_and_passes_on_all(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "MAX_KEPT_PROBLEMS", 2)
    rows = _reads(5, asset_nos=["NOPE"])
    received: list[RowProblem] = []

    report = import_file(
        kind="reads",
        stream=io.BytesIO(csv_bytes(rows)),
        file_name="reads.csv",
        scope=world.scope(),
        partial=False,
        now=START,
        on_problem=received.append,
    )

    assert [problem.row for problem in report.problems] == [2, 3]
    assert [problem.row for problem in received] == [2, 3, 4, 5, 6]
    assert (report.problem_count, report.rows_rejected) == (5, 5)


def test_a_file_with_only_a_header_imports_an_empty_batch(world: World) -> None:
    report = run_import("reads", csv_bytes([READ_HEADER]), scope=world.scope())

    assert (report.rows_read, report.rows_imported, report.problems) == (0, 0, [])
    assert report.is_committed
    assert AuditEvent.objects.get(action="import_reads").changes["rows_read"] == 0
