"""Payments' background task: the month-end late-fee accrual (run daily by the periodic job
``accrue-late-fees``; on days after the first of a month it finds nothing new to charge)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.operations import report_progress
from gridcare.kit.clock import local_date
from gridcare.payments.late_fees import accrue_late_fees, last_month_end


def _report(done: int, total: int) -> None:
    report_progress(done=done, total=total, message=f"{done}/{total} accounts", now=timezone.now())


@gridcare_task(max_attempts=3, backoff_seconds=60)
def accrue_late_fees_task(*, through: str | None = None) -> dict[str, object]:
    """Charge the late fees accrued through ``through`` (ISO date; default: the end of last
    month)."""
    now = timezone.now()
    day = date.fromisoformat(through) if through else last_month_end(today=local_date(now))
    entries = accrue_late_fees(through=day, now=now, progress=_report)
    return {"through": day.isoformat(), "entries": entries}
