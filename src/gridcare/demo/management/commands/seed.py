"""``gridcare seed``: seed the demo utility (see :func:`gridcare.demo.operations.seed_demo_utility`)."""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from gridcare.demo.billing_history import DEMO_BILLING_USERNAME, seed_demo_billing
from gridcare.demo.operations import DEFAULT_CHUNK_SIZE, latest_complete_reading_month, seed_demo_utility
from gridcare.demo.queries import utility_data_counts
from gridcare.identity.models import User
from gridcare.kit.errors import GridCareError


def _month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM") from error


class Command(BaseCommand):
    help = (
        "Seed the demo utility: a province with 2 cities, 4 counties and 8 supply stations, "
        "demo logins, N accounts with meters, monthly reads and interval reads. Deterministic "
        "for a given --seed. Refuses a database that already holds utility data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, required=True, help="Number of accounts (100 or more).")
        parser.add_argument(
            "--seed", type=int, required=True, help="Seed: the same seed gives the same rows."
        )
        parser.add_argument("--months", type=int, default=24, help="Monthly reads per meter (default 24).")
        parser.add_argument(
            "--end-month",
            type=_month,
            default=None,
            help="Month of the last reads, YYYY-MM (default: the latest month whose reading days are past).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Skip, with a message, when the database already holds utility data.",
        )
        parser.add_argument(
            "--no-billing",
            action="store_true",
            help="Seed no money history (by default the last two periods are billed and issued, "
            "and most of the first one paid).",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Accounts generated and written per batch (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["if_empty"] and not utility_data_counts().is_empty:
            self.stdout.write("The database already holds utility data: seeding skipped (--if-empty).")
            return
        end_month = options["end_month"] or latest_complete_reading_month(now=now)
        started = time.monotonic()
        with tqdm(
            total=options["accounts"], unit=" accounts", unit_scale=True, disable=options["verbosity"] < 1
        ) as progress_bar:
            try:
                summary = seed_demo_utility(
                    accounts=options["accounts"],
                    seed=options["seed"],
                    months=options["months"],
                    end_month=end_month,
                    now=now,
                    chunk_size=options["chunk_size"],
                    progress=progress_bar.update,
                )
            except GridCareError as error:
                raise CommandError(f"{error.message('zh-hans')}\n{error.message('en')}") from error
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded the demo utility (seed {options['seed']}, reads {options['months']} months to "
            f"{end_month:%Y-%m}) in {elapsed:.1f} s:"
        )
        for label, count in summary.row_counts.items():
            self.stdout.write(f"  {label:<36} {count:>12,}")
        for kind, account_numbers in summary.anomalies.items():
            self.stdout.write(f"  anomaly {kind:<28} {len(account_numbers):>12,}")
        if not options["no_billing"]:
            self._seed_billing(end_month=end_month, seed=options["seed"], now=now)

    def _seed_billing(self, *, end_month: date, seed: int, now: datetime) -> None:
        started = time.monotonic()
        history = seed_demo_billing(
            actor=User.objects.get(username=DEMO_BILLING_USERNAME), end_month=end_month, now=now, seed=seed
        )
        self.stdout.write(
            f"Billed the last two periods in {time.monotonic() - started:.1f} s: {history.runs} runs, "
            f"{history.bills_issued:,} bills issued, {history.bills_held:,} held for review, "
            f"{history.payments:,} payments."
        )
