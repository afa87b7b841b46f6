"""Register billing end to end on PostgreSQL (issue 5 §6): seeded accounts of mixed tariffs billed
by the local bill runner — usage and tariffs read, bills computed, bills and lines written — and
the same rows loaded again by a bare ``COPY``; the ratio of the two times, and peak memory.

Setup (not timed): a fresh database (on the server of ``$DATABASE_URL`` when it is PostgreSQL,
else a throwaway cluster of ``scripts/postgres-throwaway.sh``), migrated and seeded with
``gridcare seed --months 2`` in subprocesses, so their memory is not this process's, then
vacuumed and analyzed as a production database is kept. Timed: one
bill run per reading day (that day's routes, the period between its last two reading dates).
docs/benchmarks.md says what is measured and how.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess  # nosec B404: runs this project's own commands, no shell
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.harness import Benchmark, BenchmarkResult, BenchSetupError, Say, peak_rss_mib
from gridcare.kit.crypto import generate_key_text

PROJECT_DIR = Path(__file__).resolve().parents[1]
THROWAWAY_SCRIPT = PROJECT_DIR / "scripts" / "postgres-throwaway.sh"
DEFAULT_ACCOUNTS = 1_000_000
DEFAULT_DATABASE = "gridcare_bench_billing"
#: The seeder's random seed: the same accounts, tariffs and reads on every run.
SEED = 1
#: Monthly reads seeded: two reading dates per route, so one full period each.
SEEDED_MONTHS = 2
#: The org unit whose runs bill every account: the demo province (gridcare.demo.catalog).
PROVINCE_CODE = "37"
#: The demo superuser (gridcare.demo.catalog.DEMO_STAFF): holds billing.run on the province.
ACTOR_USERNAME = "admin"
TARGET_RATIO = 3
#: gridcare.billing.models.DEFAULT_PARTITION_SIZE (not imported: that needs Django set up, and
#: the options are read before it is; a test checks the two agree).
PRODUCT_PARTITION_SIZE = 2500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The register billing benchmark's options."""
    group = parser.add_argument_group("register billing on PostgreSQL: bill runs against a bare COPY")
    group.add_argument(
        "--accounts",
        type=int,
        default=DEFAULT_ACCOUNTS,
        help=f"accounts seeded and billed (default {DEFAULT_ACCOUNTS}; at least 100)",
    )
    group.add_argument(
        "--partition-size",
        type=int,
        default=PRODUCT_PARTITION_SIZE,
        help=f"accounts per run partition (default {PRODUCT_PARTITION_SIZE}, the product's)",
    )
    group.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes calculating partitions at the same time "
        f"(default: this machine's CPUs, {os.cpu_count() or 1}; 1 = in the benchmark's process)",
    )
    group.add_argument(
        "--end-month",
        type=lambda text: date.fromisoformat(f"{text}-01"),
        default=None,
        help="month of the seeded last reads, YYYY-MM (default: the seeder's, the latest complete one)",
    )
    group.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"with a PostgreSQL $DATABASE_URL: the database dropped and created for the run "
        f"(default {DEFAULT_DATABASE})",
    )


def reading_periods(*, end_month: date, reading_days: Iterable[int]) -> dict[int, tuple[date, date]]:
    """Each reading day's bill period ``[start, end)``: from its reading date in the month before
    ``end_month`` to its reading date in ``end_month`` — the seeder's last two reads of a route
    (daily freezes at local midnight: the opening read is dated ``start``, the closing ``end``)."""
    previous = date(end_month.year - (end_month.month == 1), (end_month.month - 2) % 12 + 1, 1)
    return {day: (previous.replace(day=day), end_month.replace(day=day)) for day in sorted(set(reading_days))}


def database_url_named(*, server_url: str, name: str) -> str:
    """``server_url`` with its database replaced by ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def is_postgresql(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


def run(options: argparse.Namespace, say: Say) -> BenchmarkResult:
    """Set up a fresh seeded database, bill it run by run, replay its rows with COPY, report."""
    if options.accounts < 100:
        raise BenchSetupError("--accounts: the seeder needs at least 100 accounts")
    if options.partition_size < 1:
        raise BenchSetupError("--partition-size must be at least 1")
    if options.processes < 1:
        raise BenchSetupError("--processes must be at least 1")
    say(f"register billing: {options.accounts:,} seeded accounts billed on PostgreSQL, against a bare COPY")
    with _fresh_database(name=options.database, say=say) as database_url:
        environment = _production_environment(database_url=database_url)
        os.environ.update(environment)
        import django

        django.setup()
        end_month = options.end_month or _seeders_end_month()
        seed_seconds = _prepare(
            environment=environment, accounts=options.accounts, end_month=end_month, say=say
        )
        return _measure(options=options, end_month=end_month, seed_seconds=seed_seconds, say=say)


def _measure(
    *, options: argparse.Namespace, end_month: date, seed_seconds: float, say: Say
) -> BenchmarkResult:
    # Imported once Django is set up (by run): they import its models.
    from django.utils import timezone

    from bench import register_billing_steps as steps
    from gridcare.identity.models import User
    from gridcare.organization.models import OrgUnit

    actor = User.objects.get(username=ACTOR_USERNAME)
    province = OrgUnit.objects.get(code=PROVINCE_CODE)
    groups = steps.reading_groups(actor=actor)
    periods = reading_periods(end_month=end_month, reading_days=groups)
    memory_before = peak_rss_mib()

    def report(figures: steps.RunFigures) -> None:
        say(
            f"  run       day {figures.reading_day:>2} [{figures.period_start}, {figures.period_end}) "
            f"{figures.routes} routes, {figures.accounts:,} accounts, {figures.flagged:,} flagged: "
            f"{figures.seconds:.1f} s"
        )

    with steps.worker_processes(processes=options.processes) as workers:
        started = time.perf_counter()
        runs = steps.bill_reading_groups(
            actor=actor,
            org_unit=province,
            periods=periods,
            partition_size=options.partition_size,
            clock=timezone.now,
            on_run=report,
            workers=workers,
        )
        wall_seconds = time.perf_counter() - started
    memory_after_runs = peak_rss_mib()
    run_seconds = sum(figures.seconds for figures in runs)
    run_ids = [figures.run_id for figures in runs]
    check = steps.check_bills(run_ids=run_ids)
    with tempfile.TemporaryDirectory(prefix="gridcare-bench-copy-") as folder:
        replay = steps.replay_with_copy(run_ids=run_ids, folder=Path(folder))
    accounts = sum(figures.accounts for figures in runs)
    flagged = sum(figures.flagged for figures in runs)
    ratio = run_seconds / replay.seconds
    say(
        f"  setup     fresh database, migrated, seeded and vacuumed ({options.accounts:,} accounts, "
        f"{SEEDED_MONTHS} months to {end_month:%Y-%m}, seed {SEED}) in {seed_seconds:.0f} s (not timed)"
    )
    say(
        f"  runs      {len(runs)} runs (one per reading day), {accounts:,} accounts in "
        f"{run_seconds:.1f} s = {accounts / run_seconds:,.0f} accounts/s "
        f"(partitions of {options.partition_size:,}, {_processes_text(workers)}; "
        f"{wall_seconds:.1f} s from the first run's start to the last one's end)"
    )
    say(
        f"  written   {check.bills:,} bills ({check.bills_without_lines:,} without lines), "
        f"{check.lines:,} lines, {flagged:,} flagged, total {check.total_yuan:,} yuan"
    )
    say(
        f"  check     runs' counts {check.run_count_mismatches} mismatches; accounts unbilled "
        f"{check.accounts_missing}, billed twice {check.accounts_billed_twice}; totals ≠ lines "
        f"{check.total_mismatches}"
    )
    say(
        f"  COPY      the same {check.bills:,} bills and {check.lines:,} lines "
        f"({replay.dump_bytes / 2**20:,.0f} MiB of COPY text) in {replay.seconds:.1f} s "
        f"(best of {', '.join(f'{seconds:.1f}' for seconds in replay.all_seconds)} s); "
        f"rows identical after: {'yes' if replay.identical else 'NO'}"
    )
    say(
        f"  ratio     {ratio:.1f}× the COPY time (target ≤ {TARGET_RATIO}×: "
        f"{'met' if ratio <= TARGET_RATIO else 'not met'})"
    )
    say(
        f"  memory    peak RSS {memory_after_runs:,.0f} MiB after the runs "
        f"({memory_before:,.0f} MiB before them)"
        + _workers_memory_text(workers.peak_rss_mib)
        + f"; partitions of {options.partition_size:,} accounts"
    )
    summary: dict[str, Any] = {
        "accounts_seeded": options.accounts,
        "seed": SEED,
        "seeded_months": SEEDED_MONTHS,
        "end_month": f"{end_month:%Y-%m}",
        "setup_seconds": round(seed_seconds, 1),
        "partition_size": options.partition_size,
        "processes": options.processes,
        "worker_start_seconds": round(workers.start_seconds, 1),
        "runs": [
            {
                "number": figures.number,
                "reading_day": figures.reading_day,
                "period": [figures.period_start.isoformat(), figures.period_end.isoformat()],
                "routes": figures.routes,
                "accounts": figures.accounts,
                "flagged": figures.flagged,
                "seconds": round(figures.seconds, 3),
            }
            for figures in runs
        ],
        "accounts": accounts,
        "bills": check.bills,
        "bills_without_lines": check.bills_without_lines,
        "lines": check.lines,
        "flagged": flagged,
        "total_yuan": str(check.total_yuan),
        "run_seconds": round(run_seconds, 3),
        "accounts_per_second": round(accounts / run_seconds, 1),
        "copy_seconds": round(replay.seconds, 3),
        "copy_seconds_each": [round(seconds, 3) for seconds in replay.all_seconds],
        "copy_bytes": replay.dump_bytes,
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "check": {
            "run_count_mismatches": check.run_count_mismatches,
            "accounts_missing": check.accounts_missing,
            "accounts_billed_twice": check.accounts_billed_twice,
            "total_mismatches": check.total_mismatches,
            "copy_rows_identical": replay.identical,
        },
        "peak_rss_mib_before_runs": memory_before,
        "peak_rss_mib_after_runs": memory_after_runs,
        "peak_rss_mib_of_workers": workers.peak_rss_mib,
    }
    return BenchmarkResult(summary=summary, passed=check.passed and replay.identical)


def _processes_text(workers: Any) -> str:
    if workers.pool is None:
        return "in this process"
    return (
        f"{workers.processes} worker processes, started in {workers.start_seconds:.1f} s "
        "before the runs (not timed)"
    )


def _workers_memory_text(peaks: list[float]) -> str:
    if not peaks:
        return ""
    return f", each worker process's {', '.join(f'{mib:,.0f}' for mib in peaks)} MiB"


def _seeders_end_month() -> date:
    from gridcare.demo.operations import latest_complete_reading_month

    return latest_complete_reading_month(now=datetime.now(UTC))


def _production_environment(*, database_url: str) -> dict[str, str]:
    # DEBUG off, as in production (with DEBUG on, Django logs every query's SQL), which needs
    # keys of its own: fresh ones serve, the database being made for this run alone.
    return {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "GRIDCARE_DEBUG": "0",
        "GRIDCARE_SECRET_KEY": secrets.token_urlsafe(32),
        "GRIDCARE_PII_KEYS": f"bench:{generate_key_text()}",
        "GRIDCARE_PII_HASH_KEY": generate_key_text(),
        "GRIDCARE_PII_KEY_FILE": "",
    }


def _prepare(*, environment: dict[str, str], accounts: int, end_month: date, say: Say) -> float:
    started = time.perf_counter()
    say(f"  setup     migrating, seeding and vacuuming {accounts:,} accounts (not timed) …")
    _gridcare(environment, "migrate", "--no-input", "--verbosity", "0")
    _gridcare(
        environment,
        "seed",
        "--accounts",
        str(accounts),
        "--seed",
        str(SEED),
        "--months",
        str(SEEDED_MONTHS),
        "--end-month",
        f"{end_month:%Y-%m}",
        "--verbosity",
        "0",
    )
    _vacuum(database_url=environment["DATABASE_URL"])
    return time.perf_counter() - started


def _vacuum(*, database_url: str) -> None:
    """VACUUM (ANALYZE) the freshly seeded database, as a production one is kept vacuumed.

    The seeder bulk-loads millions of rows; left so, autovacuum works through every seeded
    table during the first timed runs (seen at 1,000,000 accounts: about 70 s of it, beside the
    first three runs), while the COPY replay, timed last, has a quiet server."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as maintenance:
        maintenance.execute("VACUUM (ANALYZE)")


def _gridcare(environment: dict[str, str], *arguments: str) -> None:
    completed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments  # nosec B603
        [sys.executable, "-m", "gridcare", *arguments],
        env={**os.environ, **environment, "PYTHONPATH": str(PROJECT_DIR / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise BenchSetupError(f"gridcare {arguments[0]} failed:\n{completed.stdout}{completed.stderr}")


@contextmanager
def _fresh_database(*, name: str, say: Say) -> Iterator[str]:
    """The URL of an empty database: ``name`` dropped and created on ``$DATABASE_URL``'s server
    when that is PostgreSQL, else a throwaway cluster's (stopped and deleted afterwards)."""
    server_url = os.environ.get("DATABASE_URL", "")
    if is_postgresql(server_url):
        _recreate_database(server_url=server_url, name=name)
        say(f"  database  {name} (dropped and created) on {urlsplit(server_url).hostname}")
        yield database_url_named(server_url=server_url, name=name)
        return
    exports = _throwaway(["start"])
    say(f"  database  a throwaway PostgreSQL cluster ({THROWAWAY_SCRIPT.name}), no fsync")
    try:
        yield exports["DATABASE_URL"]
    finally:
        _throwaway(["stop", exports["GRIDCARE_PG_DIR"]])


def _recreate_database(*, server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    maintenance = database_url_named(server_url=server_url, name="postgres")
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _throwaway(arguments: list[str]) -> dict[str, str]:
    completed = subprocess.run(  # noqa: S603 - the project's own script, fixed arguments  # nosec B603
        [str(THROWAWAY_SCRIPT), *arguments], capture_output=True, text=True, check=False
    )
    if completed.returncode:
        raise BenchSetupError(
            f"{THROWAWAY_SCRIPT.name} {arguments[0]} failed (set DATABASE_URL to a PostgreSQL "
            f"server instead):\n{completed.stderr}"
        )
    exports = {}
    for line in completed.stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            exports[key] = value
    return exports


BENCHMARK = Benchmark(
    name="register-billing",
    description="register bill runs of seeded accounts on PostgreSQL against a bare COPY of their rows",
    add_arguments=add_arguments,
    run=run,
)
