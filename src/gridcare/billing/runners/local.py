"""The local bill runner: calculates a bill run partition by partition (docs/billing-runs.md).

Each partition (a range of account ids) is calculated and written in one transaction together
with its ``done`` mark: a run killed mid-way loses at most the partition in flight, and running
it again skips the partitions already done and, inside a partition, every account that already
has a live regular bill for the period (the database's unique constraint is the last guard).
Memory is bounded by the partition size, not by the number of accounts.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from gridcare.audit.operations import record_audit_event
from gridcare.billing.bulk_write import write_bills
from gridcare.billing.calculation import PartitionBills, calculate_partition_bills, store_estimated_reads
from gridcare.billing.models import (
    BillRun,
    BillRunPartition,
    BillRunStatus,
    PartitionStatus,
)
from gridcare.billing.run_locks import hold_run_for_a_partition, hold_run_for_a_status_change


@dataclass(frozen=True, kw_only=True)
class RunProgress:
    """How far a run has got: accounts calculated of all, bills with exceptions."""

    accounts_done: int
    accounts_total: int
    bills_flagged: int


ProgressReporter = Callable[[RunProgress], None]


def calculate_bill_run(
    *,
    run_id: int,
    clock: Callable[[], datetime],
    progress: ProgressReporter | None = None,
    pool: Executor | None = None,
) -> BillRun:
    """Calculate every pending partition of run ``run_id``, then put the run in review.

    With a ``pool`` of worker processes (:func:`partition_pool`), its workers calculate
    partitions at the same time, each in its own transaction as here; the database must be one
    other processes can open (not SQLite's in-memory test database).

    Idempotent and resumable: partitions already done are skipped, so calling it again after a
    crash finishes the run with exactly one bill per account."""
    run = start_calculating(run_id=run_id, now=clock())
    if run.status != BillRunStatus.CALCULATING:
        return run
    if pool is not None:
        _calculate_in_pool(run=run, pool=pool, progress=progress)
        return finish_calculating(run_id=run.pk, now=clock())
    for partition_id in pending_partition_ids(run=run):
        run = calculate_one_partition(run_id=run.pk, partition_id=partition_id, now=clock())
        if progress is not None:
            progress(
                RunProgress(
                    accounts_done=run.accounts_done,
                    accounts_total=run.accounts_total,
                    bills_flagged=run.bills_flagged,
                )
            )
    return finish_calculating(run_id=run.pk, now=clock())


def partition_pool(*, processes: int) -> ProcessPoolExecutor:
    """``processes`` worker processes for :func:`calculate_bill_run`, reusable across runs (each
    sets Django up once, on its first partition). Close it (``with`` or ``shutdown``) when done."""
    # Spawned, not forked: a forked child would share this process's database connection.
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn"))


def _calculate_in_pool(*, run: BillRun, pool: Executor, progress: ProgressReporter | None) -> None:
    # Imported here: the worker module must stay importable without Django set up (a spawned
    # process imports it before setting Django up).
    from gridcare.billing.runners.dask_worker import calculate_partition_on_worker

    if connection.in_atomic_block:
        # The workers would wait for this transaction's lock on the run, and it for them.
        raise RuntimeError("calculate a run with a worker pool outside any transaction")
    database_name = str(connection.settings_dict["NAME"])
    futures = [
        pool.submit(
            calculate_partition_on_worker,
            run_id=run.pk,
            partition_id=partition_id,
            database_name=database_name,
        )
        for partition_id in pending_partition_ids(run=run)
    ]
    try:
        for future in as_completed(futures):
            done = future.result()
            if progress is not None:
                progress(done)
    except BaseException:
        # One partition failed: start no more of this run (those in flight finish or roll back).
        for future in futures:
            future.cancel()
        raise


def pending_partition_ids(*, run: BillRun) -> list[int]:
    """The ids of ``run``'s partitions not calculated yet, in order."""
    return list(
        run.partitions.filter(status=PartitionStatus.PENDING).order_by("index").values_list("id", flat=True)
    )


@transaction.atomic
def start_calculating(*, run_id: int, now: datetime) -> BillRun:
    """Move a created run to calculating (a run already calculating stays so: resumed)."""
    hold_run_for_a_status_change(run_id=run_id)
    run: BillRun = BillRun.objects.select_for_update().get(pk=run_id)
    if run.status == BillRunStatus.CREATED:
        run.status = BillRunStatus.CALCULATING
        run.save(update_fields=["status"])
        record_audit_event(
            actor=None,
            action="billing.run_calculation_started",
            target=run,
            occurred_at=now,
            changes={"status": [BillRunStatus.CREATED, BillRunStatus.CALCULATING]},
        )
    return run


@transaction.atomic
def calculate_one_partition(*, run_id: int, partition_id: int, now: datetime) -> BillRun:
    """Calculate and write the bills of one partition, mark it done and count the progress —
    all in one transaction (nothing of a partition survives a crash half-way through it).

    Partitions of one run may be calculated at the same time (one per worker process): each
    locks its own partition row, and the run only against being cancelled or approved meanwhile
    (:func:`_run_shared_with_partitions`)."""
    run = _run_shared_with_partitions(run_id=run_id)
    partition = BillRunPartition.objects.select_for_update().get(pk=partition_id, run=run)
    if partition.status == PartitionStatus.DONE or run.status != BillRunStatus.CALCULATING:
        return run
    with _fewer_garbage_collections():
        calculated = calculate_partition_bills(run=run, partition=partition, now=now)
        _write_bills(calculated, now=now)
    partition.status = PartitionStatus.DONE
    partition.done_at = now
    partition.save(update_fields=["status", "done_at"])
    # The audit event before the counters: the audit chain's head and then the run's row, in
    # the order every partition takes them, so two partitions cannot wait on each other.
    record_audit_event(
        actor=None,
        action="billing.run_partition_calculated",
        target=run,
        occurred_at=now,
        changes={
            "partition": partition.index,
            "accounts": [partition.account_id_from, partition.account_id_to],
            "bills": len(calculated.bills),
            "flagged": calculated.flagged,
        },
    )
    BillRun.objects.filter(pk=run.pk).update(
        accounts_done=F("accounts_done") + partition.accounts,
        bills_flagged=F("bills_flagged") + calculated.flagged,
    )
    run.refresh_from_db()
    return run


#: The cyclic garbage collector's thresholds while a partition is calculated (Python's default
#: is 700, 10, 10): a partition allocates hundreds of thousands of short-lived objects (decimals,
#: explanation dictionaries, model instances), none in reference cycles worth chasing, and the
#: default thresholds spent about a fifth of the partition's CPU time in collections (measured,
#: 1,000- and 2,500-account partitions of the seeded demo utility).
PARTITION_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def _fewer_garbage_collections() -> Iterator[None]:
    """Collect garbage less often for the duration, then restore the process's thresholds."""
    before = gc.get_threshold()
    gc.set_threshold(*PARTITION_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _run_shared_with_partitions(*, run_id: int) -> BillRun:
    """Run ``run_id``, locked until the transaction ends against every change of its status
    (the operations lock it FOR UPDATE) but not against other partitions of it: PostgreSQL's
    FOR KEY SHARE, which the partitions' counter updates do not conflict with. SQLite locks the
    whole database for a writing transaction anyway."""
    if connection.vendor != "postgresql":
        return BillRun.objects.get(pk=run_id)
    hold_run_for_a_partition(run_id=run_id)
    table = connection.ops.quote_name(BillRun._meta.db_table)
    # The table name from the model's metadata, quoted; the id is a bound parameter.
    statement = f"SELECT * FROM {table} WHERE id = %s FOR KEY SHARE"  # noqa: S608  # nosec B608
    run = next(iter(BillRun.objects.raw(statement, [run_id])), None)
    if run is None:
        raise BillRun.DoesNotExist(f"no bill run {run_id}")
    return run


def _write_bills(calculated: PartitionBills, *, now: datetime) -> None:
    store_estimated_reads(bills=calculated.bills, now=now)
    write_bills(
        bills=[item.bill_values for item in calculated.bills],
        lines_of_bills=[item.line_values for item in calculated.bills],
    )


@transaction.atomic
def finish_calculating(*, run_id: int, now: datetime) -> BillRun:
    """Put a run whose partitions are all done in review (a run with pending ones stays)."""
    hold_run_for_a_status_change(run_id=run_id)
    run: BillRun = BillRun.objects.select_for_update().get(pk=run_id)
    if run.status != BillRunStatus.CALCULATING:
        return run
    if run.partitions.filter(status=PartitionStatus.PENDING).exists():
        return run
    run.status = BillRunStatus.IN_REVIEW
    run.calculated_at = now
    run.save(update_fields=["status", "calculated_at"])
    record_audit_event(
        actor=None,
        action="billing.run_calculated",
        target=run,
        occurred_at=now,
        changes={
            "status": [BillRunStatus.CALCULATING, BillRunStatus.IN_REVIEW],
            "accounts": run.accounts_total,
            "flagged": run.bills_flagged,
        },
    )
    return run
