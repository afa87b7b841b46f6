"""The vectorized interval engine: N load series (one column per customer) billed in one Polars pass.

Same semantics and the same cents as :mod:`interval_reference`, in exact integer arithmetic:
loads are int64 µkW (1e-6 kW), energy is counted in µkW·min, every tariff number is scaled to
an integer, and each month's component is one exact fraction rounded half up to the cent in
Int128. The integer scales are chosen per tariff so that ordinary tariffs leave a wide margin;
a load too large for Int128 is refused, never wrapped.

The calendar is the same for every customer, so it is worked out once: each step's month and
periods, and the runs of consecutive steps that share them (a few per day). The load matrix is
then reduced run by run over contiguous rows (sums and maxima, one sorted group-by each), and
everything after works on those few rows per customer. The result is a frame of integer fen
(:func:`bill_interval_frame`); Decimal bills are made from it only for callers that need them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

import polars as pl
import polars.selectors as cs

from gridcare.billing.engine.interval_reference import (
    IntervalBill,
    IntervalLoadInvalid,
    MonthBill,
    check_interval_inputs,
    series_months,
)
from gridcare.billing.engine.urdb import EnergyPeriod, Schedule, Tier, UrdbTariff
from gridcare.kit.money import from_minor_units, round_to_fen, to_minor_units

MICRO_KW_PER_KW = 10**6
#: The amounts of each month of a bill frame, in fen; ``total`` is the sum of the others.
AMOUNT_COLUMNS = ("energy", "demand_flat", "demand_tou", "fixed", "minimum", "total")
#: A bill frame's schema: one row per customer and month, customers in the loads' column order.
BILL_FRAME_SCHEMA = pl.Schema(
    {"customer": pl.String, "month": pl.String, **dict.fromkeys(AMOUNT_COLUMNS, pl.Int64)}
)
_MONTH = "_urdb_month"
_ENERGY_PERIOD = "_urdb_energy_period"
_DEMAND_PERIOD = "_urdb_demand_period"
_CUSTOMER = "_urdb_customer"
_RUN = "_urdb_run"
_RESERVED = (_MONTH, _ENERGY_PERIOD, _DEMAND_PERIOD, _CUSTOMER, _RUN)
_I128 = pl.Int128
# 1 kWh = 6e7 µkW·min; 100 cents per $: energy cents = µkW·min × $/kWh ÷ 6e5.
_CENTS_PER_KWH_UNIT = 6 * 10**5
# Refuse magnitudes that could come near Int128's 1.7e38 in any product below.
_INT128_HEADROOM = 2**120
# A few rows per customer and month: measured faster in memory than through the streaming engine.
_SMALL_QUERY_ENGINE: Final = "in-memory"
# Runs of consecutive steps shorter than this on average are gathered by calendar key first.
_SHORTEST_AVERAGE_RUN = 64
# An int64 load read as unsigned is at least this if and only if it is negative.
_NEGATIVE = 2**63
# Every column of a reduced frame but the calendar's: the customers' loads.
_LOADS = pl.all().exclude(_RESERVED)


def to_micro_kw(kw: Decimal) -> int:
    """``kw`` in whole µkW; refuses finer values (round them first, as the quote reader does)."""
    micro = kw.scaleb(6)
    if micro != micro.to_integral_value():
        raise ValueError(f"{kw} kW is finer than 1e-6 kW")
    return int(micro)


def bill_interval_frame(
    *, tariff: UrdbTariff, loads_micro_kw: pl.DataFrame, start: datetime, step_minutes: int
) -> pl.DataFrame:
    """Every column of ``loads_micro_kw`` (int µkW per step from ``start``) billed on ``tariff``:
    one row per customer (column name) and month ``YYYY-MM``, amounts in fen (:data:`BILL_FRAME_SCHEMA`),
    customers in column order, months in order."""
    customers = loads_micro_kw.columns
    clashing = [name for name in customers if name in _RESERVED]
    if clashing:
        raise IntervalLoadInvalid(
            field="load",
            reason_zh=f"列名 {clashing[0]} 为保留名",
            reason_en=f"column name {clashing[0]} is reserved",
        )
    check_interval_inputs(
        step_minutes=step_minutes,
        interval_count=loads_micro_kw.height,
        has_annual_minimum=bool(tariff.annual_minimum),
        start=start,
    )
    loads = loads_micro_kw.cast(pl.Int64) if set(loads_micro_kw.dtypes) != {pl.Int64} else loads_micro_kw
    months = series_months(start=start, step_minutes=step_minutes, interval_count=loads.height)
    runs = _reduce_runs(loads, _calendar(tariff, start, step_minutes, loads.height, months))
    peaks = _per_customer(runs, runs.maxima, [_MONTH], pl.Expr.max, "peak")
    largest_peak = int(peaks.select(pl.col("peak").max()).collect(engine=_SMALL_QUERY_ENGINE).item() or 0)
    if largest_peak >= _NEGATIVE:
        raise IntervalLoadInvalid(
            field="load",
            reason_zh="含负值（不支持上网电量）",
            reason_en="it has negative values (exports are not billed)",
        )
    rate_scale = int(10 ** _decimals(_all_rates(tariff)))
    _guard(tariff, largest_peak, min(loads.height, 31 * 1440 // step_minutes), step_minutes, rate_scale)

    # From here on, a few rows per customer and month: one lazy query, collected once.
    grid = peaks.join(_month_table(tariff, months).lazy(), on=_MONTH).with_columns(pl.col("peak").cast(_I128))
    energy = _energy_cents(tariff, runs, grid, step_minutes, rate_scale)
    demand_tou = _demand_tou_cents(tariff, runs, rate_scale)
    bills = grid.with_columns(demand_flat=_flat_demand_cents(tariff, rate_scale))
    for name, amounts in (("energy", energy), ("demand_tou", demand_tou)):
        bills = (
            bills.join(amounts, on=[_MONTH, _CUSTOMER], how="left")
            if amounts is not None
            else bills.with_columns(pl.lit(0, pl.Int64).alias(name))
        )
    bills = (
        bills.with_columns(pl.col("energy", "demand_tou").fill_null(0))
        .with_columns(
            charges=pl.col("energy") + pl.col("demand_flat") + pl.col("demand_tou") + pl.col("fixed")
        )
        .with_columns(
            minimum=pl.max_horizontal(pl.lit(0, pl.Int64), pl.col("monthly_minimum") - pl.col("charges"))
        )
        .with_columns(total=pl.col("charges") + pl.col("minimum"))
    )
    month_names = pl.Series([f"{year:04d}-{month:02d}" for year, month in months])
    return (
        _with_annual_minimum(bills, tariff.annual_minimum)
        .sort(_CUSTOMER, _MONTH)
        .select(
            customer=pl.col(_CUSTOMER).cast(pl.String),
            month=pl.lit(month_names).gather(pl.col(_MONTH)),
            **{column: pl.col(column).cast(pl.Int64) for column in AMOUNT_COLUMNS},
        )
        .collect(engine=_SMALL_QUERY_ENGINE)
    )


def _calendar(
    tariff: UrdbTariff, start: datetime, step_minutes: int, count: int, months: Sequence[tuple[int, int]]
) -> pl.DataFrame:
    moments = pl.datetime_range(
        start, start + timedelta(minutes=step_minutes * (count - 1)), interval=f"{step_minutes}m", eager=True
    )
    first = months[0][0] * 12 + months[0][1] - 1
    slot = (
        (moments.dt.weekday() >= 6).cast(pl.Int64) * 288
        + (moments.dt.month().cast(pl.Int64) - 1) * 24
        + moments.dt.hour().cast(pl.Int64)
    )
    columns = [
        ((moments.dt.year().cast(pl.Int64) * 12 + moments.dt.month().cast(pl.Int64) - 1) - first).alias(
            _MONTH
        )
    ]
    if tariff.energy_periods:
        columns.append(
            _slot_periods(tariff.energy_weekday, tariff.energy_weekend).gather(slot).alias(_ENERGY_PERIOD)
        )
    if tariff.demand_periods:
        columns.append(
            _slot_periods(tariff.demand_weekday, tariff.demand_weekend).gather(slot).alias(_DEMAND_PERIOD)
        )
    return pl.DataFrame(columns)


def _reduce_runs(loads: pl.DataFrame, steps: pl.DataFrame) -> _Runs:
    """Each customer's load summed, and its maximum, over every run of consecutive ``steps`` (the
    calendar: a row per step) that share their columns (month, periods)."""
    run = pl.struct(pl.all()).rle_id()
    if (steps.select(run.max()).item() + 1) * _SHORTEST_AVERAGE_RUN > steps.height:
        # Periods that change every few steps make many short runs, each costing a slice per
        # customer: gather the rows into one run per calendar key first (one copy of the loads).
        order = steps.select(pl.arg_sort_by(steps.columns, maintain_order=True)).to_series()
        steps, loads = steps[order], loads[order]
    labelled = steps.with_columns(run.alias(_RUN))
    # The run number only grows: flagged sorted, the group-bys cut contiguous slices of rows
    # instead of gathering them one by one.
    rows = pl.concat([labelled.select(pl.col(_RUN).set_sorted()), loads], how="horizontal").group_by(
        _RUN, maintain_order=True
    )
    return _Runs(
        calendar=labelled.group_by(_RUN, maintain_order=True).first(),
        sums=rows.agg(_LOADS.sum()),
        # Read as unsigned, a negative load is at least 2**63: the maxima reveal any (see _NEGATIVE).
        maxima=rows.agg(_LOADS.reinterpret(signed=False).max()),
    )


@dataclass(frozen=True)
class _Runs:
    """Per run of steps (rows in order): its calendar columns, and each customer's sum and maximum."""

    calendar: pl.DataFrame
    sums: pl.DataFrame
    maxima: pl.DataFrame


def _per_customer(
    runs: _Runs, values: pl.DataFrame, keys: list[str], reduce: Callable[[pl.Expr], pl.Expr], name: str
) -> pl.LazyFrame:
    """``values`` (a row per run, a column per customer) reduced per ``keys`` of the runs' calendar,
    as rows of ``keys`` × customer (an Enum in column order) → ``name``."""
    customers = [column for column in values.columns if column != _RUN]
    keyed = pl.concat([runs.calendar.select(keys), values], how="horizontal")
    if runs.calendar.select(keys).is_duplicated().any():
        keyed = keyed.group_by(keys).agg(reduce(_LOADS))
    return (
        keyed.unpivot(on=cs.by_name(customers), index=keys, variable_name=_CUSTOMER, value_name=name)
        .lazy()
        .with_columns(pl.col(_CUSTOMER).cast(pl.Enum(customers)))
    )


def _slot_periods(weekday: Schedule, weekend: Schedule) -> pl.Series:
    """The period of every (weekend?, month, hour) slot: index weekend × 288 + (month − 1) × 24 + hour."""
    return pl.Series([period for schedule in (weekday, weekend) for row in schedule for period in row])


def _month_table(tariff: UrdbTariff, months: Sequence[tuple[int, int]]) -> pl.DataFrame:
    rows = []
    for index, (year, month) in enumerate(months):
        days = calendar.monthrange(year, month)[1]
        fixed = tariff.fixed_charge * days if tariff.fixed_charge_per_day else tariff.fixed_charge
        minimum = tariff.monthly_minimum * days if tariff.monthly_minimum_per_day else tariff.monthly_minimum
        rows.append(
            {
                _MONTH: index,
                "days": days,
                "flat_table": tariff.flat_demand_months[month - 1] if tariff.flat_demand_tables else 0,
                "fixed": to_minor_units(round_to_fen(fixed)),
                "monthly_minimum": to_minor_units(round_to_fen(minimum)),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            _MONTH: pl.Int64,
            "days": pl.Int64,
            "flat_table": pl.Int64,
            "fixed": pl.Int64,
            "monthly_minimum": pl.Int64,
        },
    )


def _all_rates(tariff: UrdbTariff) -> list[Decimal]:
    tables = [period.tiers for period in tariff.energy_periods] + [
        *tariff.demand_periods,
        *tariff.flat_demand_tables,
    ]
    return [tier.rate for table in tables for tier in table]


def _decimals(numbers: Sequence[Decimal]) -> int:
    return max([0, *(-number.normalize().as_tuple().exponent for number in numbers if number)])  # type: ignore[operator]


def _guard(tariff: UrdbTariff, peak: int, month_steps: int, step_minutes: int, rate_scale: int) -> None:
    # The largest integers (see _energy_cents): a period's tier charge Σ scaled rate × µkW·min ×
    # energy scale, and the remainder fraction's numerator and denominator, about (µkW·steps)².
    steps = peak * month_steps
    rates = [abs(_scaled(tier.rate, rate_scale)) for period in tariff.energy_periods for tier in period.tiers]
    tiers = max([len(period.tiers) for period in tariff.energy_periods] or [0])
    energy_scale = _energy_scale(tariff)
    tier_charge = tiers * max(rates or [0]) * steps * step_minutes * energy_scale
    fraction = 2 * (steps * steps + steps * rate_scale * energy_scale * _CENTS_PER_KWH_UNIT)
    if max(tier_charge, fraction) > _INT128_HEADROOM:
        raise IntervalLoadInvalid(
            field="load",
            reason_zh="负荷过大，超出向量化引擎的精确整数范围",
            reason_en="the load is too large for the vectorized engine's exact integers",
        )


def _round_half_up(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator (> 0) rounded half away from zero, exactly, as Int64 cents."""
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    # Polars cannot negate Int128: subtract from zero instead.
    return pl.when(numerator < 0).then(pl.lit(0, _I128) - magnitude).otherwise(magnitude).cast(pl.Int64)


def _tiered(quantity: pl.Expr, bounds: Sequence[pl.Expr], rates: Sequence[int]) -> pl.Expr:
    """Σ rate × (quantity in each cumulative tier); the last tier is open above."""
    zero = pl.lit(0, _I128)
    total: pl.Expr = zero
    floor: pl.Expr = zero
    for index, rate in enumerate(rates):
        if index == len(rates) - 1:
            in_tier = pl.max_horizontal(zero, quantity - floor)
        else:
            in_tier = pl.max_horizontal(zero, pl.min_horizontal(quantity, bounds[index]) - floor)
            floor = bounds[index]
        total = total + in_tier * pl.lit(rate, _I128)
    return total


def _demand_bounds(tiers: Sequence[Tier]) -> list[pl.Expr]:
    return [pl.lit(to_micro_kw(tier.limit) if tier.limit is not None else 0, _I128) for tier in tiers[:-1]]


def _scaled(rate: Decimal, scale: int) -> int:
    return int(rate * scale)


def _flat_demand_cents(tariff: UrdbTariff, rate_scale: int) -> pl.Expr:
    if not tariff.flat_demand_tables:
        return pl.lit(0, pl.Int64)
    charge: pl.Expr = pl.lit(0, _I128)
    for index, table in reversed(list(enumerate(tariff.flat_demand_tables))):
        table_charge = _tiered(
            pl.col("peak"), _demand_bounds(table), [_scaled(t.rate, rate_scale) for t in table]
        )
        charge = pl.when(pl.col("flat_table") == index).then(table_charge).otherwise(charge)
    # µkW × (rate × scale) → cents: ÷ (1e6 × scale ÷ 100).
    return _round_half_up(charge, pl.lit(rate_scale * 10**4, _I128))


def _demand_tou_cents(tariff: UrdbTariff, runs: _Runs, rate_scale: int) -> pl.LazyFrame | None:
    if not tariff.demand_periods:
        return None
    peaks = _per_customer(
        runs, runs.maxima, [_MONTH, _DEMAND_PERIOD], pl.Expr.max, "period_peak"
    ).with_columns(pl.col("period_peak").cast(_I128))
    charge: pl.Expr = pl.lit(0, _I128)
    for index, tiers in enumerate(tariff.demand_periods):
        period_charge = _tiered(
            pl.col("period_peak"), _demand_bounds(tiers), [_scaled(t.rate, rate_scale) for t in tiers]
        )
        charge = pl.when(pl.col(_DEMAND_PERIOD) == index).then(period_charge).otherwise(charge)
    return (
        peaks.with_columns(charge=charge)
        .group_by(_MONTH, _CUSTOMER)
        .agg(pl.col("charge").sum())
        .select(
            _MONTH, _CUSTOMER, demand_tou=_round_half_up(pl.col("charge"), pl.lit(rate_scale * 10**4, _I128))
        )
    )


def _energy_scale(tariff: UrdbTariff) -> int:
    """10^k making every kWh/kW limit × 60 × µkW peak a whole number of µkW·min (see module doc)."""
    limits = [
        t.limit for p in tariff.energy_periods if p.unit == "kWh/kW" for t in p.tiers if t.limit is not None
    ]
    return int(10 ** max(0, _decimals(limits) - 1))


def _energy_bounds(period: EnergyPeriod, energy_scale: int) -> list[pl.Expr]:
    """Tier limits in µkW·min × energy_scale: kWh × 6e7; kWh daily × days; kWh/kW × 60 × µkW peak."""
    bounds = []
    for tier in period.tiers[:-1]:
        limit = tier.limit if tier.limit is not None else Decimal(0)
        if period.unit == "kWh/kW":
            bounds.append(pl.lit(int(limit * 60 * energy_scale), _I128) * pl.col("peak"))
        else:
            per_unit = pl.lit(int(limit * 60 * MICRO_KW_PER_KW * energy_scale), _I128)
            bounds.append(per_unit * pl.col("days").cast(_I128) if period.unit == "kWh daily" else per_unit)
    return bounds


def _energy_cents(
    tariff: UrdbTariff,
    runs: _Runs,
    grid: pl.LazyFrame,
    step_minutes: int,
    rate_scale: int,
) -> pl.LazyFrame | None:
    """Energy cents per month and customer; ``grid`` has each month's ``peak`` (µkW) and ``days``."""
    if not tariff.energy_periods:
        return None
    energy_scale = _energy_scale(tariff)
    sums = (
        _per_customer(runs, runs.sums, [_MONTH, _ENERGY_PERIOD], pl.Expr.sum, "period_steps")
        .with_columns(pl.col("period_steps").cast(_I128))
        .with_columns(month_steps=pl.col("period_steps").sum().over(_MONTH, _CUSTOMER))
    )
    month_energy = pl.col("month_steps") * pl.lit(step_minutes * energy_scale, _I128)
    charge: pl.Expr = pl.lit(0, _I128)
    for index, period in enumerate(tariff.energy_periods):
        period_charge = _tiered(
            month_energy,
            _energy_bounds(period, energy_scale),
            [_scaled(t.rate, rate_scale) for t in period.tiers],
        )
        charge = pl.when(pl.col(_ENERGY_PERIOD) == index).then(period_charge).otherwise(charge)
    # cents = Σ_p steps_p × charge_p ÷ (steps × K), K = rate_scale × energy_scale × 6e5. The
    # products steps_p × charge_p would grow as (µkW·steps)² × rate, so each charge_p is split into
    # whole × steps + part (0 ≤ part < steps) first: Σ steps_p × whole is exact and small, and
    # only Σ steps_p × part < steps² is left over a denominator.
    steps = pl.when(pl.col("month_steps") == 0).then(pl.lit(1, _I128)).otherwise(pl.col("month_steps"))
    return (
        sums.join(grid.select(_MONTH, _CUSTOMER, "peak", "days"), on=[_MONTH, _CUSTOMER])
        .with_columns(charge=charge, steps=steps)
        .with_columns(whole=pl.col("charge") // pl.col("steps"))
        .with_columns(part=pl.col("charge") - pl.col("whole") * pl.col("steps"))
        .group_by(_MONTH, _CUSTOMER)
        .agg(
            whole=(pl.col("period_steps") * pl.col("whole")).sum(),
            part=(pl.col("period_steps") * pl.col("part")).sum(),
            steps=pl.col("steps").first(),
        )
        # A month without energy has every period_steps 0, so whole = part = 0: no charge.
        .select(
            _MONTH,
            _CUSTOMER,
            energy=_round_fraction(
                whole=pl.col("whole"),
                part=pl.col("part"),
                steps=pl.col("steps"),
                scale=pl.lit(rate_scale * energy_scale * _CENTS_PER_KWH_UNIT, _I128),
            ),
        )
    )


def _round_fraction(*, whole: pl.Expr, part: pl.Expr, steps: pl.Expr, scale: pl.Expr) -> pl.Expr:
    """(whole × steps + part) ÷ (steps × scale) rounded half away from zero (part ≥ 0; steps, scale > 0).

    = whole ÷ scale + part ÷ (steps × scale); Polars' ``//`` floors, so every remainder is ≥ 0.
    """
    whole_cents = whole // scale
    left = whole - whole_cents * scale  # 0 ≤ left < scale
    numerator = left * steps + part
    denominator = steps * scale
    more_cents = numerator // denominator
    remainder = numerator - more_cents * denominator  # 0 ≤ remainder < denominator
    cents = whole_cents + more_cents  # the value is cents + remainder / denominator
    # Half away from zero: a positive value rounds a half up, a negative one rounds a half down.
    round_up = pl.when(cents >= 0).then(remainder * 2 >= denominator).otherwise(remainder * 2 > denominator)
    return (cents + round_up.cast(_I128)).cast(pl.Int64)


def _with_annual_minimum(bills: pl.LazyFrame, annual_minimum: Decimal) -> pl.LazyFrame:
    """Top each 12-month year up to ``annual_minimum`` on its 12th month, as the reference does."""
    if not annual_minimum:
        return bills
    minimum = to_minor_units(round_to_fen(annual_minimum))
    year = pl.col(_MONTH) // 12
    shortfall = pl.max_horizontal(pl.lit(0, pl.Int64), minimum - pl.col("total").sum().over(year, _CUSTOMER))
    top_up = pl.when(pl.col(_MONTH) % 12 == 11).then(shortfall).otherwise(0)
    return bills.with_columns(top_up=top_up).with_columns(
        minimum=pl.col("minimum") + pl.col("top_up"), total=pl.col("total") + pl.col("top_up")
    )


def interval_bills_from_frame(*, bills: pl.DataFrame) -> dict[str, IntervalBill]:
    """The Decimal bills of a bill frame (:data:`BILL_FRAME_SCHEMA`), by customer, in the frame's order."""
    by_customer: dict[str, list[MonthBill]] = {}
    for row in bills.select(BILL_FRAME_SCHEMA.names()).iter_rows(named=True):
        by_customer.setdefault(row["customer"], []).append(
            MonthBill(
                month=row["month"], **{column: from_minor_units(row[column]) for column in AMOUNT_COLUMNS}
            )
        )
    return {
        name: IntervalBill(
            months=tuple(months_billed), total=sum((bill.total for bill in months_billed), Decimal(0))
        )
        for name, months_billed in by_customer.items()
    }


def bill_interval_vectorized(
    *, tariff: UrdbTariff, loads_micro_kw: pl.DataFrame, start: datetime, step_minutes: int
) -> dict[str, IntervalBill]:
    """:func:`bill_interval_frame` as Decimal bills by customer, for callers that need bill objects."""
    return interval_bills_from_frame(
        bills=bill_interval_frame(
            tariff=tariff, loads_micro_kw=loads_micro_kw, start=start, step_minutes=step_minutes
        )
    )
