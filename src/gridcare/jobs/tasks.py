"""Tasks of the platform itself."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridcare.audit.queries import verify_audit_chain
from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.operations import purge_finished_runs


@gridcare_task(max_attempts=1)
def verify_audit_log() -> dict[str, object]:
    """Walk the audit hash chain (what ``gridcare audit verify`` does); a break fails the run,
    with the break as its error, for the jobs page to show."""
    head = verify_audit_chain()
    return {"verified_through_sequence": head.sequence, "head_hash": head.hash}


@gridcare_task(max_attempts=3, backoff_seconds=60)
def purge_finished_job_runs(*, keep_days: int = 30) -> dict[str, int]:
    """Delete runs that ended more than ``keep_days`` ago (frequent periodic jobs such as the
    notification dispatch would otherwise grow the table without end)."""
    return {"deleted_runs": purge_finished_runs(finished_before=timezone.now() - timedelta(days=keep_days))}
