"""Tasks of the platform itself."""

from __future__ import annotations

from gridcare.audit.queries import verify_audit_chain
from gridcare.jobs.definitions import gridcare_task


@gridcare_task(max_attempts=1)
def verify_audit_log() -> dict[str, object]:
    """Walk the audit hash chain (what ``gridcare audit verify`` does); a break fails the run,
    with the break as its error, for the jobs page to show."""
    head = verify_audit_chain()
    return {"verified_through_sequence": head.sequence, "head_hash": head.hash}
