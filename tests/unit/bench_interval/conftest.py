"""A tiny synthetic URDB tariff and load for the benchmark plumbing tests (no PySAM, no ../shared)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def small_record() -> dict[str, Any]:
    """First 100 kWh of a month at 0.10 $/kWh, the rest at 0.20; 10 $/kW of the month's peak; 5 $/month."""
    return {
        "name": "bench plumbing",
        "energyratestructure": [[{"max": 100, "rate": 0.10, "unit": "kWh"}, {"rate": 0.20, "unit": "kWh"}]],
        "energyweekdayschedule": [[0] * 24 for _ in range(12)],
        "energyweekendschedule": [[0] * 24 for _ in range(12)],
        "flatdemandstructure": [[{"rate": 10}]],
        "flatdemandmonths": [0] * 12,
        "fixedchargefirstmeter": 5,
        "fixedchargeunits": "$/month",
    }
