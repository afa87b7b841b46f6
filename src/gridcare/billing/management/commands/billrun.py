"""``gridcare billrun``: bill runs (核算批次) from the command line (docs/billing-runs.md).

- ``billrun create --user NAME --org-unit CODE --period-start D --period-end D [--route CODE …]``
  creates a run (and queues its calculation for the worker unless ``--calculate`` runs it here);
- ``billrun calculate RUN [--processes N | --dask tcp://host:port]`` calculates (or resumes) a run
  in this process, in N worker processes of this machine, or on a Dask cluster;
- ``billrun show RUN`` prints its status and progress.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from gridcare.billing.models import DEFAULT_PARTITION_SIZE, BillRun
from gridcare.billing.operations import create_bill_run
from gridcare.billing.runners.dask import calculate_bill_run_on_dask
from gridcare.billing.runners.local import RunProgress, calculate_bill_run, partition_pool
from gridcare.customers.models import ReadingRoute
from gridcare.identity.models import User
from gridcare.kit.errors import GridCareError
from gridcare.organization.models import OrgUnit


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD: {value!r}") from error


class Command(BaseCommand):
    help = "Bill runs (核算批次): create, calculate (locally or on a Dask cluster), show."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        create = subcommands.add_parser("create", help="Create a bill run for an org unit and period.")
        create.add_argument("--user", required=True, help="The staff user creating the run (核算员).")
        create.add_argument("--org-unit", required=True, dest="org_unit", help="The org unit's code.")
        create.add_argument("--period-start", required=True, dest="period_start", type=_date)
        create.add_argument(
            "--period-end", required=True, dest="period_end", type=_date, help="Exclusive (the day after)."
        )
        create.add_argument("--route", action="append", default=[], help="A reading route code (repeatable).")
        create.add_argument(
            "--partition-size", dest="partition_size", type=_positive, default=DEFAULT_PARTITION_SIZE
        )
        create.add_argument(
            "--calculate", action="store_true", help="Calculate here and now instead of queueing a job."
        )
        create.add_argument("--dask", help="With --calculate: the Dask scheduler address (tcp://host:port).")
        create.add_argument("--processes", type=_positive, default=1, help=_PROCESSES_HELP)
        calculate = subcommands.add_parser("calculate", help="Calculate or resume a run.")
        calculate.add_argument("run", help="The run number.")
        calculate.add_argument("--dask", help="The Dask scheduler address (tcp://host:port).")
        calculate.add_argument("--processes", type=_positive, default=1, help=_PROCESSES_HELP)
        show = subcommands.add_parser("show", help="Print a run's status and progress as JSON.")
        show.add_argument("run", help="The run number.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "create":
                run = self._create(options)
                if options["calculate"]:
                    run = self._calculate(run, options.get("dask"), options["processes"])
            else:
                found: BillRun | None = BillRun.objects.filter(number=options["run"]).first()
                if found is None:
                    raise CommandError(f"没有核算批次 {options['run']} / No bill run {options['run']}")
                run = found
                if options["subcommand"] == "calculate":
                    run = self._calculate(run, options.get("dask"), options["processes"])
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}", returncode=2) from error
        self.stdout.write(json.dumps(_summary(run), ensure_ascii=False))

    def _create(self, options: dict[str, Any]) -> BillRun:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"没有在用的用户 {options['user']} / No active user {options['user']}")
        org_unit = OrgUnit.objects.filter(code=options["org_unit"]).first()
        if org_unit is None:
            raise CommandError(f"没有供电单位 {options['org_unit']} / No org unit {options['org_unit']}")
        routes = list(ReadingRoute.objects.visible_to(user).filter(code__in=options["route"]))
        unknown = sorted(set(options["route"]) - {route.code for route in routes})
        if unknown:
            raise CommandError(f"没有抄表段 / No reading route: {', '.join(unknown)}")
        return create_bill_run(
            actor=user,
            org_unit=org_unit,
            period_start=options["period_start"],
            period_end=options["period_end"],
            reading_routes=routes,
            partition_size=options["partition_size"],
            now=timezone.now(),
        )

    def _calculate(self, run: BillRun, dask_address: str | None, processes: int) -> BillRun:
        def report(progress: RunProgress) -> None:
            self.stderr.write(f"{progress.accounts_done}/{progress.accounts_total}")

        if dask_address:
            return calculate_bill_run_on_dask(
                run_id=run.pk, scheduler_address=dask_address, clock=timezone.now, progress=report
            )
        if processes == 1:
            return calculate_bill_run(run_id=run.pk, clock=timezone.now, progress=report)
        if connection.vendor != "postgresql":
            raise CommandError(
                "--processes 需要 PostgreSQL：SQLite 一次只允许一个写事务 / "
                "--processes needs PostgreSQL: SQLite lets one transaction write at a time"
            )
        with partition_pool(processes=processes) as pool:
            return calculate_bill_run(run_id=run.pk, clock=timezone.now, progress=report, pool=pool)


_PROCESSES_HELP = "Worker processes on this machine calculating partitions at the same time (default 1)."


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"至少为 1 / at least 1: {text}")
    return value


def _summary(run: BillRun) -> dict[str, object]:
    return {
        "run": run.number,
        "status": run.status,
        "period_start": run.period_start.isoformat(),
        "period_end": run.period_end.isoformat(),
        "accounts_total": run.accounts_total,
        "accounts_done": run.accounts_done,
        "bills_flagged": run.bills_flagged,
    }
