"""The Dask distributed runner: a bill run's partitions (ranges of account ids of the run's org
unit) calculated in parallel on a Dask cluster (``gridcare billrun calculate RUN --dask
tcp://host:port``).

Each worker runs the local runner's partition transaction
(:func:`~gridcare.billing.runners.local.calculate_one_partition`) against the same database, so
the guarantees are the local runner's: a partition's bills and its ``done`` mark commit
together, a partition already done is skipped, and a lost worker's partition is simply
calculated again (Dask retries it; the partition row lock keeps two workers from writing it
twice). Workers need the project installed and ``DATABASE_URL`` (or the same settings) of the
database the run lives in; the client names the database so a worker never writes elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import connection

from gridcare.billing.models import BillRun, BillRunStatus
from gridcare.billing.runners.dask_worker import calculate_partition_on_worker
from gridcare.billing.runners.local import (
    ProgressReporter,
    finish_calculating,
    pending_partition_ids,
    start_calculating,
)

#: How often Dask retries a partition whose worker died or failed before giving up the run.
PARTITION_RETRIES = 2


def calculate_bill_run_on_dask(
    *,
    run_id: int,
    scheduler_address: str,
    clock: Callable[[], datetime],
    progress: ProgressReporter | None = None,
) -> BillRun:
    """Calculate every pending partition of run ``run_id`` on the Dask cluster at
    ``scheduler_address``, then put the run in review. Resumable like the local runner."""
    from distributed import Client, as_completed

    run = start_calculating(run_id=run_id, now=clock())
    if run.status != BillRunStatus.CALCULATING:
        return run
    database_name = str(connection.settings_dict["NAME"])
    with Client(scheduler_address) as client:  # type: ignore[no-untyped-call]
        futures = [
            client.submit(
                calculate_partition_on_worker,
                run_id=run.pk,
                partition_id=partition_id,
                database_name=database_name,
                key=f"bill-run-{run.pk}-partition-{partition_id}",
                retries=PARTITION_RETRIES,
                pure=False,
            )
            for partition_id in pending_partition_ids(run=run)
        ]
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            done = future.result()
            if progress is not None:
                progress(done)
    return finish_calculating(run_id=run.pk, now=clock())
