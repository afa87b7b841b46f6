"""Identity tasks run by the job worker."""

from __future__ import annotations

from django.utils import timezone

from gridcare.identity.operations import purge_expired_identity_records
from gridcare.jobs.definitions import gridcare_task


@gridcare_task(max_attempts=3, backoff_seconds=60)
def purge_expired_identity_records_task() -> dict[str, int]:
    """Purge expired one-time codes, rate-limit hits and API nonces (see the operation)."""
    return purge_expired_identity_records(now=timezone.now())
