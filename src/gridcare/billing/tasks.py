"""Billing's background task: calculate a bill run (queued when the run is created)."""

from __future__ import annotations

from django.utils import timezone

from gridcare.billing.runners.local import RunProgress, calculate_bill_run
from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.operations import report_progress


def _report(progress: RunProgress) -> None:
    report_progress(
        done=progress.accounts_done,
        total=progress.accounts_total,
        message=(
            f"{progress.accounts_done}/{progress.accounts_total} accounts, {progress.bills_flagged} flagged"
        ),
        now=timezone.now(),
    )


@gridcare_task(max_attempts=5, backoff_seconds=30)
def calculate_bill_run_task(*, run_id: int) -> dict[str, object]:
    """Calculate every pending partition of run ``run_id`` (resumable: a retry or a second run
    continues where the last one stopped)."""
    run = calculate_bill_run(run_id=run_id, clock=timezone.now, progress=_report)
    return {
        "run": run.number,
        "status": run.status,
        "accounts": run.accounts_done,
        "flagged": run.bills_flagged,
    }
