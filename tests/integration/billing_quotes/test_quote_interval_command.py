"""``gridcare quote interval`` as wired into the quote command: a one-day load on a one-rate
URDB tariff, and a refused input's exit status."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

FLAT_RATE = {
    "label": "flat-0-10",
    "energyratestructure": [[{"rate": 0.1}]],
    "energyweekdayschedule": [[0] * 24] * 12,
    "energyweekendschedule": [[0] * 24] * 12,
}


def test_a_day_of_one_kilowatt_at_ten_cents_costs_two_dollars_forty(tmp_path: Path) -> None:
    tariff, load = tmp_path / "tariff.json", tmp_path / "load.csv"
    tariff.write_text(json.dumps(FLAT_RATE))
    load.write_text("1\n" * 24)
    out = io.StringIO()

    call_command(
        "quote",
        "interval",
        "--urdb",
        str(tariff),
        "--load",
        str(load),
        "--start",
        "2018-01-01T00:00",
        "--step-minutes",
        "60",
        stdout=out,
    )

    # 24 hours × 1 kW = 24 kWh; 24 × 0.1 = 2.40.
    assert json.loads(out.getvalue()) == {
        "months": [
            {
                "month": "2018-01",
                "energy": "2.40",
                "demand_flat": "0.00",
                "demand_tou": "0.00",
                "fixed": "0.00",
                "minimum": "0.00",
                "total": "2.40",
            }
        ],
        "total": "2.40",
    }


def test_a_refused_interval_input_exits_with_status_2(tmp_path: Path) -> None:
    tariff, load = tmp_path / "tariff.json", tmp_path / "load.csv"
    tariff.write_text(json.dumps(FLAT_RATE))
    load.write_text("1\n-2\n")
    with pytest.raises(CommandError) as raised:
        call_command(
            "quote",
            "interval",
            "--urdb",
            str(tariff),
            "--load",
            str(load),
            "--start",
            "2018-01-01T00:00",
            "--step-minutes",
            "60",
        )
    assert raised.value.returncode == 2
