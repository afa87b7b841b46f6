"""``gridcare tariff`` as an operator runs it: a fresh database has the reference tariffs, and
refused input exits with status 2 and a message in both languages."""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - runs this interpreter with fixed arguments
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def gridcare(tmp_path: Path):
    """``run(*arguments)`` → the finished ``gridcare`` process, on a freshly migrated SQLite
    database of its own in tmp_path."""
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        "GRIDCARE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "PYTHONPATH": str(PROJECT_DIR / "src"),
    }

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "gridcare", *arguments],
            env=environment,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert run("migrate", "--no-input").returncode == 0
    return run


def test_a_fresh_database_has_the_reference_tariffs_and_refuses_bad_input(gridcare, tmp_path: Path) -> None:
    listing = gridcare("tariff", "list")
    shown = gridcare("tariff", "show", "DEMO-GD-LI-2P", "--on", "2025-07-01")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"code": "TEST-BAD", "name_zh": "坏", "name_en": "Bad"}), encoding="utf-8")
    refused = gridcare("tariff", "load", str(bad), "--valid-from", "2025-01-01")
    after = gridcare("tariff", "list")

    assert listing.returncode == 0
    assert [line.split()[0] for line in listing.stdout.splitlines() if not line.startswith(" ")] == [
        "CN-BJ-RES-2012",
        "CN-SH-RES-TOU",
        "CN-ZJ-RES-TIER",
        "CN-ZJ-RES-TOU",
        "DEMO-AGR-FLAT",
        "DEMO-GC-FLAT",
        "DEMO-GD-LI-2P",
    ]
    assert shown.returncode == 0
    assert json.loads(shown.stdout)["basic_charge"] == {"demand_price": "32.00", "capacity_price": "22.00"}
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "CommandError: 电价文档无效：energy: Field required / "
        "The tariff document is invalid: energy: Field required"
    )
    assert after.stdout == listing.stdout
