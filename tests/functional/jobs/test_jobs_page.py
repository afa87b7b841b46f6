"""The jobs page (/jobs/) and its progress fragment over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from gridcare.identity.models import User
from gridcare.jobs.models import JobRun, JobStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2025, 3, 10, 9, 30, tzinfo=SHANGHAI)


def _run(**fields: object) -> JobRun:
    defaults: dict[str, object] = {
        "task_path": "gridcare.jobs.tasks.verify_audit_log",
        "enqueued_at": AT,
        "run_after": AT,
        "max_attempts": 3,
    }
    return JobRun.objects.create(**{**defaults, **fields})


@pytest.fixture
def runs(db: None) -> dict[str, JobRun]:
    return {
        "running": _run(
            status=JobStatus.RUNNING,
            attempt=1,
            started_at=AT + timedelta(seconds=5),
            heartbeat_at=AT + timedelta(seconds=9),
            progress_done=3,
            progress_total=10,
            progress_message="第 3 批",
        ),
        "failed": _run(
            task_path="gridcare.identity.tasks.purge_expired_identity_records_task",
            enqueued_at=AT - timedelta(hours=1),
            status=JobStatus.FAILED,
            attempt=3,
            started_at=AT - timedelta(hours=1),
            finished_at=AT - timedelta(minutes=50),
            error_class="builtins.RuntimeError",
            error="Traceback ...\nRuntimeError: database is locked",
        ),
    }


def _client(log_in, user: User) -> Client:
    client = Client()
    log_in(client, user)
    return client


def test_the_jobs_page_lists_runs_with_status_timings_attempts_and_errors(
    staff: dict[str, User], runs: dict[str, JobRun], log_in
) -> None:
    response = _client(log_in, staff["administrator"]).get("/jobs/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    running, failed = runs["running"], runs["failed"]
    assert page.index(f'data-run="{running.pk}"') < page.index(f'data-run="{failed.pk}"')  # newest first
    assert f'hx-get="/jobs/{running.pk}/progress/"' in page
    assert f'hx-get="/jobs/{failed.pk}/progress/"' not in page  # finished runs are not polled
    assert '<progress value="3" max="10">30%</progress>' in page
    assert "第 3 批" in page
    assert "2025-03-10 09:30:05" in page  # started, Beijing time
    assert "2025-03-10 08:40:00" in page  # the failed run's finish
    assert "1 / 3" in page
    assert "3 / 3" in page
    assert "RuntimeError: database is locked" in page
    assert "<script" not in page.split("</head>", 1)[1]  # strict CSP: no inline scripts


def test_the_progress_fragment_keeps_polling_until_the_run_finishes(
    staff: dict[str, User], runs: dict[str, JobRun], log_in
) -> None:
    client = _client(log_in, staff["administrator"])
    running = runs["running"]
    fragment = client.get(f"/jobs/{running.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert fragment.startswith(
        f'<td class="job-progress" data-status="RUNNING" hx-get="/jobs/{running.pk}/progress/"'
    )
    assert 'hx-trigger="every 2s"' in fragment
    assert "3 / 10" in fragment  # zh-Hans, the default language: "%(done)s / %(total)s"

    JobRun.objects.filter(pk=running.pk).update(status=JobStatus.SUCCESSFUL, progress_done=10)
    fragment = client.get(f"/jobs/{running.pk}/progress/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert fragment.startswith('<td class="job-progress" data-status="SUCCESSFUL">')
    assert "hx-get" not in fragment
    assert "10 / 10" in fragment


def test_the_jobs_page_is_refused_without_the_permission(
    staff: dict[str, User], runs: dict[str, JobRun], log_in
) -> None:
    client = _client(log_in, staff["reader"])
    assert client.get("/jobs/").status_code == 403
    assert client.get(f"/jobs/{runs['running'].pk}/progress/").status_code == 403


def test_an_unknown_run_has_no_progress(staff: dict[str, User], log_in) -> None:
    client = _client(log_in, staff["administrator"])
    assert client.get("/jobs/00000000-0000-0000-0000-000000000000/progress/").status_code == 404
