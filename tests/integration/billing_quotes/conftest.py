"""Fixtures of the quote tests: request payloads whose bills are derived by hand in the tests."""

from __future__ import annotations

from typing import Any

import pytest

#: Beijing, 450 kWh in January 2025 (tiers 240 + 160 + 50; total 242.74).
BEIJING_450 = {
    "tariff": "CN-BJ-RES-2012",
    "period_start": "2025-01-01",
    "period_end": "2025-02-01",
    "energy_kwh": {"total": 450},
}


@pytest.fixture
def beijing_450() -> dict[str, Any]:
    return dict(BEIJING_450)
