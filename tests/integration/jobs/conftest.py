"""Fixtures of the job tests: the sample tasks module, and a movable clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

# The sample tasks must be importable by path (the worker imports them by name); pytest's
# importlib mode puts no test folder on sys.path, so this folder is added here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import job_samples


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(now: datetime) -> Clock:
    return Clock(now)


@pytest.fixture(autouse=True)
def sample_calls() -> Iterator[list[tuple[str, dict[str, object]]]]:
    job_samples.CALLS.clear()
    yield job_samples.CALLS
    job_samples.CALLS.clear()
