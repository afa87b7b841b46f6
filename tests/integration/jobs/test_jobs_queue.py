"""The job queue on a real database: enqueuing on commit, idempotency, retries with backoff,
the worker loop, progress and takeover of runs whose worker died."""

from __future__ import annotations

from datetime import datetime, timedelta

import job_samples
import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks import task
from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist

from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.errors import TaskArgumentsRefused, TaskDefinitionRefused
from gridcare.jobs.models import JobAttempt, JobRun, JobStatus
from gridcare.jobs.operations import (
    claim_next_run,
    enqueue,
    enqueue_on_commit,
    execute_run,
    purge_finished_runs,
    run_next_job,
)

LEASE = timedelta(minutes=15)
QUEUES = frozenset({"default"})

pytestmark = pytest.mark.django_db


def _run_all(clock, *, worker_id: str = "worker-1") -> list[JobRun]:
    """Run due jobs until none is due (bounded, no sleeping)."""
    runs = []
    for _ in range(50):
        run = run_next_job(worker_id=worker_id, clock=clock, lease=LEASE, queues=QUEUES)
        if run is None:
            return runs
        runs.append(run)
    raise AssertionError("more than 50 runs")


def _outcomes(run: JobRun) -> list[tuple[int, str, str]]:
    return [(a.number, a.outcome, a.worker_id) for a in JobAttempt.objects.filter(run=run).order_by("number")]


def test_enqueue_on_commit_queues_the_run_when_the_transaction_commits(
    now: datetime, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_on_commit(job_samples.add_numbers, now=now, first=2, second=3)
        assert JobRun.objects.count() == 0
    assert len(callbacks) == 1
    run = JobRun.objects.get()
    assert (run.task_path, run.kwargs, run.status) == (
        "job_samples.add_numbers",
        {"first": 2, "second": 3},
        "READY",
    )
    assert (run.enqueued_at, run.run_after, run.attempt, run.max_attempts) == (now, now, 0, 3)


def test_enqueue_on_commit_queues_nothing_when_the_transaction_rolls_back(
    now: datetime, django_capture_on_commit_callbacks
) -> None:
    def failing_operation() -> None:
        with transaction.atomic():
            enqueue_on_commit(job_samples.add_numbers, now=now, first=2, second=3)
            raise RuntimeError("the operation failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        failing_operation()
    assert callbacks == []
    assert JobRun.objects.count() == 0


def test_the_same_idempotency_key_queues_one_run(now: datetime) -> None:
    first = enqueue(job_samples.add_numbers, now=now, idempotency_key="bill-run:42", first=1, second=1)
    again = enqueue(job_samples.add_numbers, now=now, idempotency_key="bill-run:42", first=1, second=1)
    other = enqueue(job_samples.add_numbers, now=now, idempotency_key="bill-run:43", first=1, second=1)
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert JobRun.objects.count() == 2


def test_an_idempotent_run_runs_once(now: datetime, clock, sample_calls) -> None:
    for _ in range(3):
        enqueue(job_samples.add_numbers, now=now, idempotency_key="once", first=4, second=5)
    runs = _run_all(clock)
    assert [(run.status, run.return_value) for run in runs] == [("SUCCESSFUL", 9)]
    assert sample_calls == [("add_numbers", {"first": 4, "second": 5})]


def test_positional_and_non_json_arguments_are_refused(now: datetime) -> None:
    with pytest.raises(TaskArgumentsRefused):
        job_samples.add_numbers.enqueue(1, 2)
    with pytest.raises(TaskArgumentsRefused):
        enqueue(job_samples.add_numbers, now=now, first=now, second=1)
    with pytest.raises(TaskArgumentsRefused), transaction.atomic():
        enqueue_on_commit(job_samples.add_numbers, now=now, first={1, 2}, second=1)
    assert JobRun.objects.count() == 0


def test_a_task_with_positional_parameters_cannot_be_defined() -> None:
    def positional(first: int) -> int:
        return first

    with pytest.raises(TaskDefinitionRefused):
        gridcare_task()(positional)


def test_django_tasks_enqueue_and_get_result_go_through_the_database() -> None:
    result = job_samples.add_numbers.enqueue(first=20, second=22)
    assert str(JobRun.objects.get().pk) == result.id
    execute_run(
        run=claim_next_run(worker_id="w", now=result.enqueued_at, lease=LEASE, queues=QUEUES),
        clock=lambda: result.enqueued_at,
    )
    result.refresh()
    assert (result.status, result.return_value, result.worker_ids) == ("SUCCESSFUL", 42, ["w"])


def test_a_failing_run_is_retried_with_exponential_backoff_then_succeeds(now: datetime, clock) -> None:
    run = enqueue(job_samples.fail_twice, now=now, label="bill-7")

    assert _run_all(clock) == [run]
    run.refresh_from_db()
    assert (run.status, run.attempt, run.run_after) == ("READY", 1, now + timedelta(seconds=30))
    assert run.error_class == "builtins.RuntimeError"
    assert "gateway down (call 1)" in run.error

    clock.advance(seconds=29)
    assert _run_all(clock) == []
    clock.advance(seconds=1)
    assert _run_all(clock) == [run]
    run.refresh_from_db()
    assert (run.status, run.attempt, run.run_after) == ("READY", 2, now + timedelta(seconds=30 + 60))

    clock.advance(seconds=60)
    assert _run_all(clock) == [run]
    run.refresh_from_db()
    assert (run.status, run.attempt, run.return_value) == ("SUCCESSFUL", 3, "bill-7 sent")
    assert (run.started_at, run.finished_at, run.error, run.error_class) == (now, clock.now, "", "")
    assert [(number, outcome) for number, outcome, _ in _outcomes(run)] == [
        (1, "failed"),
        (2, "failed"),
        (3, "succeeded"),
    ]


def test_a_run_fails_after_its_last_attempt_with_the_error_recorded(
    now: datetime, clock, sample_calls
) -> None:
    run = enqueue(job_samples.always_fail, now=now, label="letter-3")
    _run_all(clock)
    clock.advance(seconds=10)
    _run_all(clock)
    clock.advance(hours=1)
    assert _run_all(clock) == []

    run.refresh_from_db()
    assert (run.status, run.attempt, run.max_attempts) == (JobStatus.FAILED, 2, 2)
    assert run.finished_at == now + timedelta(seconds=10)
    assert run.error_class == "builtins.ValueError"
    assert run.error.strip().endswith("ValueError: cannot process letter-3")
    assert len(sample_calls) == 2
    attempts = JobAttempt.objects.filter(run=run).order_by("number")
    assert [(a.number, a.outcome, a.started_at, a.finished_at) for a in attempts] == [
        (1, "failed", now, now),
        (2, "failed", now + timedelta(seconds=10), now + timedelta(seconds=10)),
    ]


def test_the_worker_runs_due_jobs_by_priority_then_age_and_leaves_deferred_ones(now: datetime, clock) -> None:
    first = enqueue(job_samples.add_numbers, now=now - timedelta(minutes=2), first=1, second=2)
    second = enqueue(job_samples.add_numbers, now=now - timedelta(minutes=1), first=3, second=4)
    pressing = enqueue(job_samples.urgent, now=now, label="outage")
    later = enqueue(
        job_samples.add_numbers.using(run_after=now + timedelta(hours=1)), now=now, first=0, second=0
    )

    runs = _run_all(clock)

    assert [run.pk for run in runs] == [pressing.pk, first.pk, second.pk]
    assert [run.return_value for run in runs] == ["outage", 3, 7]
    later.refresh_from_db()
    assert (later.status, later.attempt) == ("READY", 0)


def test_the_worker_command_processes_the_queue(now: datetime, sample_calls) -> None:
    enqueue(job_samples.add_numbers, now=now, first=1, second=1)
    enqueue(job_samples.add_numbers, now=now, first=2, second=2)

    call_command("worker", "--burst", "--no-scheduler", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert sorted(JobRun.objects.values_list("status", "return_value")) == [
        ("SUCCESSFUL", 2),
        ("SUCCESSFUL", 4),
    ]
    assert len(sample_calls) == 2


def test_a_long_job_reports_progress(now: datetime, clock) -> None:
    run = enqueue(
        job_samples.count_to, now=now, total=4, reported_at=(now + timedelta(seconds=5)).isoformat()
    )
    _run_all(clock)
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total, run.progress_message, run.progress_percent) == (
        4,
        4,
        "step 4",
        100,
    )
    assert run.heartbeat_at == now + timedelta(seconds=5)


def test_progress_outside_a_worker_changes_nothing(now: datetime) -> None:
    run = enqueue(job_samples.count_to, now=now, total=3, reported_at=now.isoformat())
    assert job_samples.count_to.call(total=3, reported_at=now.isoformat()) == 3
    run.refresh_from_db()
    assert (run.progress_done, run.progress_total, run.heartbeat_at) == (0, None, None)


def test_a_run_whose_worker_died_is_taken_over_after_its_lease(now: datetime, clock, sample_calls) -> None:
    """django-tasks itself leaves crash recovery to the backend; here a claimed run carries a
    heartbeat, and a run whose heartbeat is older than the lease is claimed again."""
    run = enqueue(job_samples.add_numbers, now=now, first=5, second=6)
    claimed = claim_next_run(worker_id="worker-dead", now=now, lease=LEASE, queues=QUEUES)
    assert claimed == run  # ...and the worker dies before running it

    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert _run_all(clock, worker_id="worker-2") == []
    clock.advance(seconds=2)
    assert _run_all(clock, worker_id="worker-2") == [run]

    run.refresh_from_db()
    assert (run.status, run.attempt, run.return_value, run.worker_id) == ("SUCCESSFUL", 2, 11, "worker-2")
    assert [(number, outcome, worker) for number, outcome, worker in _outcomes(run)] == [
        (1, "abandoned", "worker-dead"),
        (2, "succeeded", "worker-2"),
    ]
    assert sample_calls == [("add_numbers", {"first": 5, "second": 6})]


def test_a_run_whose_worker_died_on_its_last_attempt_fails(now: datetime, clock) -> None:
    run = enqueue(job_samples.count_to, now=now, total=1, reported_at=now.isoformat())
    claim_next_run(worker_id="worker-dead", now=now, lease=LEASE, queues=QUEUES)
    clock.advance(minutes=16)

    assert _run_all(clock, worker_id="worker-2") == []

    run.refresh_from_db()
    assert (run.status, run.attempt, run.error_class) == ("FAILED", 1, "gridcare.jobs.errors.WorkerStopped")
    assert run.finished_at == clock.now
    assert _outcomes(run) == [(1, "abandoned", "worker-dead")]


def test_a_running_job_keeps_its_claim_while_its_heartbeat_is_fresh(now: datetime, clock) -> None:
    enqueue(job_samples.add_numbers, now=now, first=1, second=1)
    claim_next_run(worker_id="worker-1", now=now, lease=LEASE, queues=QUEUES)
    JobRun.objects.update(heartbeat_at=now + timedelta(minutes=10))  # what report_progress does
    clock.advance(minutes=20)
    assert claim_next_run(worker_id="worker-2", now=clock.now, lease=LEASE, queues=QUEUES) is None


def test_an_unknown_result_id_is_reported_as_missing() -> None:
    with pytest.raises(TaskResultDoesNotExist):
        job_samples.add_numbers.get_result("not-a-uuid")
    with pytest.raises(TaskResultDoesNotExist):
        job_samples.add_numbers.get_result("00000000-0000-0000-0000-000000000000")


def _with_context(context: object, *, label: str) -> str:
    return label


def test_a_task_taking_context_cannot_be_defined() -> None:
    with pytest.raises(InvalidTaskError, match="GridCare tasks take no context"):
        task(takes_context=True)(_with_context)


def test_finished_runs_older_than_the_cutoff_are_purged_with_their_attempts(now: datetime, clock) -> None:
    def run(*, status: str, finished_days_ago: int | None, first: int) -> JobRun:
        queued = enqueue(job_samples.add_numbers, now=now - timedelta(days=40), first=first, second=0)
        finished_at = None if finished_days_ago is None else now - timedelta(days=finished_days_ago)
        JobRun.objects.filter(pk=queued.pk).update(status=status, finished_at=finished_at)
        JobAttempt.objects.create(run=queued, number=1, worker_id="w", started_at=now - timedelta(days=40))
        return queued

    old_success = run(status=JobStatus.SUCCESSFUL, finished_days_ago=31, first=1)
    old_failure = run(status=JobStatus.FAILED, finished_days_ago=45, first=2)
    recent = run(status=JobStatus.SUCCESSFUL, finished_days_ago=29, first=3)
    waiting = run(status=JobStatus.READY, finished_days_ago=None, first=4)
    running = run(status=JobStatus.RUNNING, finished_days_ago=None, first=5)

    deleted = purge_finished_runs(finished_before=now - timedelta(days=30))

    assert deleted == 2
    assert set(JobRun.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk, running.pk}
    assert not JobAttempt.objects.filter(run_id__in=[old_success.pk, old_failure.pk]).exists()
    assert JobAttempt.objects.count() == 3
