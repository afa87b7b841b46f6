"""``gridcare scheduler``: queue periodic jobs when due (for a worker started with
``--no-scheduler``; safe to run beside other schedulers)."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from gridcare.jobs.operations import enqueue_due_periodic_jobs


class Command(BaseCommand):
    help = "Queue periodic jobs when they are due, until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        while not stopping:
            for run in enqueue_due_periodic_jobs(now=timezone.now()):
                self.stdout.write(f"Queued periodic {run.task_path} ({run.pk}).")
            if options["once"]:
                break
            time.sleep(options["interval"])
