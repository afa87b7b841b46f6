"""The scalar Decimal reference: one load series billed month by month on a URDB tariff.

The semantics are NREL SAM's (Utilityrate5) as docs/urdb.md states them; this module is written
for reading, interval by interval, and the vectorized engine must agree with it to the cent.
Every amount is exact until each month's components are rounded half up to the cent.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Context, Decimal, localcontext

from gridcare.billing.engine.urdb import EnergyPeriod, Tier, UrdbTariff
from gridcare.kit.errors import GridCareError
from gridcare.kit.money import round_to_fen

#: Loads are exact to 1e-6 kW (the quote reader rounds finer digits half up).
LOAD_DECIMALS = 6
_ZERO = Decimal(0)
# Enough digits that sums and products of loads, limits and rates never round.
_EXACT = Context(prec=120)


class IntervalLoadInvalid(GridCareError):
    """A load series or its calendar that the interval engines cannot bill."""

    code = "interval_load_invalid"
    message_zh = "负荷曲线无效：{reason_zh}"
    message_en = "Invalid load series: {reason_en}"


@dataclass(frozen=True)
class MonthBill:
    """One calendar month's charges, each rounded to the cent; ``total`` is their sum."""

    month: str
    energy: Decimal
    demand_flat: Decimal
    demand_tou: Decimal
    fixed: Decimal
    minimum: Decimal
    total: Decimal


@dataclass(frozen=True)
class IntervalBill:
    """The months billed, in order, and their sum."""

    months: tuple[MonthBill, ...]
    total: Decimal


def check_interval_inputs(
    *, step_minutes: int, interval_count: int, has_annual_minimum: bool, start: datetime
) -> None:
    """Refuse a calendar the engines cannot bill: steps that do not divide the hour, an empty
    series, or an annual minimum over a series that is not whole years of months."""
    if step_minutes < 1 or 60 % step_minutes:
        raise IntervalLoadInvalid(
            field="step_minutes",
            reason_zh=f"步长 {step_minutes} 分钟须整除 60",
            reason_en=f"a step of {step_minutes} minutes must divide 60",
        )
    if interval_count == 0:
        raise IntervalLoadInvalid(field="load", reason_zh="没有负荷数据", reason_en="it has no values")
    if has_annual_minimum:
        month_count = len(
            series_months(start=start, step_minutes=step_minutes, interval_count=interval_count)
        )
        if month_count % 12:
            raise IntervalLoadInvalid(
                field="load",
                reason_zh=f"费率有年度最低电费，负荷须覆盖整年（现为 {month_count} 个月）",
                reason_en=f"an annual minimum needs whole years of load, not {month_count} months",
            )


def series_months(*, start: datetime, step_minutes: int, interval_count: int) -> list[tuple[int, int]]:
    """The (year, month) of every calendar month the series touches, in order."""
    end = start + timedelta(minutes=step_minutes * (interval_count - 1))
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def tiered_charge(*, quantity: Decimal, tiers: Sequence[Tier], limit_scale: Decimal = Decimal(1)) -> Decimal:
    """``quantity`` through cumulative tiers whose limits are × ``limit_scale``; the last tier is open."""
    charge = _ZERO
    floor = _ZERO
    for index, tier in enumerate(tiers):
        if index == len(tiers) - 1 or tier.limit is None:
            return charge + max(_ZERO, quantity - floor) * tier.rate
        ceiling = tier.limit * limit_scale
        charge += max(_ZERO, min(quantity, ceiling) - floor) * tier.rate
        floor = ceiling
    return charge


def _period_energy_charge(
    period: EnergyPeriod, *, month_kw_minutes: Decimal, days: int, peak_kw: Decimal
) -> Decimal:
    """The month's whole energy (kW·min) through ``period``'s tiers, in $ × 60 (kW·min × $/kWh)."""
    per_limit = {"kWh": Decimal(60), "kWh daily": Decimal(60 * days), "kWh/kW": 60 * peak_kw}[period.unit]
    return tiered_charge(quantity=month_kw_minutes, tiers=period.tiers, limit_scale=per_limit)


def bill_interval_reference(
    *, tariff: UrdbTariff, load_kw: Sequence[Decimal], start: datetime, step_minutes: int
) -> IntervalBill:
    """``load_kw`` (average kW per step from ``start``) billed month by month on ``tariff``."""
    check_interval_inputs(
        step_minutes=step_minutes,
        interval_count=len(load_kw),
        has_annual_minimum=bool(tariff.annual_minimum),
        start=start,
    )
    months = series_months(start=start, step_minutes=step_minutes, interval_count=len(load_kw))
    energy_kw_minutes: dict[tuple[int, int], dict[int, Decimal]] = {month: {} for month in months}
    peaks: dict[tuple[int, int], Decimal] = dict.fromkeys(months, _ZERO)
    demand_peaks: dict[tuple[int, int], dict[int, Decimal]] = {month: {} for month in months}
    with localcontext(_EXACT):
        for index, kw in enumerate(load_kw):
            if kw < 0:
                raise IntervalLoadInvalid(
                    field="load",
                    reason_zh=f"第 {index + 1} 个值为负（不支持上网电量）",
                    reason_en=f"value {index + 1} is negative (exports are not billed)",
                )
            moment = start + timedelta(minutes=step_minutes * index)
            key = (moment.year, moment.month)
            weekend = moment.weekday() >= 5
            if tariff.energy_periods:
                schedule = tariff.energy_weekend if weekend else tariff.energy_weekday
                period = schedule[moment.month - 1][moment.hour]
                energy_kw_minutes[key][period] = energy_kw_minutes[key].get(period, _ZERO) + kw * step_minutes
            peaks[key] = max(peaks[key], kw)
            if tariff.demand_periods:
                schedule = tariff.demand_weekend if weekend else tariff.demand_weekday
                period = schedule[moment.month - 1][moment.hour]
                demand_peaks[key][period] = max(demand_peaks[key].get(period, _ZERO), kw)

        bills = [
            _month_bill(
                tariff=tariff,
                year=year,
                month=month,
                energy_kw_minutes=energy_kw_minutes[(year, month)],
                peak_kw=peaks[(year, month)],
                demand_peaks=demand_peaks[(year, month)],
            )
            for year, month in months
        ]
    bills = _apply_annual_minimum(bills, tariff.annual_minimum)
    return IntervalBill(months=tuple(bills), total=sum((bill.total for bill in bills), _ZERO))


def _month_bill(
    *,
    tariff: UrdbTariff,
    year: int,
    month: int,
    energy_kw_minutes: dict[int, Decimal],
    peak_kw: Decimal,
    demand_peaks: dict[int, Decimal],
) -> MonthBill:
    days = calendar.monthrange(year, month)[1]
    month_kw_minutes = sum(energy_kw_minutes.values(), _ZERO)
    energy = _ZERO
    if month_kw_minutes:
        # SAM's rule: tiers apply to the month's total; each period takes its share of every tier.
        weighted = sum(
            (
                period_kw_minutes
                * _period_energy_charge(
                    tariff.energy_periods[period],
                    month_kw_minutes=month_kw_minutes,
                    days=days,
                    peak_kw=peak_kw,
                )
                for period, period_kw_minutes in energy_kw_minutes.items()
            ),
            _ZERO,
        )
        energy = weighted / (month_kw_minutes * 60)
    demand_flat = _ZERO
    if tariff.flat_demand_tables:
        demand_flat = tiered_charge(
            quantity=peak_kw, tiers=tariff.flat_demand_tables[tariff.flat_demand_months[month - 1]]
        )
    demand_tou = sum(
        (
            tiered_charge(quantity=peak, tiers=tariff.demand_periods[period])
            for period, peak in demand_peaks.items()
        ),
        _ZERO,
    )
    fixed = round_to_fen(tariff.fixed_charge * days if tariff.fixed_charge_per_day else tariff.fixed_charge)
    charges = round_to_fen(energy) + round_to_fen(demand_flat) + round_to_fen(demand_tou) + fixed
    monthly_minimum = round_to_fen(
        tariff.monthly_minimum * days if tariff.monthly_minimum_per_day else tariff.monthly_minimum
    )
    minimum = max(_ZERO, monthly_minimum - charges)
    return MonthBill(
        month=f"{year:04d}-{month:02d}",
        energy=round_to_fen(energy),
        demand_flat=round_to_fen(demand_flat),
        demand_tou=round_to_fen(demand_tou),
        fixed=fixed,
        minimum=round_to_fen(minimum),
        total=round_to_fen(charges + minimum),
    )


def _apply_annual_minimum(bills: list[MonthBill], annual_minimum: Decimal) -> list[MonthBill]:
    """Top each 12-month year up to ``annual_minimum``, on the year's last month."""
    if not annual_minimum:
        return bills
    minimum = round_to_fen(annual_minimum)
    topped = list(bills)
    for last in range(11, len(bills), 12):
        shortfall = minimum - sum((bill.total for bill in bills[last - 11 : last + 1]), _ZERO)
        if shortfall > 0:
            bill = bills[last]
            topped[last] = MonthBill(
                month=bill.month,
                energy=bill.energy,
                demand_flat=bill.demand_flat,
                demand_tou=bill.demand_tou,
                fixed=bill.fixed,
                minimum=bill.minimum + shortfall,
                total=bill.total + shortfall,
            )
    return topped
