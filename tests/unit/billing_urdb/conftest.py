"""Small hand-made URDB records and load builders for the interval-billing tests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

#: Monday 1 January 2018, the start of the shared 8760-hour loads.


def schedule(*, morning: int = 0, afternoon: int = 0) -> list[list[int]]:
    """12 × 24: period ``morning`` for hours 0–11 and ``afternoon`` for hours 12–23, every month."""
    return [[morning] * 12 + [afternoon] * 12 for _ in range(12)]


def hourly_series(*values: tuple[int, str], total_hours: int) -> list[Decimal]:
    """An hourly kW series of ``total_hours`` zeros, then each ``(hour, kW)`` set."""
    series = [Decimal(0)] * total_hours
    for hour, kw in values:
        series[hour] = Decimal(kw)
    return series


HourlySeries = Callable[..., list[Decimal]]


@pytest.fixture
def hourly() -> HourlySeries:
    """``hourly((hour, "kW"), …, total_hours=n)``: an hourly kW series, zero where not given."""
    return hourly_series


@pytest.fixture
def two_tier_record() -> dict[str, Any]:
    """One period: the first 100 kWh of the month at 0.10 + 0.005 adj, the rest at 0.20 $/kWh."""
    return {
        "name": "two tiers",
        "energyratestructure": [[{"max": 100, "rate": 0.10, "adj": 0.005, "unit": "kWh"}, {"rate": 0.20}]],
        "energyweekdayschedule": schedule(),
        "energyweekendschedule": schedule(),
    }


@pytest.fixture
def tou_tier_record() -> dict[str, Any]:
    """Mornings period 0 (0.10 / 0.20 $/kWh), afternoons period 1 (0.30 / 0.50); tier 1 = 100 kWh."""
    return {
        "energyratestructure": [
            [{"max": 100, "rate": 0.10}, {"rate": 0.20}],
            [{"max": 100, "rate": 0.30}, {"rate": 0.50}],
        ],
        "energyweekdayschedule": schedule(morning=0, afternoon=1),
        "energyweekendschedule": schedule(morning=0, afternoon=1),
    }


@pytest.fixture
def daily_tier_record() -> dict[str, Any]:
    """2 kWh per day of the month at 0.10 $/kWh, the rest at 0.20."""
    return {
        "energyratestructure": [
            [{"max": 2, "rate": 0.10, "unit": "kWh daily"}, {"rate": 0.20, "unit": "kWh daily"}]
        ],
        "energyweekdayschedule": schedule(),
        "energyweekendschedule": schedule(),
    }


@pytest.fixture
def per_kw_tier_record() -> dict[str, Any]:
    """100 kWh per kW of the month's peak at 0.10 $/kWh, the rest at 0.05."""
    return {
        "energyratestructure": [
            [{"max": 100, "rate": 0.10, "unit": "kWh/kW"}, {"rate": 0.05, "unit": "kWh/kW"}]
        ],
        "energyweekdayschedule": schedule(),
        "energyweekendschedule": schedule(),
    }


@pytest.fixture
def flat_demand_record() -> dict[str, Any]:
    """Flat demand: table 1 in January (50 kW at 12, the rest at 9 $/kW), table 0 otherwise (10 / 8)."""
    return {
        "flatdemandstructure": [
            [{"max": 50, "rate": 10}, {"rate": 8}],
            [{"max": 50, "rate": 12}, {"rate": 9}],
        ],
        "flatdemandmonths": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "flatdemandunit": "kW",
    }


@pytest.fixture
def tou_demand_record() -> dict[str, Any]:
    """TOU demand: weekday afternoons period 1 (20 kW at 10, the rest at 15 $/kW); else period 0 (5 $/kW)."""
    return {
        "demandratestructure": [[{"rate": 5}], [{"max": 20, "rate": 10}, {"rate": 15}]],
        "demandweekdayschedule": schedule(morning=0, afternoon=1),
        "demandweekendschedule": schedule(morning=0, afternoon=0),
        "demandunits": "kW",
    }


@pytest.fixture
def minimum_record() -> dict[str, Any]:
    """0.10 $/kWh, a fixed 0.135 $/day and a monthly minimum of 25 $."""
    return {
        "energyratestructure": [[{"rate": 0.10}]],
        "energyweekdayschedule": schedule(),
        "energyweekendschedule": schedule(),
        "fixedchargefirstmeter": 0.135,
        "fixedchargeunits": "$/day",
        "mincharge": 25,
        "minchargeunits": "$/month",
    }
