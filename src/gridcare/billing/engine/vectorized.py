"""The vectorized register engine (ADR 0007): the energy lines and the totals of many bills of
mixed tariffs in Polars expressions, exact in integers — kWh in thousandths (milli-kWh), prices
in micro-yuan, products in Int128, one half-up rounding to the fen per line.

It follows the scalar reference (``reference.py``) rule for rule: tier split on the bill's tier
axis, low-income free kWh at the bottom of it, the large-household tier-1 allowance, and each
tier's kWh shared across the time-of-use periods by the largest remainder in whole milli-kWh
(ties to the earlier period), a tier holding the whole bill taking the metered period kWh.
Totals add the basic charge, the power-factor adjustment (the factor rounded by exact integer
comparison, no floating point), funds, fixed charges and the minimum top-up. Still to come: the
lines of those charges as a frame (with their explanations) for the bill-run writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import (
    RegisterBillInput,
    period_energy,
    power_factor_percent,
    tier_thresholds,
)
from gridcare.billing.engine.tariff import TariffDocument, TierBasis
from gridcare.kit.money import round_to_fen

MILLI = Decimal("0.001")
MICRO = Decimal("0.000001")
#: Milli-kWh × micro-yuan is 1e-9 yuan; a fen is 1e-2 yuan.
_NANO_YUAN_PER_FEN = 10_000_000
_HALF_FEN = _NANO_YUAN_PER_FEN // 2


@dataclass(frozen=True, kw_only=True)
class EnergyLine:
    """One energy line of one bill: ``bill_index`` into the input sequence."""

    bill_index: int
    period: str
    tier: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def _whole_units(value: Decimal, *, unit: Decimal, field: str) -> int:
    scaled = value / unit
    if scaled != scaled.to_integral_value():
        raise BillInputInvalid(
            field=field,
            reason_zh=f"精度超过 {unit}",
            reason_en=f"it is finer than {unit}, the vectorized engine's unit",
        )
    return int(scaled)


@dataclass(frozen=True, kw_only=True)
class _Metered:
    """A bill's kWh, read once: per period (the tariff's order), in milli-kWh, and the total
    and billed (after the low-income free kWh) milli-kWh."""

    period_kwh: dict[str, Decimal]
    milli: tuple[int, ...]
    total: int
    billed: int


def _metered(bills: Sequence[RegisterBillInput]) -> list[_Metered]:
    metered = []
    for bill in bills:
        period_kwh = period_energy(tariff=bill.tariff, energy_kwh=bill.energy_kwh)
        milli = tuple(_whole_units(kwh, unit=MILLI, field=f"energy_kwh.{p}") for p, kwh in period_kwh.items())
        total = sum(milli)
        allowance = bill.tariff.allowances.low_income_free_kwh_per_month if bill.low_income else Decimal(0)
        billed = total - min(_whole_units(allowance, unit=MILLI, field="allowances"), total)
        metered.append(_Metered(period_kwh=period_kwh, milli=milli, total=total, billed=billed))
    return metered


def energy_lines(*, bills: Sequence[RegisterBillInput]) -> list[EnergyLine]:
    """The energy lines of ``bills`` (in each bill: by tier, then by the tariff's period order),
    as the reference computes them."""
    return _energy_lines(bills=bills, metered=_metered(bills))


def _energy_lines(*, bills: Sequence[RegisterBillInput], metered: Sequence[_Metered]) -> list[EnergyLine]:
    tariff_keys: dict[int, int] = {}
    price_rows: list[tuple[int, str, int, int]] = []
    usage_rows: list[tuple[int, int, str, int]] = []
    tier_rows: list[tuple[int, int, int, int | None, int, int, int, int]] = []
    for index, bill in enumerate(bills):
        key = _tariff_key(bill.tariff, tariff_keys, price_rows)
        reading = metered[index]
        periods, milli = list(reading.period_kwh), reading.milli
        total, billed = reading.total, reading.billed
        free = total - billed
        tiers = bill.tariff.energy.tiers
        annual = tiers is not None and tiers.basis is TierBasis.ANNUAL
        before = _whole_units(bill.tier_year_kwh_before, unit=MILLI, field="tier_year_kwh_before")
        start = (before if annual else 0) + free
        bounds = [_whole_units(b, unit=MILLI, field="thresholds_kwh") for b in tier_thresholds(bill=bill)]
        lowers = [0, *bounds]
        for tier, lower in enumerate(lowers):
            upper = bounds[tier] if tier < len(bounds) else None
            tier_rows.append((index, key, tier, upper, lower, start, billed, total))
        usage_rows.extend(
            (index, period_index, period, kwh)
            for period_index, (period, kwh) in enumerate(zip(periods, milli, strict=True))
        )
    if not bills:
        return []
    lines = _energy_frame(
        tiers=pl.DataFrame(
            tier_rows,
            schema={
                "bill": pl.Int64,
                "tariff": pl.Int64,
                "tier": pl.Int64,
                "upper": pl.Int64,
                "lower": pl.Int64,
                "start": pl.Int64,
                "billed": pl.Int64,
                "total": pl.Int64,
            },
            orient="row",
        ),
        usage=pl.DataFrame(
            usage_rows,
            schema={"bill": pl.Int64, "period_index": pl.Int64, "period": pl.String, "kwh": pl.Int64},
            orient="row",
        ),
        prices=pl.DataFrame(
            price_rows,
            schema={"tariff": pl.Int64, "period": pl.String, "tier": pl.Int64, "price": pl.Int64},
            orient="row",
        ),
    )
    return [
        EnergyLine(
            bill_index=row["bill"],
            period=row["period"],
            tier=row["tier"],
            quantity=Decimal(row["share"]) * MILLI,
            unit_price=Decimal(row["price"]) * MICRO,
            amount=Decimal(row["amount_fen"]).scaleb(-2),
        )
        for row in lines.iter_rows(named=True)
    ]


def register_bill_totals(*, bills: Sequence[RegisterBillInput]) -> list[Decimal]:
    """The totals of ``bills`` (energy, free kWh, basic charge, power-factor adjustment, funds,
    fixed charges, minimum top-up), each equal to the reference's. The inputs must be valid
    (the reference's checks name the field of a bad one)."""
    metered = _metered(bills)
    energy = pl.DataFrame(
        [
            (line.bill_index, int(line.amount.scaleb(2)))
            for line in _energy_lines(bills=bills, metered=metered)
        ],
        schema={"bill": pl.Int64, "fen": pl.Int64},
        orient="row",
    )
    basic_fen = _basic_charge_fen(bills=bills, metered=metered)
    fund_rows: list[tuple[int, int, int]] = []
    fixed_fen: list[int] = []
    minimum_fen: list[int] = []
    for index, bill in enumerate(bills):
        billed = metered[index].billed
        for fund in bill.tariff.funds:
            if bill.usage_category is None or bill.usage_category not in fund.exempt_usage_categories:
                fund_rows.append(
                    (index, billed, _whole_units(fund.price_per_kwh, unit=MICRO, field="funds.price_per_kwh"))
                )
        fixed_fen.append(sum(_fen(charge.amount_per_month) for charge in bill.tariff.fixed_charges))
        minimum_fen.append(_fen(bill.tariff.minimum_charge_per_month))
    funds = pl.DataFrame(
        fund_rows, schema={"bill": pl.Int64, "kwh": pl.Int64, "price": pl.Int64}, orient="row"
    ).select(
        "bill",
        fen=((pl.col("kwh").cast(pl.Int128) * pl.col("price") + _HALF_FEN) // _NANO_YUAN_PER_FEN).cast(
            pl.Int64
        ),
    )
    per_bill = pl.DataFrame(
        {"bill": range(len(bills)), "fixed": fixed_fen, "minimum": minimum_fen},
        schema={"bill": pl.Int64, "fixed": pl.Int64, "minimum": pl.Int64},
    )
    energy_only = energy.group_by("bill").agg(pl.col("fen").sum().alias("energy_fen"))
    adjustment = _power_factor_fen(bills=bills, metered=metered, energy_only=energy_only, basic=basic_fen)
    variable = pl.concat([energy, basic_fen, adjustment, funds]).group_by("bill").agg(pl.col("fen").sum())
    totals = (
        per_bill.join(variable, on="bill", how="left")
        .with_columns(subtotal=pl.col("fen").fill_null(0) + pl.col("fixed"))
        .with_columns(total=pl.max_horizontal("subtotal", "minimum"))
        .sort("bill")
    )
    return [Decimal(fen).scaleb(-2) for fen in totals["total"]]


def _half_up_division(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """``numerator / denominator`` rounded half away from zero (ROUND_HALF_UP), in integers."""
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return pl.when(numerator < 0).then(magnitude * -1).otherwise(magnitude)


#: Fixed-point scales: prices in micro-yuan, demand in milli-kW, rule factors in 1e-4.
_FACTOR_SCALE = 10_000


def _basic_charge_fen(*, bills: Sequence[RegisterBillInput], metered: Sequence[_Metered]) -> pl.DataFrame:
    """The basic charge of each two-part bill, in fen: by capacity, capacity × price; by
    demand, the billed kW (the contract up to tolerance × contract, else actual + the excess over
    it) × the price (× the discount factor at ≥ 260 kWh per kVA); × days ÷ divisor in a part
    month; one rounding."""
    rows: list[tuple[int, int, int, int, int, int, int, int, int, int, int]] = []
    for index, bill in enumerate(bills):
        rules = bill.tariff.basic_charge
        if rules is None or bill.basic_charge_method is None:
            continue
        capacity = _whole_units(bill.capacity_kva or Decimal(0), unit=MILLI, field="capacity_kva")
        days = bill.days_used or rules.part_month_divisor
        by_demand = bill.basic_charge_method == "demand"
        price = rules.demand_price if by_demand else rules.capacity_price
        contract_capacity = (
            bill.contract_capacity_kva if bill.contract_capacity_kva is not None else bill.capacity_kva
        )
        period_kwh = metered[index].period_kwh
        rows.append(
            (
                index,
                int(by_demand),
                capacity,
                _whole_units(bill.max_demand_kw or Decimal(0), unit=MILLI, field="max_demand_kw"),
                _whole_units(bill.contract_demand_kw or Decimal(0), unit=MILLI, field="contract_demand_kw"),
                _whole_units(
                    rules.contract_demand_tolerance * _FACTOR_SCALE, unit=Decimal(1), field="tolerance"
                ),
                _whole_units(price or Decimal(0), unit=MICRO, field="basic_charge price"),
                _whole_units(
                    rules.high_load_factor_price_factor * _FACTOR_SCALE, unit=Decimal(1), field="factor"
                ),
                # The discount applies at kWh ÷ kVA ≥ threshold: compared as kWh ≥ threshold × kVA.
                int(
                    sum(period_kwh.values(), Decimal(0))
                    >= rules.high_load_factor_kwh_per_kva * (contract_capacity or Decimal(0))
                    and bool(contract_capacity)
                ),
                days,
                rules.part_month_divisor,
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "bill": pl.Int64,
            "by_demand": pl.Int64,
            "capacity": pl.Int64,
            "max_demand": pl.Int64,
            "contract": pl.Int64,
            "tolerance": pl.Int64,
            "price": pl.Int64,
            "discount": pl.Int64,
            "discounted": pl.Int64,
            "days": pl.Int64,
            "divisor": pl.Int64,
        },
        orient="row",
    )
    big = pl.Int128
    # Quantities in 1e-7 kW or kVA (milli × the 1e-4 factor scale), prices in 1e-10 yuan.
    limit = pl.col("contract").cast(big) * pl.col("tolerance")
    actual = pl.col("max_demand").cast(big) * _FACTOR_SCALE
    billed = (
        pl.when(actual <= limit)
        .then(pl.col("contract").cast(big) * _FACTOR_SCALE)
        .otherwise(2 * actual - limit)
    )
    quantity = (
        pl.when(pl.col("by_demand") == 1).then(billed).otherwise(pl.col("capacity").cast(big) * _FACTOR_SCALE)
    )
    unit_price = (
        pl.when((pl.col("by_demand") == 1) & (pl.col("discounted") == 1))
        .then(pl.col("price").cast(big) * pl.col("discount"))
        .otherwise(pl.col("price").cast(big) * _FACTOR_SCALE)
    )
    # 1e-7 × 1e-10 = 1e-17 yuan; a fen is 1e-2 yuan: divide by 1e15 × divisor, times days.
    return frame.select(
        "bill",
        fen=_half_up_division(
            quantity * unit_price * pl.col("days"), pl.col("divisor").cast(big) * 10**15
        ).cast(pl.Int64),
    )


def _power_factor_fen(
    *,
    bills: Sequence[RegisterBillInput],
    metered: Sequence[_Metered],
    energy_only: pl.DataFrame,
    basic: pl.DataFrame,
) -> pl.DataFrame:
    """The power-factor adjustment of each bill, in fen: the factor rounded half up to 0.01 by
    exact integer comparison (40000·P² ≥ (2k − 1)²·(P² + Q²) for the k it rounds to), the
    table's percent for the tariff's standard, applied to the base lines, one rounding."""
    rows: list[tuple[int, int, int, str, int, int]] = []
    for index, bill in enumerate(bills):
        rules = bill.tariff.power_factor
        if rules is None or bill.capacity_kva is None or bill.capacity_kva < rules.minimum_capacity_kva:
            continue
        active = sum(metered[index].period_kwh.values(), Decimal(0))
        reactive = abs(bill.reactive_kvarh_forward or Decimal(0)) + abs(
            bill.reactive_kvarh_reverse or Decimal(0)
        )
        if active == 0 and reactive == 0:
            continue
        rows.append(
            (
                index,
                _whole_units(active, unit=MILLI, field="energy_kwh"),
                _whole_units(reactive, unit=MILLI, field="reactive_kvarh"),
                rules.standard,
                int("basic" in rules.base),
                int("energy" in rules.base),
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "bill": pl.Int64,
            "p": pl.Int64,
            "q": pl.Int64,
            "standard": pl.String,
            "with_basic": pl.Int64,
            "with_energy": pl.Int64,
        },
        orient="row",
    )
    big = pl.Int128
    p2 = pl.col("p").cast(big) * pl.col("p")
    s2 = p2 + pl.col("q").cast(big) * pl.col("q")
    # The hundredths the factor rounds to: the largest k in 0..100 with 40000·P² ≥ (2k−1)²·S².
    hundredths = pl.sum_horizontal(
        [(40_000 * p2 >= (2 * k - 1) ** 2 * s2).cast(pl.Int64) for k in range(1, 101)]
    )
    table = pl.DataFrame(
        [
            (
                standard,
                k,
                int(
                    power_factor_percent(power_factor=Decimal(k).scaleb(-2), standard=Decimal(standard)) * 100
                ),
            )
            for standard in ("0.90", "0.85", "0.80")
            for k in range(101)
        ],
        schema={"standard": pl.String, "hundredths": pl.Int64, "percent_e2": pl.Int64},
        orient="row",
    )
    base = (
        frame.with_columns(hundredths=hundredths)
        .join(table, on=["standard", "hundredths"])
        .join(energy_only, on="bill", how="left")
        .join(basic.rename({"fen": "basic_fen"}), on="bill", how="left")
        .with_columns(
            base=pl.col("energy_fen").fill_null(0) * pl.col("with_energy")
            + pl.col("basic_fen").fill_null(0) * pl.col("with_basic")
        )
    )
    # base (fen) × percent (1e-2 %) = 1e-4 of a fen... per cent: divide by 10,000.
    return base.select(
        "bill", fen=_half_up_division(pl.col("base").cast(big) * pl.col("percent_e2"), 10_000).cast(pl.Int64)
    )


def _fen(value: Decimal) -> int:
    """``value`` yuan rounded half up to whole fen (the reference's ``round_to_fen``)."""
    return int(round_to_fen(value).scaleb(2))


def _tariff_key(
    tariff: TariffDocument, keys: dict[int, int], price_rows: list[tuple[int, str, int, int]]
) -> int:
    """A small integer per distinct tariff document, registering its prices once."""
    if id(tariff) in keys:
        return keys[id(tariff)]
    key = len(keys)
    keys[id(tariff)] = key
    tier_count = tariff.energy.tiers.count if tariff.energy.tiers else 1
    for period in tariff.energy.periods:
        for tier in range(tier_count):
            price = _whole_units(tariff.energy.price(period=period, tier=tier), unit=MICRO, field="prices")
            price_rows.append((key, period, tier, price))
    return key


def _energy_frame(*, tiers: pl.DataFrame, usage: pl.DataFrame, prices: pl.DataFrame) -> pl.DataFrame:
    """Tier kWh per bill, shared across periods, priced and rounded: the kernel."""
    end = pl.col("start") + pl.col("billed")
    high = pl.when(pl.col("upper").is_null()).then(end).otherwise(pl.min_horizontal(pl.col("upper"), end))
    tier_kwh = tiers.with_columns(
        tier_kwh=pl.max_horizontal(high - pl.max_horizontal(pl.col("lower"), pl.col("start")), pl.lit(0))
    ).filter(pl.col("tier_kwh") > 0)
    periods = usage.group_by("bill").agg(pl.len().alias("period_count"))
    joined = tier_kwh.join(usage, on="bill").join(periods, on="bill")
    product = pl.col("tier_kwh").cast(pl.Int128) * pl.col("kwh").cast(pl.Int128)
    joined = joined.with_columns(
        floor=(product // pl.col("total")).cast(pl.Int64),
        remainder=(product % pl.col("total")).cast(pl.Int64),
    )
    joined = joined.sort(
        ["bill", "tier", "remainder", "period_index"], descending=[False, False, True, False]
    ).with_columns(
        rank=pl.int_range(pl.len()).over(["bill", "tier"]),
        left_over=pl.col("tier_kwh") - pl.col("floor").sum().over(["bill", "tier"]),
    )
    share = (
        pl.when(pl.col("period_count") == 1)
        .then(pl.col("tier_kwh"))
        .when(pl.col("tier_kwh") == pl.col("total"))
        .then(pl.col("kwh"))
        .otherwise(pl.col("floor") + (pl.col("rank") < pl.col("left_over")).cast(pl.Int64))
    )
    priced = (
        joined.with_columns(share=share)
        .filter(pl.col("share") > 0)
        .join(prices, on=["tariff", "period", "tier"])
        .with_columns(
            amount_fen=(
                (pl.col("share").cast(pl.Int128) * pl.col("price").cast(pl.Int128) + _HALF_FEN)
                // _NANO_YUAN_PER_FEN
            ).cast(pl.Int64)
        )
    )
    return priced.sort(["bill", "tier", "period_index"]).select(
        "bill", "period", "tier", "share", "price", "amount_fen"
    )


__all__ = ["EnergyLine", "energy_lines", "register_bill_totals"]
