"""The periodic scheduler and the seeded housekeeping jobs on a real database."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.module_loading import import_string

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import ApiNonce, IntegrationKind, OneTimeCode, RateLimitHit
from gridcare.identity.operations import create_integration, purge_expired_identity_records
from gridcare.jobs.models import JobRun, PeriodicJob
from gridcare.jobs.operations import enqueue_due_periodic_jobs, latest_slot, run_next_job

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEASE = timedelta(minutes=15)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hourly_job(db: None) -> PeriodicJob:
    PeriodicJob.objects.all().delete()
    return PeriodicJob.objects.create(
        name="hourly-sum",
        task_path="job_samples.add_numbers",
        kwargs={"first": 1, "second": 2},
        interval_seconds=3600,
    )


def test_the_seeded_periodic_jobs_name_real_tasks() -> None:
    seeded = {
        job.name: (job.task_path, job.interval_seconds, job.daily_at, job.enabled)
        for job in PeriodicJob.objects.all()
    }
    assert seeded == {
        "purge-expired-identity-records": (
            "gridcare.identity.tasks.purge_expired_identity_records_task",
            3600,
            None,
            True,
        ),
        "verify-audit-log": ("gridcare.jobs.tasks.verify_audit_log", None, time(2, 30), True),
        "purge-finished-job-runs": ("gridcare.jobs.tasks.purge_finished_job_runs", None, time(3, 0), True),
        "dispatch-notifications": ("gridcare.notifications.tasks.dispatch_notifications", 30, None, True),
        # dunning (issue 6)
        "dunning-run": ("gridcare.payments.dunning_tasks.run_dunning_task", None, time(7, 0), True),
        "supply-order-check": ("gridcare.payments.dunning_tasks.check_supply_orders", 300, None, True),
        # late fees (issue 6)
        "accrue-late-fees": ("gridcare.payments.tasks.accrue_late_fees_task", None, time(0, 30), True),
        # prepaid (issue 6)
        "prepaid-estimate": (
            "gridcare.billing.prepaid_estimates.estimate_prepaid_task",
            None,
            time(7, 30),
            True,
        ),
    }
    for task_path, *_ in seeded.values():
        assert import_string(task_path).module_path == task_path


def test_a_due_job_is_queued_once_per_slot(hourly_job: PeriodicJob) -> None:
    at = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
    queued = enqueue_due_periodic_jobs(now=at)
    assert [(run.task_path, run.kwargs, run.idempotency_key) for run in queued] == [
        (
            "job_samples.add_numbers",
            {"first": 1, "second": 2},
            "periodic:hourly-sum:2025-03-10T09:00:00+08:00",
        )
    ]
    assert enqueue_due_periodic_jobs(now=at + timedelta(minutes=29)) == []
    hourly_job.refresh_from_db()
    assert hourly_job.last_enqueued_at == datetime(2025, 3, 10, 9, tzinfo=SHANGHAI)

    later = enqueue_due_periodic_jobs(now=at + timedelta(minutes=30))
    assert [run.idempotency_key for run in later] == ["periodic:hourly-sum:2025-03-10T10:00:00+08:00"]
    assert JobRun.objects.count() == 2


def test_a_second_scheduler_queues_no_second_run_for_the_slot(hourly_job: PeriodicJob) -> None:
    at = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)
    assert len(enqueue_due_periodic_jobs(now=at)) == 1
    # A second scheduler that read the job before the first one marked it:
    PeriodicJob.objects.update(last_enqueued_at=None)
    assert enqueue_due_periodic_jobs(now=at + timedelta(seconds=1)) == []
    assert JobRun.objects.count() == 1


def test_disabled_jobs_are_not_queued(hourly_job: PeriodicJob) -> None:
    PeriodicJob.objects.update(enabled=False)
    assert enqueue_due_periodic_jobs(now=datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)) == []
    assert JobRun.objects.count() == 0


def test_a_daily_slot_is_the_latest_time_of_day_in_beijing() -> None:
    job = PeriodicJob(name="nightly", task_path="x", daily_at=time(2, 30))
    before = datetime(2025, 3, 10, 2, 29, 59, tzinfo=SHANGHAI)
    at = datetime(2025, 3, 10, 2, 30, tzinfo=SHANGHAI)
    assert latest_slot(periodic_job=job, now=before) == datetime(2025, 3, 9, 2, 30, tzinfo=SHANGHAI)
    assert latest_slot(periodic_job=job, now=at) == at
    # 18:30 UTC on the 9th is 02:30 on the 10th in Beijing.
    assert latest_slot(periodic_job=job, now=datetime(2025, 3, 9, 18, 30, tzinfo=ZoneInfo("UTC"))) == at


def test_the_purge_deletes_exactly_the_expired_rows(org_tree, now: datetime) -> None:
    def code(expires_at: datetime) -> OneTimeCode:
        return OneTimeCode.objects.create(
            purpose="portal_login",
            mobile_digest="d",
            code_hash="h",
            created_at=now - timedelta(minutes=10),
            expires_at=expires_at,
        )

    expired_code, _ = code(now - timedelta(seconds=1)), code(now)
    live_code = code(now + timedelta(minutes=5))
    RateLimitHit.objects.create(scope="s", key_digest="k", occurred_at=now - timedelta(days=1, seconds=1))
    kept_hit = RateLimitHit.objects.create(scope="s", key_digest="k", occurred_at=now - timedelta(hours=23))
    integration = create_integration(
        name="bank-of-jinan",
        kind=IntegrationKind.BANK,
        org_unit=org_tree.city,
        scopes=["accounts:read"],
        actor=None,
        now=now,
    ).integration
    ApiNonce.objects.create(integration=integration, nonce="old", seen_at=now - timedelta(hours=1))
    kept_nonce = ApiNonce.objects.create(
        integration=integration, nonce="new", seen_at=now - timedelta(seconds=10)
    )

    deleted = purge_expired_identity_records(now=now)

    assert deleted == {"one_time_codes": 1, "rate_limit_hits": 1, "api_nonces": 1}
    remaining_codes = set(OneTimeCode.objects.values_list("expires_at", flat=True))
    assert remaining_codes == {now, live_code.expires_at}
    assert not OneTimeCode.objects.filter(pk=expired_code.pk).exists()
    assert list(RateLimitHit.objects.values_list("pk", flat=True)) == [kept_hit.pk]
    assert list(ApiNonce.objects.values_list("pk", flat=True)) == [kept_nonce.pk]
    event = AuditEvent.objects.get(action="purge_expired_identity_records")
    assert (event.object_type, event.occurred_at, event.changes) == ("identity.housekeeping", now, deleted)


def test_the_worker_runs_the_seeded_jobs_when_due(org_tree) -> None:
    """The nightly audit verification records the verified head as its result."""
    at = datetime(2025, 3, 10, 2, 30, tzinfo=SHANGHAI)
    # The dispatch (it talks to gateways) and the run purge have tests of their own.
    PeriodicJob.objects.filter(name__in=["dispatch-notifications", "purge-finished-job-runs"]).update(
        enabled=False
    )
    # dunning (issue 6): its jobs have tests of their own (tests/integration/payments_dunning).
    PeriodicJob.objects.filter(name__in=["dunning-run", "supply-order-check"]).update(enabled=False)
    # late fees (issue 6): the accrual has its test in tests/integration/payments.
    PeriodicJob.objects.filter(name="accrue-late-fees").update(enabled=False)
    # prepaid (issue 6): its job has tests of its own (tests/integration/payments_prepaid).
    PeriodicJob.objects.filter(name="prepaid-estimate").update(enabled=False)
    queued = enqueue_due_periodic_jobs(now=at)
    assert sorted(run.task_path for run in queued) == [
        "gridcare.identity.tasks.purge_expired_identity_records_task",
        "gridcare.jobs.tasks.verify_audit_log",
    ]
    events_before = AuditEvent.objects.count()
    ran = [
        run_next_job(worker_id="w", clock=lambda: at, lease=LEASE, queues=frozenset({"default"}))
        for _ in queued
    ]
    assert [run.status for run in ran] == ["SUCCESSFUL", "SUCCESSFUL"]
    verify_position = [run.task_path for run in ran].index("gridcare.jobs.tasks.verify_audit_log")
    # The purge audits itself: the verification sees its event when it ran first.
    expected_head = AuditEvent.objects.get(sequence=events_before + verify_position)
    assert ran[verify_position].return_value == {
        "verified_through_sequence": expected_head.sequence,
        "head_hash": expected_head.hash,
    }
    purge = next(run for run in ran if run.task_path.endswith("purge_expired_identity_records_task"))
    assert purge.return_value == {"one_time_codes": 0, "rate_limit_hits": 0, "api_nonces": 0}


def test_a_job_naming_no_task_is_skipped_and_the_others_are_queued(hourly_job: PeriodicJob) -> None:
    PeriodicJob.objects.create(
        name="a-removed-task", task_path="job_samples.no_such_task", interval_seconds=60
    )
    queued = enqueue_due_periodic_jobs(now=datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI))
    assert [run.task_path for run in queued] == ["job_samples.add_numbers"]
    assert JobRun.objects.count() == 1
