"""``gridcare worker``: run queued jobs, and (unless ``--no-scheduler``) queue periodic jobs."""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django_tasks import task_backends

from gridcare.jobs.operations import enqueue_due_periodic_jobs, run_next_job


class Command(BaseCommand):
    help = "Run queued background jobs (and the periodic scheduler) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-scheduler", action="store_true", help="Do not queue periodic jobs.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds to wait when idle.")
        parser.add_argument("--max-jobs", type=int, default=0, help="Stop after this many runs (0: never).")
        parser.add_argument("--burst", action="store_true", help="Stop once nothing is due.")

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends["default"]
        lease = timedelta(seconds=int(backend.options.get("LEASE_SECONDS", 900)))
        queues = frozenset(backend.queues)
        worker_id = f"{socket.gethostname()}:{os.getpid()}"
        stopping = []
        # Finish the running job, then stop (the lease covers a worker killed harder than this).
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        self.stdout.write(f"Worker {worker_id} started.")
        processed = 0
        while not stopping:
            if not options["no_scheduler"]:
                for queued in enqueue_due_periodic_jobs(now=timezone.now()):
                    self.stdout.write(f"Queued periodic {queued.task_path} ({queued.pk}).")
            run = run_next_job(worker_id=worker_id, clock=timezone.now, lease=lease, queues=queues)
            if run is not None:
                processed += 1
                self.stdout.write(f"{run.task_path} ({run.pk}) attempt {run.attempt}: {run.status}.")
                if options["max_jobs"] and processed >= options["max_jobs"]:
                    break
                continue
            if options["burst"]:
                break
            time.sleep(options["interval"])
        self.stdout.write(f"Worker {worker_id} stopped after {processed} runs.")
