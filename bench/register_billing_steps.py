"""The steps of the ``register-billing`` benchmark that need Django and the database (imported by
:mod:`bench.register_billing` once Django is set up): the bill runs of each reading day, their
checks, and the bare ``COPY`` replay of the rows they wrote.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from bench.harness import BenchSetupError, worker_peak_rss_mib, worker_ready
from gridcare.billing.calculation import BILLED_ACCOUNT_STATUSES
from gridcare.billing.models import Bill, BillLine, BillRun
from gridcare.billing.operations import create_bill_run
from gridcare.billing.runners.local import calculate_bill_run, partition_pool
from gridcare.customers.models import Account, ReadingRoute
from gridcare.identity.models import User
from gridcare.organization.models import OrgUnit

#: The tables a bill run writes, in the order their rows can be loaded (lines name their bill).
WRITTEN_TABLES = (Bill._meta.db_table, BillLine._meta.db_table)


@dataclass(frozen=True, kw_only=True)
class RunFigures:
    """One reading day's bill run: what it billed and how long it took (create + calculate)."""

    run_id: int
    number: str
    reading_day: int
    period_start: date
    period_end: date
    routes: int
    accounts: int
    flagged: int
    seconds: float


@dataclass(frozen=True, kw_only=True)
class BillCheck:
    """What the runs wrote, checked: every figure named ``…_mismatches`` or ``…_missing`` must be 0."""

    bills: int
    lines: int
    #: Bills with no lines: their account could not be billed (a blocking review exception).
    bills_without_lines: int
    total_yuan: Decimal
    #: Runs whose bill count or distinct accounts differ from their accounts_total.
    run_count_mismatches: int
    #: Accounts in service or suspended with no bill of the benchmark's runs, or with several.
    accounts_missing: int
    accounts_billed_twice: int
    #: Bills with lines whose total is not the sum of their lines' amounts.
    total_mismatches: int

    @property
    def passed(self) -> bool:
        return not (
            self.run_count_mismatches
            or self.accounts_missing
            or self.accounts_billed_twice
            or self.total_mismatches
        )


@dataclass(frozen=True, kw_only=True)
class TableDigest:
    """A table's row count and an order-independent checksum of its rows' text."""

    rows: int
    checksum: int


@dataclass(frozen=True, kw_only=True)
class CopyReplay:
    """The bare COPY of the rows the runs wrote: its best time and every time, and the tables
    before and after."""

    seconds: float
    all_seconds: list[float]
    dump_bytes: int
    before: dict[str, TableDigest]
    after: dict[str, TableDigest]

    @property
    def identical(self) -> bool:
        return self.before == self.after


@dataclass(kw_only=True)
class WorkerProcesses:
    """The local runner's worker processes for the runs (no pool: the runs calculate in this
    process), how long they took to start, and afterwards each one's peak resident memory."""

    processes: int
    pool: ProcessPoolExecutor | None
    start_seconds: float = 0.0
    peak_rss_mib: list[float] = field(default_factory=list)


@contextmanager
def worker_processes(*, processes: int) -> Iterator[WorkerProcesses]:
    """``processes`` started worker processes with Django set up on this database (one: none)."""
    if processes == 1:
        yield WorkerProcesses(processes=1, pool=None)
        return
    started = time.perf_counter()
    database_name = str(connection.settings_dict["NAME"])
    with multiprocessing.Manager() as manager, partition_pool(processes=processes) as pool:
        # Start every worker and set Django up in it now, not inside the first run's time.
        barrier = manager.Barrier(processes)
        ready = [
            pool.submit(worker_ready, barrier=barrier, database_name=database_name) for _ in range(processes)
        ]
        for future in ready:
            future.result()
        workers = WorkerProcesses(processes=processes, pool=pool, start_seconds=time.perf_counter() - started)
        yield workers
        peaks = [pool.submit(worker_peak_rss_mib, barrier=barrier) for _ in range(processes)]
        workers.peak_rss_mib = sorted(future.result() for future in peaks)


def reading_groups(*, actor: User) -> dict[int, list[ReadingRoute]]:
    """The reading routes ``actor`` sees, grouped by reading day (ascending)."""
    groups: dict[int, list[ReadingRoute]] = {}
    for route in ReadingRoute.objects.visible_to(actor).order_by("reading_day", "code"):
        groups.setdefault(route.reading_day, []).append(route)
    return groups


def bill_reading_groups(
    *,
    actor: User,
    org_unit: OrgUnit,
    periods: dict[int, tuple[date, date]],
    partition_size: int,
    clock: Callable[[], datetime],
    on_run: Callable[[RunFigures], None],
    workers: WorkerProcesses,
) -> list[RunFigures]:
    """One bill run per reading day of ``periods`` (reading day → its period), each billing that
    day's routes of ``org_unit``: created and calculated by the local runner (in this process,
    or by ``workers``' processes), and timed.

    The runs are left in review, as a utility's runs of its reading days are: their periods
    overlap but their routes do not, so ``create_bill_run`` lets them be live together."""
    groups = reading_groups(actor=actor)
    missing = sorted(set(periods) - set(groups))
    if missing:
        raise BenchSetupError(f"no reading route has reading day {', '.join(map(str, missing))}")
    figures = []
    for reading_day, (period_start, period_end) in sorted(periods.items()):
        started = time.perf_counter()
        run = create_bill_run(
            actor=actor,
            org_unit=org_unit,
            period_start=period_start,
            period_end=period_end,
            reading_routes=groups[reading_day],
            partition_size=partition_size,
            now=clock(),
        )
        run = calculate_bill_run(run_id=run.pk, clock=clock, pool=workers.pool)
        seconds = time.perf_counter() - started
        run_figures = RunFigures(
            run_id=run.pk,
            number=run.number,
            reading_day=reading_day,
            period_start=period_start,
            period_end=period_end,
            routes=len(groups[reading_day]),
            accounts=run.accounts_done,
            flagged=run.bills_flagged,
            seconds=seconds,
        )
        figures.append(run_figures)
        on_run(run_figures)
    return figures


def check_bills(*, run_ids: Sequence[int]) -> BillCheck:
    """Check the bills of runs ``run_ids``: one per account of each run, one per account in
    service or suspended over all runs, and each total the sum of its lines."""
    bills = Bill.objects.filter(run_id__in=run_ids)
    runs = BillRun.objects.filter(pk__in=run_ids).annotate(
        bills_written=Count("bills"), accounts_billed=Count("bills__account", distinct=True)
    )
    run_count_mismatches = sum(
        1
        for run in runs
        if not run.bills_written == run.accounts_billed == run.accounts_total == run.accounts_done
    )
    bills_per_account = bills.values("account_id").annotate(count=Count("id"))
    billable = Account.objects.filter(status__in=BILLED_ACCOUNT_STATUSES).count()
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))
    line_sums = (
        BillLine.objects.filter(bill=OuterRef("pk"))
        .values("bill")
        .annotate(amount=Sum("amount"))
        .values("amount")
    )
    # Rounded to the fen, which every amount already is: SQLite sums decimals in binary floating point.
    with_sums = bills.annotate(line_count=Count("lines"), lines_total=Round(Subquery(line_sums), 2))
    return BillCheck(
        bills=bills.count(),
        lines=BillLine.objects.filter(bill__run_id__in=run_ids).count(),
        bills_without_lines=with_sums.filter(line_count=0).count(),
        total_yuan=bills.aggregate(total=Coalesce(Sum("total"), zero))["total"],
        run_count_mismatches=run_count_mismatches,
        accounts_missing=billable - bills_per_account.count(),
        accounts_billed_twice=bills_per_account.filter(count__gt=1).count(),
        total_mismatches=with_sums.filter(line_count__gt=0).exclude(total=F("lines_total")).count(),
    )


def table_digests() -> dict[str, TableDigest]:
    """Each written table's row count and the sum of its rows' text hashes: equal digests mean
    (but for a hash collision) the same rows, whatever their physical order."""
    digests = {}
    with connection.cursor() as cursor:
        for table in WRITTEN_TABLES:
            quoted = connection.ops.quote_name(table)
            # A table name from the models' metadata, quoted; no value is spliced in.
            cursor.execute(f"SELECT count(*), coalesce(sum(hashtext(t::text)), 0) FROM {quoted} t")  # noqa: S608
            rows, checksum = cursor.fetchone()
            digests[table] = TableDigest(rows=rows, checksum=int(checksum))
    return digests


def replay_with_copy(*, run_ids: Sequence[int], folder: Path, repeats: int = 2) -> CopyReplay:
    """Time a bare ``COPY … FROM`` of exactly the bills and lines runs ``run_ids`` wrote, into the
    same tables (same indexes, constraints and deferred foreign keys, checked at the commit, which
    is timed): dump both tables to files in ``folder``, then ``repeats`` times empty them and
    load the files back in one transaction. The figure is the fastest load: the baseline at its
    best, so the ratio errs against the runs. The tables must hold nothing but these runs' rows."""
    if Bill.objects.exclude(run_id__in=run_ids).exists():
        raise BenchSetupError("the database holds bills of other runs: the benchmark needs a fresh database")
    before = table_digests()
    raw = _psycopg_connection()
    dumps = {table: folder / f"{table}.copy" for table in WRITTEN_TABLES}
    with raw.cursor() as cursor:
        for table, path in dumps.items():
            with path.open("wb") as dump, cursor.copy(f"COPY {_quoted(table)} TO STDOUT") as copy:
                for chunk in copy:
                    dump.write(chunk)
    all_seconds = [_load_dumps(raw=raw, dumps=dumps) for _ in range(repeats)]
    dump_bytes = sum(path.stat().st_size for path in dumps.values())
    for path in dumps.values():
        path.unlink()
    return CopyReplay(
        seconds=min(all_seconds),
        all_seconds=all_seconds,
        dump_bytes=dump_bytes,
        before=before,
        after=table_digests(),
    )


def _load_dumps(*, raw: Any, dumps: dict[str, Path]) -> float:
    """Empty the written tables, then load ``dumps`` into them; the load's seconds."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Checks the foreign keys of rows written earlier in the same transaction now (a test's
        # transaction): PostgreSQL refuses to truncate a table with deferred checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(_quoted(table) for table in WRITTEN_TABLES)}")
    started = time.perf_counter()
    with transaction.atomic(), raw.cursor() as cursor:
        for table, path in dumps.items():
            with path.open("rb") as dump, cursor.copy(f"COPY {_quoted(table)} FROM STDIN") as copy:
                while chunk := dump.read(_COPY_CHUNK_BYTES):
                    copy.write(chunk)
    return time.perf_counter() - started


_COPY_CHUNK_BYTES = 1 << 20


def _quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def _psycopg_connection() -> Any:
    connection.ensure_connection()
    return connection.connection
