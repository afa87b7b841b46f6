"""A fair lock on a bill run between its partitions and the operations that change its status.

Partitions of one run calculate at the same time, each holding the run's row ``FOR KEY SHARE``
(ADR 0008, point 9). PostgreSQL lets a new share locker of a row in ahead of a transaction
already waiting to lock it ``FOR UPDATE``, so with a pool of workers starting partition after
partition a cancellation could wait until the whole run was calculated. A transaction-scoped
advisory lock on the run, taken first, queues fairly: partitions take it shared, status changes
exclusive, and a waiting status change holds back the partitions that come after it.
On SQLite (one writer at a time) there is nothing to do.
"""

from __future__ import annotations

from django.db import connection

#: The advisory lock class of bill runs (the two-key form: this class, the run's id).
_BILL_RUN_LOCK_CLASS = 0x42494C4C  # "BILL"


def hold_run_for_a_partition(*, run_id: int) -> None:
    """Until the transaction ends: shared with other partitions, behind any waiting status change."""
    _advisory_lock(function="pg_advisory_xact_lock_shared", run_id=run_id)


def hold_run_for_a_status_change(*, run_id: int) -> None:
    """Until the transaction ends: alone, once the partitions in flight have committed."""
    _advisory_lock(function="pg_advisory_xact_lock", run_id=run_id)


def _advisory_lock(*, function: str, run_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # ``function`` is one of the two names above, never input; the ids are parameters.
        cursor.execute(f"SELECT {function}(%s, %s)", [_BILL_RUN_LOCK_CLASS, run_id])  # nosec B608
