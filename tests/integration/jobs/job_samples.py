"""Tasks the job tests run: each records its calls in :data:`CALLS` (reset per test)."""

from __future__ import annotations

from datetime import datetime

from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.operations import report_progress

#: (task name, kwargs) of every call, in order.
CALLS: list[tuple[str, dict[str, object]]] = []


@gridcare_task(max_attempts=3, backoff_seconds=30)
def add_numbers(*, first: int, second: int) -> int:
    CALLS.append(("add_numbers", {"first": first, "second": second}))
    return first + second


@gridcare_task(max_attempts=3, backoff_seconds=30)
def fail_twice(*, label: str) -> str:
    """Fails on its first two calls for ``label``, succeeds on the third."""
    CALLS.append(("fail_twice", {"label": label}))
    calls = sum(1 for name, kwargs in CALLS if name == "fail_twice" and kwargs["label"] == label)
    if calls <= 2:
        raise RuntimeError(f"gateway down (call {calls})")
    return f"{label} sent"


@gridcare_task(max_attempts=2, backoff_seconds=10)
def always_fail(*, label: str) -> None:
    CALLS.append(("always_fail", {"label": label}))
    raise ValueError(f"cannot process {label}")


@gridcare_task(max_attempts=1)
def count_to(*, total: int, reported_at: str) -> int:
    """Reports progress after each step."""
    for done in range(1, total + 1):
        report_progress(
            done=done, total=total, message=f"step {done}", now=datetime.fromisoformat(reported_at)
        )
    CALLS.append(("count_to", {"total": total}))
    return total


@gridcare_task(max_attempts=2, backoff_seconds=10, priority=5)
def urgent(*, label: str) -> str:
    CALLS.append(("urgent", {"label": label}))
    return label
