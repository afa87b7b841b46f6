"""Killing the worker (SIGKILL) while it sends a batch, then starting it again, sends no message
twice and loses none: real ``gridcare worker`` processes, a database file they share, and the
SMSC simulator counting what reached it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator

pytestmark = pytest.mark.slow

REPOSITORY = Path(__file__).resolve().parents[3]
SCENARIO = Path(__file__).with_name("worker_kill_scenario.py")
CUSTOMERS = 300


def wait_for(condition: Callable[[], object], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {seconds} s waiting for {what}.")
        time.sleep(0.02)


@pytest.fixture
def worker_environment(
    tmp_path: Path, smsc_factory: Callable[[FailureRules], SmscSimulator]
) -> tuple[dict[str, str], SmscSimulator]:
    """The environment of the worker processes: their own SQLite file, the simulator as SMSC,
    SMS only, and short claim and lease timeouts so a killed worker's work is taken over fast."""
    simulator = smsc_factory(FailureRules())
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY / "src"),
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "GRIDCARE_SMPP_HOST": "127.0.0.1",
        "GRIDCARE_SMPP_PORT": str(simulator.port),
        "GRIDCARE_DISPATCH_CHANNELS": "sms",
        "GRIDCARE_NOTIFICATION_CLAIM_TIMEOUT_SECONDS": "2",
        "GRIDCARE_JOB_LEASE_SECONDS": "2",
        "GRIDCARE_RECEIPT_WAIT_SECONDS": "2",
    }
    subprocess.run(
        [sys.executable, "-m", "gridcare", "migrate", "--no-input"],
        env=environment,
        check=True,
        capture_output=True,
    )
    subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCENARIO), "prepare", str(CUSTOMERS)], env=environment, check=True
    )
    return environment, simulator


def start_worker(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gridcare", "worker", "--interval", "0.2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def report(environment: dict[str, str]) -> dict[str, dict[str, int]]:
    finished = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(SCENARIO), "report"], env=environment, check=True, capture_output=True
    )
    return dict(json.loads(finished.stdout))


def test_a_worker_killed_mid_batch_sends_no_message_twice_and_loses_none(worker_environment: Any) -> None:
    environment, simulator = worker_environment
    first = start_worker(environment)
    try:
        wait_for(lambda: len(simulator.received_messages()) >= CUSTOMERS // 4, seconds=90, what="sending")
    finally:
        first.kill()
        first.wait(timeout=10)
    sent_before_the_kill = len(simulator.received_messages())
    assert sent_before_the_kill < CUSTOMERS

    second = start_worker(environment)
    try:
        wait_for(
            lambda: report(environment)["states"] == {"delivered": CUSTOMERS},
            seconds=60,
            what="every message delivered",
        )
    finally:
        second.terminate()
        second.wait(timeout=30)

    received = Counter(message.destination for message in simulator.received_messages())
    assert received == Counter({f"1390000{number:04d}": 1 for number in range(CUSTOMERS)})
    after = report(environment)
    # The killed worker's dispatch run was taken over after its lease, not run from scratch.
    assert after["job_attempts"]["abandoned"] == 1
    assert sum(after["attempts"].values()) == CUSTOMERS
