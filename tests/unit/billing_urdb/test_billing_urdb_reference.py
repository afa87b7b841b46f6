"""The scalar reference on hand-made tariffs; every expected bill is derived by hand in the comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from gridcare.billing.engine.interval_reference import IntervalLoadInvalid, MonthBill, bill_interval_reference
from gridcare.billing.engine.urdb import parse_urdb

D = Decimal
HourlySeries = Callable[..., list[Decimal]]
JANUARY_2018 = datetime(2018, 1, 1)  # a Monday
HOURS_JANUARY = 31 * 24
HOURS_FEBRUARY = 28 * 24


def month(name: str, **amounts: str) -> MonthBill:
    values = {
        key: D(amounts.get(key, "0.00"))
        for key in ("energy", "demand_flat", "demand_tou", "fixed", "minimum")
    }
    return MonthBill(month=name, total=sum(values.values(), D(0)), **values)


def bill(
    record: dict[str, Any], load: list[Decimal], *, start: datetime = JANUARY_2018, step: int = 60
) -> Any:
    return bill_interval_reference(tariff=parse_urdb(record), load_kw=load, start=start, step_minutes=step)


def test_two_tier_energy(two_tier_record: dict[str, Any]) -> None:
    # 10 h × 15 kW = 150 kWh: 100 × (0.10 + 0.005) = 10.50, 50 × 0.20 = 10.00 → 20.50.
    result = bill(two_tier_record, [D(15)] * 10)
    assert result.months == (month("2018-01", energy="20.50"),)
    assert result.total == D("20.50")


def test_quarter_hour_steps_count_a_quarter_of_the_kw(two_tier_record: dict[str, Any]) -> None:
    # 40 quarter-hours × 15 kW × 0.25 h = 150 kWh: the same 20.50 as 10 hours.
    assert bill(two_tier_record, [D(15)] * 40, step=15).total == D("20.50")


def test_tou_periods_share_every_tier_in_proportion(tou_tier_record: dict[str, Any]) -> None:
    # Monday 1 January: mornings 12 h × 5 kW = 60 kWh (period 0), afternoons 12 h × 10 kW = 120 kWh.
    # The month's 180 kWh: tier 1 = 100, tier 2 = 80.
    # Period 0 takes 60/180: (100 × 0.10 + 80 × 0.20) / 3 = 26 / 3.
    # Period 1 takes 120/180: (100 × 0.30 + 80 × 0.50) × 2 / 3 = 140 / 3.
    # 166 / 3 = 55.333… → 55.33.
    result = bill(tou_tier_record, [D(5)] * 12 + [D(10)] * 12)
    assert result.months == (month("2018-01", energy="55.33"),)


def test_daily_tiers_scale_with_the_days_of_the_month(daily_tier_record: dict[str, Any]) -> None:
    # January: tier 1 = 2 × 31 = 62 kWh. 10 h × 10 kW = 100 kWh: 62 × 0.10 + 38 × 0.20 = 6.20 + 7.60.
    assert bill(daily_tier_record, [D(10)] * 10).total == D("13.80")
    # February: tier 1 = 2 × 28 = 56 kWh: 56 × 0.10 + 44 × 0.20 = 5.60 + 8.80.
    assert bill(daily_tier_record, [D(10)] * 10, start=datetime(2018, 2, 1)).total == D("14.40")


def test_per_kw_tiers_scale_with_the_month_peak(per_kw_tier_record: dict[str, Any]) -> None:
    # Peak 10 kW: tier 1 = 100 × 10 = 1000 kWh. 150 h × 10 kW = 1500 kWh: 1000 × 0.10 + 500 × 0.05.
    assert bill(per_kw_tier_record, [D(10)] * 150).total == D("125.00")


def test_flat_demand_on_the_month_peak_through_the_month_table(
    flat_demand_record: dict[str, Any], hourly: HourlySeries
) -> None:
    # January uses table 1: peak 80 kW → 50 × 12 + 30 × 9 = 870. February, table 0: 50 × 10 + 30 × 8 = 740.
    load = hourly((0, "40"), (1, "80"), (HOURS_JANUARY, "80"), total_hours=HOURS_JANUARY + 1)
    result = bill(flat_demand_record, load)
    assert result.months == (month("2018-01", demand_flat="870.00"), month("2018-02", demand_flat="740.00"))
    assert result.total == D("1610.00")


def test_tou_demand_on_each_period_peak(tou_demand_record: dict[str, Any], hourly: HourlySeries) -> None:
    # Monday 03:00 30 kW; Saturday 6 January 13:00 40 kW (weekend: period 0): period 0 peak 40 → 40 × 5 = 200.
    # Monday 18:00 25 kW, a weekday afternoon (period 1): 20 × 10 + 5 × 15 = 275. Together 475.
    load = hourly((3, "30"), (18, "25"), (5 * 24 + 13, "40"), total_hours=6 * 24)
    assert bill(tou_demand_record, load).months == (month("2018-01", demand_tou="475.00"),)


def test_fixed_per_day_and_monthly_minimum(minimum_record: dict[str, Any], hourly: HourlySeries) -> None:
    # January: fixed 0.135 × 31 = 4.185 → 4.19 (half up); energy 10 h × 10 kW × 0.10 = 10.00;
    # 14.19 < 25 → minimum 10.81, total 25.00.
    # February: fixed 0.135 × 28 = 3.78; energy 10 h × 30 kW × 0.10 = 30.00; 33.78 ≥ 25 → no minimum.
    load = hourly(
        *[(hour, "10") for hour in range(10)],
        *[(HOURS_JANUARY + hour, "30") for hour in range(10)],
        total_hours=HOURS_JANUARY + HOURS_FEBRUARY,
    )
    result = bill(minimum_record, load)
    assert result.months == (
        month("2018-01", energy="10.00", fixed="4.19", minimum="10.81"),
        month("2018-02", energy="30.00", fixed="3.78"),
    )
    assert result.total == D("58.78")


def test_annual_minimum_tops_up_the_twelfth_month(hourly: HourlySeries) -> None:
    # 100 kWh in January at 0.10 = 10.00 for the year; the annual minimum 500 adds 490 in December.
    record = {"energyratestructure": [[{"rate": 0.10}]], "annualmincharge": 500}
    record |= {"energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12}
    result = bill(record, hourly(*[(hour, "10") for hour in range(10)], total_hours=8760))
    assert result.months[0] == month("2018-01", energy="10.00")
    assert result.months[11] == month("2018-12", minimum="490.00")
    assert [m.total for m in result.months[1:11]] == [D("0.00")] * 10
    assert result.total == D("500.00")


def test_periods_with_their_own_tier_limits() -> None:
    # Period 0 (mornings): up to 50 kWh at 0.10, then 0.30. Period 1 (afternoons): one tier at 0.20.
    # Monday 1 January: mornings 12 h × 5 kW = 60 kWh, afternoons 12 h × 5 kW = 60 kWh; E = 120 kWh.
    # Period 0 takes 60/120 of (50 × 0.10 + 70 × 0.30 = 26.00) = 13.00;
    # period 1 takes 60/120 of 120 × 0.20 = 24.00 → 12.00. Energy 25.00.
    record = {"energyratestructure": [[{"max": 50, "rate": 0.10}, {"rate": 0.30}], [{"rate": 0.20}]]}
    record |= {"energyweekdayschedule": [[0] * 12 + [1] * 12] * 12, "energyweekendschedule": [[0] * 24] * 12}
    assert bill(record, [D(5)] * 24).total == D("25.00")


def test_annual_minimum_needs_whole_years() -> None:
    record = {"annualmincharge": 500}
    with pytest.raises(IntervalLoadInvalid, match="whole years of load, not 1 months"):
        bill(record, [D(1)] * 24)


def test_negative_load_is_refused(two_tier_record: dict[str, Any]) -> None:
    with pytest.raises(IntervalLoadInvalid, match="value 2 is negative"):
        bill(two_tier_record, [D(1), D(-1)])


@pytest.mark.parametrize("step", [0, 7, 90])
def test_steps_must_divide_the_hour(two_tier_record: dict[str, Any], step: int) -> None:
    with pytest.raises(IntervalLoadInvalid, match=f"a step of {step} minutes must divide 60"):
        bill(two_tier_record, [D(1)], step=step)


def test_a_month_without_energy_costs_nothing(two_tier_record: dict[str, Any]) -> None:
    assert bill(two_tier_record, [D(0)] * 24).months == (month("2018-01"),)


def test_energy_rounds_half_up_to_the_cent() -> None:
    # 1 kWh × 0.005 $/kWh = 0.005 → 0.01 (half up, not to even).
    record = {"energyratestructure": [[{"rate": "0.005"}]]}
    record |= {"energyweekdayschedule": [[0] * 24] * 12, "energyweekendschedule": [[0] * 24] * 12}
    assert bill(record, [D(1)]).total == D("0.01")
