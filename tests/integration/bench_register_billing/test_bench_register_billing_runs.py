"""The register billing benchmark's plumbing on a small seeded utility: one run per reading day
bills every account once, the checks catch a missing bill or a wrong total, and the COPY replay
(PostgreSQL) loads back exactly the rows the runs wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.register_billing import reading_periods
from bench.register_billing_steps import (
    RunFigures,
    bill_reading_groups,
    check_bills,
    reading_groups,
    replay_with_copy,
    table_digests,
    worker_processes,
)
from django.db import connection
from django.utils import timezone

from gridcare.billing.models import Bill, BillLine, BillRun, BillRunStatus, BillStatus
from gridcare.customers.models import Account

from .conftest import END_MONTH, SeededUtility

READING_DAYS = [1, 5, 8, 10, 12, 15, 18, 20, 22]


def bill_every_reading_day(seeded: SeededUtility) -> list[RunFigures]:
    reported: list[RunFigures] = []
    with worker_processes(processes=1) as workers:
        runs = bill_reading_groups(
            actor=seeded.admin,
            org_unit=seeded.province,
            periods=reading_periods(end_month=END_MONTH, reading_days=reading_groups(actor=seeded.admin)),
            partition_size=7,
            clock=timezone.now,
            on_run=reported.append,
            workers=workers,
        )
    assert reported == runs
    return runs


def test_one_run_per_reading_day_bills_each_account_once(seeded_utility: SeededUtility) -> None:
    runs = bill_every_reading_day(seeded_utility)

    assert [figures.reading_day for figures in runs] == READING_DAYS
    accounts_by_day = {
        day: Account.objects.filter(reading_route__reading_day=day).count() for day in READING_DAYS
    }
    assert [figures.accounts for figures in runs] == [accounts_by_day[day] for day in READING_DAYS]
    assert sum(accounts_by_day.values()) == Account.objects.count() == 100
    assert [(figures.period_start.day, figures.period_end.day) for figures in runs] == [
        (day, day) for day in READING_DAYS
    ]
    # left in review together: their periods overlap, their routes do not
    assert set(BillRun.objects.values_list("status", flat=True)) == {BillRunStatus.IN_REVIEW}
    check = check_bills(run_ids=[figures.run_id for figures in runs])
    assert check.passed
    assert check.bills == 100 == Bill.objects.filter(status=BillStatus.CALCULATED).count()
    assert check.lines == BillLine.objects.count() > 100
    assert (check.run_count_mismatches, check.accounts_missing, check.accounts_billed_twice) == (0, 0, 0)
    assert check.total_mismatches == 0
    assert check.bills_without_lines == Bill.objects.filter(lines__isnull=True).count()


def test_the_check_catches_a_missing_bill_and_a_total_that_is_not_its_lines_sum(
    seeded_utility: SeededUtility,
) -> None:
    run_ids = [figures.run_id for figures in bill_every_reading_day(seeded_utility)]
    billed = Bill.objects.filter(lines__isnull=False).order_by("id").distinct()
    BillLine.objects.filter(bill=billed[0], position=1).delete()
    unbilled = billed[1]
    unbilled.lines.all().delete()
    Bill.objects.filter(pk=unbilled.pk).delete()

    check = check_bills(run_ids=run_ids)

    assert not check.passed
    assert check.total_mismatches == 1
    assert check.accounts_missing == 1
    assert check.run_count_mismatches == 1
    assert check.bills == 99


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_the_copy_replay_loads_back_exactly_the_rows_the_runs_wrote(
    seeded_utility: SeededUtility, tmp_path: Path
) -> None:
    run_ids = [figures.run_id for figures in bill_every_reading_day(seeded_utility)]
    written = table_digests()

    replay = replay_with_copy(run_ids=run_ids, folder=tmp_path)

    assert replay.identical
    assert replay.before == written == replay.after == table_digests()
    assert written["billing_bill"].rows == 100
    assert written["billing_billline"].rows == BillLine.objects.count()
    assert replay.seconds > 0
    assert replay.dump_bytes > 0
    assert list(tmp_path.iterdir()) == []
