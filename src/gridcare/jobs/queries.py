"""Reads of the job queue (platform records, not org-scoped: the pages check ``jobs.view``)."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from gridcare.jobs.models import JobRun

#: Runs the jobs page lists.
RECENT_RUNS = 100


def recent_runs(*, limit: int = RECENT_RUNS) -> QuerySet[JobRun]:
    """The latest ``limit`` runs, newest first."""
    return JobRun.objects.order_by("-enqueued_at")[:limit]


def job_run(*, run_id: UUID) -> JobRun | None:
    """The run ``run_id``, or None when there is none."""
    return JobRun.objects.filter(pk=run_id).first()
