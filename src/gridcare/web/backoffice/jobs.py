"""The jobs page: recent background job runs with their status, timings, attempts, errors and
progress, for holders of ``jobs.view`` (系统管理员); running rows refresh their progress by htmx
polling."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from gridcare.identity.access import permission_required
from gridcare.identity.permissions import Permission
from gridcare.jobs import queries


@permission_required(Permission.VIEW_JOBS)
def job_runs(request: HttpRequest) -> HttpResponse:
    """The latest job runs, newest first."""
    return render(request, "web/backoffice/jobs.html", {"runs": queries.recent_runs()})


@permission_required(Permission.VIEW_JOBS)
def job_progress(request: HttpRequest, run_id: UUID) -> HttpResponse:
    """One run's status and progress cell (what the page polls while the run is unfinished)."""
    run = queries.job_run(run_id=run_id)
    if run is None:
        raise Http404
    return render(request, "web/backoffice/jobs_progress.html", {"run": run})
