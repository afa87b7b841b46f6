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


def quote_line(
    code: str, name: str, quantity: str, unit: str, unit_price: str, amount: str
) -> dict[str, str]:
    return {
        "code": code,
        "name": name,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "amount": amount,
    }


@pytest.fixture
def beijing_450_answer() -> dict[str, Any]:
    """240 × 0.4883 = 117.192 → 117.19; 160 × 0.5383 = 86.128 → 86.13; 50 × 0.7883 = 39.415 → 39.42
    (half up); total 242.74."""
    return {
        "lines": [
            quote_line("energy.tier1", "电度电费（第1档）", "240", "kWh", "0.4883", "117.19"),
            quote_line("energy.tier2", "电度电费（第2档）", "160", "kWh", "0.5383", "86.13"),
            quote_line("energy.tier3", "电度电费（第3档）", "50", "kWh", "0.7883", "39.42"),
        ],
        "total": "242.74",
    }
