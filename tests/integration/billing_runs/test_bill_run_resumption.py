"""A bill run is idempotent and resumable: a failure inside a partition leaves nothing of that
partition; a process killed mid-run (SIGKILL) and run again yields exactly one bill per account;
two partitions of a run are calculated at the same time while a cancellation waits for both;
the Dask runner on a 2-worker LocalCluster gives the local runner's bills.

The kill and Dask tests need a database other processes can open, so they run on PostgreSQL
(SQLite's test database lives in this process's memory) and commit for real (transaction=True).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from billing_runs_world import BILLING_NOW, FEBRUARY, BillingWorld
from django.db import OperationalError, connection, transaction

from gridcare.billing import calculation
from gridcare.billing.models import Bill, BillLine, BillRun, BillRunStatus, PartitionStatus
from gridcare.billing.operations import create_bill_run
from gridcare.billing.runners import local
from gridcare.billing.runners.local import (
    calculate_bill_run,
    calculate_one_partition,
    pending_partition_ids,
    start_calculating,
)
from gridcare.tariffs.models import Tariff
from gridcare.tariffs.operations import load_tariff_file

REPOSITORY = Path(__file__).resolve().parents[3]


def _world_of(world: BillingWorld, accounts: int) -> None:
    """``accounts`` Beijing residential accounts using 100 + 7 × i kWh in February."""
    for index in range(accounts):
        name = f"户{index:03d}"
        world.add_account(name)
        world.read(name, 2, "1000")
        world.read(name, 3, str(1100 + 7 * index))


def _create_run(world: BillingWorld, *, partition_size: int) -> BillRun:
    return create_bill_run(
        actor=world.clerk,
        org_unit=world.tree.station,
        period_start=FEBRUARY[0],
        period_end=FEBRUARY[1],
        partition_size=partition_size,
        now=BILLING_NOW,
    )


def _bills_by_account(run: BillRun) -> dict[str, tuple[Any, ...]]:
    """Each account's bill as comparable values: kWh, total and its lines (no ids or times)."""
    bills = Bill.objects.filter(run=run).exclude(status="withdrawn").select_related("account")
    result: dict[str, tuple[Any, ...]] = {}
    for bill in bills:
        assert bill.account.account_no not in result, "two live bills for one account"
        lines = tuple(
            BillLine.objects.filter(bill=bill)
            .order_by("position")
            .values_list("code", "quantity", "unit_price", "amount", "rule", "inputs")
        )
        result[bill.account.account_no] = (bill.energy_kwh, bill.total, bill.exceptions, lines)
    return result


@pytest.mark.django_db
def test_a_failure_inside_a_partition_leaves_nothing_of_it_and_the_rerun_completes(
    billing_world: BillingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world_of(billing_world, 5)
    run = _create_run(billing_world, partition_size=2)
    calls = {"partitions": 0}
    real = calculation.calculate_bills

    def failing_on_the_second_partition(**kwargs: Any) -> Any:
        calls["partitions"] += 1
        bills = real(**kwargs)
        if calls["partitions"] == 2:
            raise RuntimeError("worker lost mid-partition")
        return bills

    monkeypatch.setattr(calculation, "calculate_bills", failing_on_the_second_partition)
    with pytest.raises(RuntimeError):
        calculate_bill_run(run_id=run.pk, clock=lambda: BILLING_NOW)

    run.refresh_from_db()
    assert (run.status, run.accounts_done) == (BillRunStatus.CALCULATING, 2)
    assert Bill.objects.filter(run=run).count() == 2
    assert list(run.partitions.values_list("status", flat=True)) == ["done", "pending", "pending"]

    monkeypatch.setattr(calculation, "calculate_bills", real)
    run = calculate_bill_run(run_id=run.pk, clock=lambda: BILLING_NOW)
    again = calculate_bill_run(run_id=run.pk, clock=lambda: BILLING_NOW)

    assert (run.status, run.accounts_done, again.accounts_done) == (BillRunStatus.IN_REVIEW, 5, 5)
    bills = _bills_by_account(run)
    assert len(bills) == 5
    # 户004 used 100 + 28 = 128 kWh: 128 × 0.4883 = 62.5024 → 62.50.
    assert sorted(total for _kwh, total, _flags, _lines in bills.values()) == [
        Decimal("48.83"),
        Decimal("52.25"),
        Decimal("55.67"),
        Decimal("59.08"),
        Decimal("62.50"),
    ]


# --- other processes -----------------------------------------------------------------------------

on_postgresql = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":", 1)[0] not in {"postgres", "postgresql"},
    reason="other processes cannot open SQLite's in-memory test database; runs on PostgreSQL (make test)",
)


@pytest.fixture
def reference_tariffs(transactional_db: None) -> None:
    """The catalog as the data migration loads it (a transactional test's flush removed it)."""
    if not Tariff.objects.exists():
        for entry in sorted(files("gridcare.tariffs").joinpath("catalog").iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                load_tariff_file(
                    actor=None, path=Path(str(entry)), valid_from=date(2012, 7, 1), now=BILLING_NOW
                )


def _environment() -> dict[str, str]:
    """This test's database for a child process: the test database's name in DATABASE_URL."""
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + str(connection.settings_dict["NAME"])
    return {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPOSITORY / "src")}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_killed_mid_way_and_run_again_bills_each_account_once(
    reference_tariffs: None, billing_world: BillingWorld
) -> None:
    _world_of(billing_world, 60)
    run = _create_run(billing_world, partition_size=1)
    child = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "gridcare", "billrun", "calculate", run.number],
        env=_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while run.partitions.filter(status=PartitionStatus.DONE).count() < 3:
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    killed_at = run.partitions.filter(status=PartitionStatus.DONE).count()
    assert 3 <= killed_at < 60
    assert Bill.objects.filter(run=run).count() == BillRun.objects.get(pk=run.pk).accounts_done == killed_at

    rerun = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "gridcare", "billrun", "calculate", run.number],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert rerun.returncode == 0, rerun.stderr
    run.refresh_from_db()
    assert (run.status, run.accounts_done) == (BillRunStatus.IN_REVIEW, 60)
    assert len(_bills_by_account(run)) == 60 == Bill.objects.filter(run=run).count()


def _bills_of_a_cancelled_single_process_run(
    world: BillingWorld, *, accounts: int, partition_size: int
) -> dict[str, tuple[Any, ...]]:
    """The bills of ``accounts`` new accounts as one process calculates them; the run is then
    cancelled so that another runner may bill the same period again."""
    from gridcare.billing.operations import cancel_bill_run

    _world_of(world, accounts)
    created = _create_run(world, partition_size=partition_size)
    run = calculate_bill_run(run_id=created.pk, clock=lambda: BILLING_NOW)
    bills = _bills_by_account(run)
    cancel_bill_run(actor=world.clerk, run=run, reason="对照", now=BILLING_NOW)
    return bills


@pytest.fixture
def dask_cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=_worker_environment()
    ) as cluster:
        yield cluster.scheduler_address


def _worker_environment() -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "PYTHONPATH": str(REPOSITORY / "src"),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    }


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_dask_runner_gives_the_local_runners_bills(
    reference_tariffs: None, billing_world: BillingWorld, dask_cluster: str
) -> None:
    from gridcare.billing.runners.dask import calculate_bill_run_on_dask

    local_bills = _bills_of_a_cancelled_single_process_run(billing_world, accounts=12, partition_size=5)

    dask_run = calculate_bill_run_on_dask(
        run_id=_create_run(billing_world, partition_size=5).pk,
        scheduler_address=dask_cluster,
        clock=lambda: BILLING_NOW,
    )

    assert (dask_run.status, dask_run.accounts_done) == (BillRunStatus.IN_REVIEW, 12)
    assert _bills_by_account(dask_run) == local_bills
    assert len(local_bills) == 12


def _run_of_two_partitions(world: BillingWorld) -> tuple[BillRun, int, int]:
    """A calculating run of 10 new accounts in two partitions, and the partitions' ids."""
    _world_of(world, 10)
    run = start_calculating(run_id=_create_run(world, partition_size=5).pk, now=BILLING_NOW)
    first, second = pending_partition_ids(run=run)
    return run, first, second


def _hold_the_partition_of_thread_named(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[threading.Event, threading.Event]:
    """Make the partition calculated by thread ``name`` stop inside its transaction: the first
    event is set when it is there, and it goes on when the second is set."""
    inside, release = threading.Event(), threading.Event()
    calculate = local.calculate_partition_bills

    def held_in_that_thread(**kwargs: Any) -> Any:
        if threading.current_thread().name == name:
            inside.set()
            release.wait(60)
        return calculate(**kwargs)

    monkeypatch.setattr(local, "calculate_partition_bills", held_in_that_thread)
    return inside, release


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_partitions_are_calculated_at_once_and_a_cancellation_waits_for_them(
    reference_tariffs: None, billing_world: BillingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridcare.billing.operations import cancel_bill_run

    run, first, second = _run_of_two_partitions(billing_world)
    inside, release = _hold_the_partition_of_thread_named("first-partition", monkeypatch)

    def calculate_first() -> None:
        try:
            calculate_one_partition(run_id=run.pk, partition_id=first, now=BILLING_NOW)
        finally:
            connection.close()

    thread = threading.Thread(target=calculate_first, name="first-partition")
    thread.start()
    try:
        assert inside.wait(60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        # The first partition's transaction is open, holding the run: the second still goes.
        after_second = calculate_one_partition(run_id=run.pk, partition_id=second, now=BILLING_NOW)
        assert (after_second.accounts_done, Bill.objects.count()) == (5, 5)
        # Cancelling must wait for the partition in flight (here: until the lock timeout).
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            cancel_bill_run(actor=billing_world.clerk, run=run, reason="测试", now=BILLING_NOW)
    finally:
        release.set()
        thread.join(60)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    run.refresh_from_db()
    assert (run.status, run.accounts_done) == (BillRunStatus.CALCULATING, 10)
    assert sorted(Bill.objects.values_list("account__account_no", flat=True)) == sorted(
        billing_world.accounts[f"户{index:03d}"].account_no for index in range(10)
    )
    assert set(run.partitions.values_list("status", flat=True)) == {PartitionStatus.DONE}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_give_the_single_process_bills(
    reference_tariffs: None, billing_world: BillingWorld
) -> None:
    single_bills = _bills_of_a_cancelled_single_process_run(billing_world, accounts=12, partition_size=3)

    with local.partition_pool(processes=2) as pool:
        pooled = calculate_bill_run(
            run_id=_create_run(billing_world, partition_size=3).pk, clock=lambda: BILLING_NOW, pool=pool
        )

    assert (pooled.status, pooled.accounts_done, pooled.partitions.count()) == (
        BillRunStatus.IN_REVIEW,
        12,
        4,
    )
    assert _bills_by_account(pooled) == single_bills
    assert len(single_bills) == 12


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_waiting_cancellation_holds_back_the_partitions_that_come_after_it(
    reference_tariffs: None, billing_world: BillingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridcare.billing.operations import cancel_bill_run

    run, first, second = _run_of_two_partitions(billing_world)
    inside, release = _hold_the_partition_of_thread_named("first-partition", monkeypatch)

    def in_own_connection(action: Any) -> Any:
        def run_it() -> None:
            try:
                action()
            finally:
                connection.close()

        return run_it

    first_partition = threading.Thread(
        target=in_own_connection(
            lambda: calculate_one_partition(run_id=run.pk, partition_id=first, now=BILLING_NOW)
        ),
        name="first-partition",
    )
    cancellation = threading.Thread(
        target=in_own_connection(
            lambda: cancel_bill_run(actor=billing_world.clerk, run=run, reason="测试", now=BILLING_NOW)
        )
    )
    first_partition.start()
    try:
        assert inside.wait(60)
        cancellation.start()
        waiting = 0
        for _ in range(300):  # the cancellation queues for the run's lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                (waiting,) = cursor.fetchone()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == 1
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        # A partition starting now waits behind the cancellation (it would otherwise slip in
        # beside the first one, and keep the cancellation waiting as long as partitions came).
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            calculate_one_partition(run_id=run.pk, partition_id=second, now=BILLING_NOW)
    finally:
        release.set()
        first_partition.join(60)
        cancellation.join(60)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    run.refresh_from_db()
    assert run.status == BillRunStatus.CANCELLED
    assert dict(run.partitions.values_list("id", "status")) == {
        first: PartitionStatus.DONE,
        second: PartitionStatus.PENDING,
    }
    assert set(Bill.objects.values_list("status", flat=True)) == {"withdrawn"}
    assert Bill.objects.count() == 5
