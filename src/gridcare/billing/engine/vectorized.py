"""The vectorized register engine (ADR 0007): the full lines of many bills of mixed tariffs,
with their explanations, in Polars expressions, exact in integers — kWh in thousandths
(milli-kWh), prices in micro-yuan, products in Int128, one half-up rounding to the fen per line.

It follows the scalar reference (``reference.py``) rule for rule and line for line: the
low-income free kWh, energy by tier and time-of-use period (tier split on the bill's tier axis,
each tier's kWh shared across the periods by the largest remainder in whole milli-kWh, ties to
the earlier period, a tier holding the whole bill taking the metered period kWh), the basic
charge (105% rule, 260 kWh/kVA discount, part months), the power-factor adjustment (the factor
rounded by exact integer comparison, no floating point), funds, fixed charges and the minimum
top-up. Python loops only build the input frames (one row per bill, per period, per tier); the
arithmetic and the explanation texts are column expressions.

The lines frame (:func:`register_bill_lines`) has one row per line; ``quantity``,
``unit_price`` and the values in ``inputs`` are exact decimal texts equal in value to the
reference's (trailing zeros dropped, money with two decimals); ``amount_fen`` is Int64 fen.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

import polars as pl

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import (
    PERIOD_NAMES_ZH,
    Bill,
    BillLine,
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
#: Fixed-point scale of rule factors (tolerance 1.05, discount 0.9): 1e-4.
_FACTOR_SCALE = 10_000

#: The lines frame's columns, in order.
LINE_SCHEMA: dict[str, pl.DataType] = {
    "bill": pl.Int64(),
    "position": pl.Int64(),
    "code": pl.String(),
    "name_zh": pl.String(),
    "name_en": pl.String(),
    "quantity": pl.String(),
    "unit": pl.String(),
    "unit_price": pl.String(),
    "amount_fen": pl.Int64(),
    "rule": pl.String(),
    "inputs": pl.String(),
}

# Line sections in the reference's order (the position sorts by section, then order).
_ALLOWANCE, _ENERGY, _BASIC, _POWER_FACTOR, _FUND, _FIXED, _MINIMUM = range(7)
#: Energy lines are ordered by tier, then the tariff's period order (fewer periods than this).
_PERIODS_PER_TIER = 1_000_000


@dataclass(frozen=True, kw_only=True)
class EnergyLine:
    """One energy line of one bill: ``bill_index`` into the input sequence."""

    bill_index: int
    period: str
    tier: int
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def register_bill_lines(*, bills: Sequence[RegisterBillInput]) -> pl.DataFrame:
    """Every line of every bill of ``bills`` as the reference computes it, one row per line
    (columns :data:`LINE_SCHEMA`): ``bill`` indexes ``bills``, ``position`` orders the lines
    within a bill as the reference does. The inputs must be valid (the reference's checks name
    the field of a bad one); inputs finer than the engine's units raise BillInputInvalid."""
    frames = _input_frames(bills)
    charges = _charge_lines(frames).collect()
    minimum = _minimum_lines(frames, subtotals=charges.lazy().select("bill", "amount_fen")).collect()
    return (
        pl.concat([charges, minimum])
        .sort(["bill", "section", "order"])
        .with_columns(position=pl.int_range(pl.len()).over("bill"))
        .select(list(LINE_SCHEMA))
    )


def register_bill_totals(*, bills: Sequence[RegisterBillInput]) -> list[Decimal]:
    """The totals of ``bills`` (the sums of their lines), each equal to the reference's."""
    frames = _input_frames(bills)
    subtotals = (
        _charge_lines(frames).select("bill", "amount_fen").group_by("bill").agg(pl.col("amount_fen").sum())
    )
    totals = (
        frames.bills.select("bill", "minimum")
        .join(subtotals, on="bill", how="left")
        .select("bill", total=pl.max_horizontal(pl.col("amount_fen").fill_null(0), pl.col("minimum")))
        .sort("bill")
        .collect()
    )
    return [Decimal(fen).scaleb(-2) for fen in totals["total"]]


def energy_lines(*, bills: Sequence[RegisterBillInput]) -> list[EnergyLine]:
    """The energy lines of ``bills`` (in each bill: by tier, then by the tariff's period order),
    as the reference computes them."""
    lines = _energy_frame(_input_frames(bills)).sort(["bill", "tier", "period_index"]).collect()
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


_LINE_COLUMNS_READ = (
    "bill",
    "code",
    "name_zh",
    "name_en",
    "quantity",
    "unit",
    "unit_price",
    "amount_fen",
    "rule",
    "inputs",
)


def lines_frame_to_bills(*, lines: pl.DataFrame, bill_count: int) -> list[Bill]:
    """The reference ``Bill`` objects of a lines frame of ``bill_count`` bills (a bill without
    lines totals 0.00): decimal texts become Decimals, ``inputs`` a mapping again."""
    by_bill: list[list[BillLine]] = [[] for _ in range(bill_count)]
    ordered = lines.sort(["bill", "position"])
    # Whole columns as Python lists, zipped: a row dictionary per line costs more than the line.
    columns = [ordered.get_column(name).to_list() for name in _LINE_COLUMNS_READ]
    for bill, code, name_zh, name_en, quantity, unit, unit_price, amount_fen, rule, line_inputs in zip(
        *columns, strict=True
    ):
        by_bill[bill].append(
            BillLine(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                quantity=Decimal(quantity),
                unit=unit,
                unit_price=Decimal(unit_price),
                amount=Decimal(amount_fen).scaleb(-2),
                rule=rule,
                inputs=MappingProxyType(json.loads(line_inputs)),
            )
        )
    return [
        Bill(
            lines=tuple(bill_lines), total=round_to_fen(sum((line.amount for line in bill_lines), Decimal(0)))
        )
        for bill_lines in by_bill
    ]


# --- input frames (the only Python loops) ---------------------------------------------------


def _whole_units(value: Decimal, *, unit: Decimal, field: str) -> int:
    scaled = value / unit
    if scaled != scaled.to_integral_value():
        raise BillInputInvalid(
            field=field,
            reason_zh=f"精度超过 {unit}",
            reason_en=f"it is finer than {unit}, the vectorized engine's unit",
        )
    return int(scaled)


def _plain(value: Decimal) -> str:
    """``value`` as plain decimal text without trailing zeros (never exponent notation)."""
    return format(value.normalize(), "f")


@dataclass
class _Tables:
    """Per-tariff lookup rows, registered once per distinct tariff document."""

    keys: dict[int, int] = field(default_factory=dict)
    prices: list[tuple[int, str, int, int, str, str, str, bool]] = field(default_factory=list)
    funds: list[tuple[int, int, str, str, str, int]] = field(default_factory=list)
    exemptions: list[tuple[int, int, str]] = field(default_factory=list)
    fixed: list[tuple[int, int, str, str, str, str, int]] = field(default_factory=list)
    minimum: dict[int, int] = field(default_factory=dict)

    def key(self, tariff: TariffDocument) -> int:
        """A small integer per distinct tariff document, registering its rows once."""
        if id(tariff) in self.keys:
            return self.keys[id(tariff)]
        key = len(self.keys)
        self.keys[id(tariff)] = key
        tiers = tariff.energy.tiers
        single = len(tariff.energy.periods) == 1
        for period in tariff.energy.periods:
            for tier in range(tiers.count if tiers else 1):
                price = _whole_units(
                    tariff.energy.price(period=period, tier=tier), unit=MICRO, field="prices"
                )
                details_zh = ([] if single else [PERIOD_NAMES_ZH.get(period, period)]) + (
                    [f"第{tier + 1}档"] if tiers else []
                )
                details_en = ([] if single else [period]) + ([f"tier {tier + 1}"] if tiers else [])
                code = ".".join(
                    ["energy", *([] if single else [period]), *([f"tier{tier + 1}"] if tiers else [])]
                )
                self.prices.append(
                    (
                        key,
                        period,
                        tier,
                        price,
                        code if code != "energy" else f"energy.{period}",
                        "电度电费" + (f"（{'，'.join(details_zh)}）" if details_zh else ""),
                        "Energy charge" + (f" ({', '.join(details_en)})" if details_en else ""),
                        tiers is not None,
                    )
                )
        for index, fund in enumerate(tariff.funds):
            price = _whole_units(fund.price_per_kwh, unit=MICRO, field="funds.price_per_kwh")
            self.funds.append((key, index, f"fund.{fund.code}", fund.name_zh, fund.name_en, price))
            self.exemptions.extend((key, index, category) for category in fund.exempt_usage_categories)
        for index, charge in enumerate(tariff.fixed_charges):
            self.fixed.append(
                (
                    key,
                    index,
                    f"fixed.{charge.code}",
                    charge.name_zh,
                    charge.name_en,
                    _plain(charge.amount_per_month),
                    _fen(charge.amount_per_month),
                )
            )
        self.minimum[key] = _fen(tariff.minimum_charge_per_month)
        return key


@dataclass(frozen=True, kw_only=True)
class _Frames:
    bills: pl.LazyFrame
    tiers: pl.LazyFrame
    usage: pl.LazyFrame
    prices: pl.LazyFrame
    basic: pl.LazyFrame
    power_factor: pl.LazyFrame
    funds: pl.LazyFrame
    exemptions: pl.LazyFrame
    fixed: pl.LazyFrame


def _input_frames(bills: Sequence[RegisterBillInput]) -> _Frames:
    """One row per bill, per tier, per period, per two-part bill; lookup rows per tariff."""
    tables = _Tables()
    bill_rows: list[tuple[int, int, int, int, int | None, int, str, str | None, int]] = []
    tier_rows: list[tuple[int, int, int, int | None, int]] = []
    usage_rows: list[tuple[int, int, str, int]] = []
    basic_rows: list[tuple[object, ...]] = []
    power_factor_rows: list[tuple[int, int, int, str, bool, bool, str]] = []
    thresholds_cache: dict[tuple[int, int, bool], tuple[list[int], str]] = {}
    for index, bill in enumerate(bills):
        key = tables.key(bill.tariff)
        period_kwh = period_energy(tariff=bill.tariff, energy_kwh=bill.energy_kwh)
        milli = [
            _whole_units(kwh, unit=MILLI, field=f"energy_kwh.{period}") for period, kwh in period_kwh.items()
        ]
        total = sum(milli)
        allowances = bill.tariff.allowances
        allowance = (
            _whole_units(allowances.low_income_free_kwh_per_month, unit=MILLI, field="allowances")
            if bill.low_income and allowances.low_income_free_kwh_per_month
            else None
        )
        billed = total - min(allowance or 0, total)
        tiers = bill.tariff.energy.tiers
        annual = tiers is not None and tiers.basis is TierBasis.ANNUAL
        before = _whole_units(bill.tier_year_kwh_before, unit=MILLI, field="tier_year_kwh_before")
        start = (before if annual else 0) + total - billed
        cache_key = (key, bill.period_start.month, bill.large_household)
        if cache_key not in thresholds_cache:
            bounds = tier_thresholds(bill=bill)
            thresholds_cache[cache_key] = (
                [_whole_units(bound, unit=MILLI, field="thresholds_kwh") for bound in bounds],
                ",".join(_plain(bound) for bound in bounds),
            )
        bounds_milli, bounds_text = thresholds_cache[cache_key]
        bill_rows.append(
            (
                index,
                key,
                total,
                billed,
                allowance,
                start,
                bounds_text,
                bill.usage_category,
                tables.minimum[key],
            )
        )
        lowers = [0, *bounds_milli]
        tier_rows.extend(
            (index, key, tier, bounds_milli[tier] if tier < len(bounds_milli) else None, lower)
            for tier, lower in enumerate(lowers)
        )
        usage_rows.extend(
            (index, period_index, period, kwh)
            for period_index, (period, kwh) in enumerate(zip(period_kwh, milli, strict=True))
        )
        basic_row = _basic_row(index, bill, total)
        if basic_row is not None:
            basic_rows.append(basic_row)
        power_factor_row = _power_factor_row(index, bill, total)
        if power_factor_row is not None:
            power_factor_rows.append(power_factor_row)
    return _Frames(
        bills=_frame(
            bill_rows,
            bill=pl.Int64,
            tariff=pl.Int64,
            total=pl.Int64,
            billed=pl.Int64,
            allowance=pl.Int64,
            start=pl.Int64,
            thresholds=pl.String,
            usage_category=pl.String,
            minimum=pl.Int64,
        ),
        tiers=_frame(
            tier_rows, bill=pl.Int64, tariff=pl.Int64, tier=pl.Int64, upper=pl.Int64, lower=pl.Int64
        ),
        usage=_frame(usage_rows, bill=pl.Int64, period_index=pl.Int64, period=pl.String, kwh=pl.Int64),
        prices=_frame(
            tables.prices,
            tariff=pl.Int64,
            period=pl.String,
            tier=pl.Int64,
            price=pl.Int64,
            code=pl.String,
            name_zh=pl.String,
            name_en=pl.String,
            tiered=pl.Boolean,
        ),
        basic=_frame(
            basic_rows,
            bill=pl.Int64,
            by_demand=pl.Boolean,
            capacity=pl.Int64,
            max_demand=pl.Int64,
            contract=pl.Int64,
            tolerance=pl.Int64,
            price=pl.Int64,
            discount=pl.Int64,
            threshold=pl.Int64,
            contract_capacity=pl.Int64,
            days_used=pl.Int64,
            divisor=pl.Int64,
            tolerance_text=pl.String,
        ),
        power_factor=_frame(
            power_factor_rows,
            bill=pl.Int64,
            p=pl.Int64,
            q=pl.Int64,
            standard=pl.String,
            with_basic=pl.Boolean,
            with_energy=pl.Boolean,
            base_text=pl.String,
        ),
        funds=_frame(
            tables.funds,
            tariff=pl.Int64,
            fund_index=pl.Int64,
            code=pl.String,
            name_zh=pl.String,
            name_en=pl.String,
            price=pl.Int64,
        ),
        exemptions=_frame(tables.exemptions, tariff=pl.Int64, fund_index=pl.Int64, usage_category=pl.String),
        fixed=_frame(
            tables.fixed,
            tariff=pl.Int64,
            fixed_index=pl.Int64,
            code=pl.String,
            name_zh=pl.String,
            name_en=pl.String,
            unit_price=pl.String,
            fen=pl.Int64,
        ),
    )


def _frame(rows: Sequence[tuple[object, ...]], **schema: type[pl.DataType]) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def _basic_row(index: int, bill: RegisterBillInput, total: int) -> tuple[object, ...] | None:
    rules = bill.tariff.basic_charge
    if rules is None or bill.basic_charge_method is None:
        return None
    by_demand = bill.basic_charge_method == "demand"
    price = rules.demand_price if by_demand else rules.capacity_price
    contract_capacity = (
        bill.contract_capacity_kva if bill.contract_capacity_kva is not None else bill.capacity_kva
    )
    return (
        index,
        by_demand,
        _whole_units(bill.capacity_kva or Decimal(0), unit=MILLI, field="capacity_kva"),
        _whole_units(bill.max_demand_kw or Decimal(0), unit=MILLI, field="max_demand_kw"),
        _whole_units(bill.contract_demand_kw or Decimal(0), unit=MILLI, field="contract_demand_kw"),
        _whole_units(rules.contract_demand_tolerance * _FACTOR_SCALE, unit=Decimal(1), field="tolerance"),
        _whole_units(price or Decimal(0), unit=MICRO, field="basic_charge price"),
        _whole_units(rules.high_load_factor_price_factor * _FACTOR_SCALE, unit=Decimal(1), field="factor"),
        _whole_units(rules.high_load_factor_kwh_per_kva, unit=MILLI, field="high_load_factor_kwh_per_kva"),
        _whole_units(contract_capacity or Decimal(0), unit=MILLI, field="contract_capacity_kva"),
        bill.days_used,
        rules.part_month_divisor,
        _plain(rules.contract_demand_tolerance),
    )


def _power_factor_row(
    index: int, bill: RegisterBillInput, active: int
) -> tuple[int, int, int, str, bool, bool, str] | None:
    rules = bill.tariff.power_factor
    if rules is None:
        return None
    # Refused as the reference refuses them: a power-factor tariff needs both inputs.
    if bill.capacity_kva is None:
        raise BillInputInvalid(
            field="capacity_kva", reason_zh="该电价需要此项", reason_en="the tariff needs it"
        )
    if bill.capacity_kva < rules.minimum_capacity_kva:
        return None
    if bill.reactive_kvarh_forward is None and bill.reactive_kvarh_reverse is None:
        raise BillInputInvalid(
            field="reactive_kvarh",
            reason_zh="该电价执行功率因数调整，需给出无功电量",
            reason_en="the tariff adjusts for power factor: give the reactive kvarh",
        )
    reactive = abs(bill.reactive_kvarh_forward or Decimal(0)) + abs(bill.reactive_kvarh_reverse or Decimal(0))
    if active == 0 and reactive == 0:
        return None
    return (
        index,
        active,
        _whole_units(reactive, unit=MILLI, field="reactive_kvarh"),
        rules.standard,
        "basic" in rules.base,
        "energy" in rules.base,
        ",".join(rules.base),
    )


# --- kernels --------------------------------------------------------------------------------


def _charge_lines(frames: _Frames) -> pl.LazyFrame:
    """Every line but the minimum top-up, unsorted, with ``section`` and ``order``."""
    energy = _energy_frame(frames)
    basic = _basic_charge_frame(frames)
    return pl.concat(
        [
            _allowance_lines(frames),
            _energy_lines(frames, energy),
            _basic_charge_lines(basic),
            _power_factor_lines(frames, energy=energy, basic=basic),
            _fund_lines(frames),
            _fixed_charge_lines(frames),
        ]
    )


def _line(
    frame: pl.LazyFrame,
    *,
    section: int,
    order: pl.Expr,
    code: pl.Expr,
    name_zh: pl.Expr,
    name_en: pl.Expr,
    quantity: pl.Expr,
    unit: pl.Expr,
    unit_price: pl.Expr,
    amount_fen: pl.Expr,
    rule: pl.Expr,
    inputs: pl.Expr,
) -> pl.LazyFrame:
    """The section's rows in the lines frame's columns (plus ``section`` and ``order``)."""
    return frame.select(
        pl.col("bill"),
        pl.lit(section, dtype=pl.Int64).alias("section"),
        order.cast(pl.Int64).alias("order"),
        code.alias("code"),
        name_zh.alias("name_zh"),
        name_en.alias("name_en"),
        quantity.alias("quantity"),
        unit.alias("unit"),
        unit_price.alias("unit_price"),
        amount_fen.cast(pl.Int64).alias("amount_fen"),
        rule.alias("rule"),
        inputs.alias("inputs"),
    )


def _text(value: pl.Expr, scale: int, *, fixed: bool = False) -> pl.Expr:
    """An integer count of 10^-``scale`` units as exact decimal text: trailing zeros dropped,
    or exactly ``scale`` decimals if ``fixed`` (money, the power factor)."""
    magnitude = value.cast(pl.Int64).abs()
    whole = (magnitude // 10**scale).cast(pl.String)
    fraction = (magnitude % 10**scale).cast(pl.String).str.zfill(scale)
    if not fixed:
        fraction = fraction.str.strip_chars_end("0")
    return pl.concat_str(
        pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        whole,
        pl.when(fraction == "").then(pl.lit("")).otherwise(pl.lit(".") + fraction),
    )


def _json(*pairs: tuple[str, pl.Expr]) -> pl.Expr:
    """A JSON object of text values, keys in the given order (the values need no escaping:
    decimal texts, codes and comma lists)."""
    parts: list[pl.Expr] = [pl.lit("{")]
    for index, (name, value) in enumerate(pairs):
        parts.extend([pl.lit(("" if index == 0 else ", ") + f'"{name}": "'), value, pl.lit('"')])
    parts.append(pl.lit("}"))
    return pl.concat_str(parts)


def _half_up_division(numerator: pl.Expr, denominator: pl.Expr | int) -> pl.Expr:
    """``numerator / denominator`` rounded half away from zero (ROUND_HALF_UP), in integers."""
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return pl.when(numerator < 0).then(magnitude * -1).otherwise(magnitude)


def _allowance_lines(frames: _Frames) -> pl.LazyFrame:
    """The low-income free kWh: the bill's first kWh, at price 0."""
    return _line(
        frames.bills.filter(pl.col("allowance").is_not_null()),
        section=_ALLOWANCE,
        order=pl.lit(0),
        code=pl.lit("allowance.low_income"),
        name_zh=pl.lit("低保/五保户免费电量"),
        name_en=pl.lit("Low-income household free kWh"),
        quantity=_text(pl.col("total") - pl.col("billed"), 3),
        unit=pl.lit("kWh"),
        unit_price=pl.lit("0"),
        amount_fen=pl.lit(0),
        rule=pl.lit("allowance.low_income"),
        inputs=_json(
            ("free_kwh_per_month", _text(pl.col("allowance"), 3)), ("bill_kwh", _text(pl.col("total"), 3))
        ),
    )


def _energy_frame(frames: _Frames) -> pl.LazyFrame:
    """Tier kWh per bill, shared across periods, priced and rounded: the energy kernel."""
    end = pl.col("start") + pl.col("billed")
    high = pl.when(pl.col("upper").is_null()).then(end).otherwise(pl.min_horizontal(pl.col("upper"), end))
    tier_kwh = (
        frames.tiers.join(frames.bills.select("bill", "start", "billed", "total"), on="bill")
        .with_columns(
            tier_kwh=pl.max_horizontal(high - pl.max_horizontal(pl.col("lower"), pl.col("start")), pl.lit(0))
        )
        .filter(pl.col("tier_kwh") > 0)
    )
    periods = frames.usage.group_by("bill").agg(pl.len().alias("period_count"))
    product = pl.col("tier_kwh").cast(pl.Int128) * pl.col("kwh").cast(pl.Int128)
    joined = (
        tier_kwh.join(frames.usage, on="bill")
        .join(periods, on="bill")
        .with_columns(
            floor=(product // pl.col("total")).cast(pl.Int64),
            remainder=(product % pl.col("total")).cast(pl.Int64),
        )
        .sort(["bill", "tier", "remainder", "period_index"], descending=[False, False, True, False])
        .with_columns(
            rank=pl.int_range(pl.len()).over(["bill", "tier"]),
            left_over=pl.col("tier_kwh") - pl.col("floor").sum().over(["bill", "tier"]),
        )
    )
    share = (
        pl.when(pl.col("period_count") == 1)
        .then(pl.col("tier_kwh"))
        .when(pl.col("tier_kwh") == pl.col("total"))
        .then(pl.col("kwh"))
        .otherwise(pl.col("floor") + (pl.col("rank") < pl.col("left_over")).cast(pl.Int64))
    )
    return (
        joined.with_columns(share=share)
        .filter(pl.col("share") > 0)
        .join(frames.prices, on=["tariff", "period", "tier"])
        .with_columns(
            amount_fen=(
                (pl.col("share").cast(pl.Int128) * pl.col("price").cast(pl.Int128) + _HALF_FEN)
                // _NANO_YUAN_PER_FEN
            ).cast(pl.Int64)
        )
    )


def _energy_lines(frames: _Frames, energy: pl.LazyFrame) -> pl.LazyFrame:
    tiered_inputs = _json(
        ("period_kwh", _text(pl.col("kwh"), 3)),
        ("bill_kwh", _text(pl.col("total"), 3)),
        ("tier_kwh", _text(pl.col("tier_kwh"), 3)),
        ("tier_axis_start_kwh", _text(pl.col("start"), 3)),
        ("thresholds_kwh", pl.col("thresholds")),
    )
    return _line(
        energy.join(frames.bills.select("bill", "thresholds"), on="bill"),
        section=_ENERGY,
        order=pl.col("tier") * _PERIODS_PER_TIER + pl.col("period_index"),
        code=pl.col("code"),
        name_zh=pl.col("name_zh"),
        name_en=pl.col("name_en"),
        quantity=_text(pl.col("share"), 3),
        unit=pl.lit("kWh"),
        unit_price=_text(pl.col("price"), 6),
        amount_fen=pl.col("amount_fen"),
        rule=pl.when(pl.col("tiered")).then(pl.lit("tier")).otherwise(pl.lit("energy")),
        inputs=pl.when(pl.col("tiered"))
        .then(tiered_inputs)
        .otherwise(_json(("period_kwh", _text(pl.col("kwh"), 3)))),
    )


def _basic_charge_frame(frames: _Frames) -> pl.LazyFrame:
    """The basic charge of each two-part bill: by capacity, capacity × price; by demand, the
    billed kW (the contract up to tolerance × contract, else actual + the excess over it) × the
    price (× the discount factor at ≥ 260 kWh per kVA); × days ÷ divisor in a part month; one
    rounding. Quantities in 1e-7 kW or kVA (milli × the 1e-4 factor scale), prices in 1e-10
    yuan."""
    big = pl.Int128
    limit = pl.col("contract").cast(big) * pl.col("tolerance")
    actual = pl.col("max_demand").cast(big) * _FACTOR_SCALE
    billed = (
        pl.when(actual <= limit)
        .then(pl.col("contract").cast(big) * _FACTOR_SCALE)
        .otherwise(2 * actual - limit)
    )
    # The discount applies at kWh ÷ kVA ≥ threshold: compared exactly as kWh ≥ threshold × kVA.
    discounted = (pl.col("contract_capacity") > 0) & (
        pl.col("total").cast(big) * 1000 >= pl.col("threshold").cast(big) * pl.col("contract_capacity")
    )
    quantity = (
        pl.when(pl.col("by_demand")).then(billed).otherwise(pl.col("capacity").cast(big) * _FACTOR_SCALE)
    )
    unit_price = (
        pl.when(pl.col("by_demand") & pl.col("discounted"))
        .then(pl.col("price").cast(big) * pl.col("discount"))
        .otherwise(pl.col("price").cast(big) * _FACTOR_SCALE)
    )
    days = pl.coalesce(pl.col("days_used"), pl.col("divisor"))
    # 1e-7 × 1e-10 = 1e-17 yuan; a fen is 1e-2 yuan: divide by 1e15 × divisor, times days.
    return (
        frames.basic.join(frames.bills.select("bill", "total"), on="bill")
        .with_columns(discounted=discounted)
        .with_columns(quantity=quantity, unit_price=unit_price)
        .with_columns(
            amount_fen=_half_up_division(
                pl.col("quantity") * pl.col("unit_price") * days, pl.col("divisor").cast(big) * 10**15
            ).cast(pl.Int64),
            # kWh per kVA, rounded half up to 0.01 (the reference's explanation).
            kwh_per_kva=pl.when(pl.col("contract_capacity") > 0)
            .then(
                (pl.col("total").cast(big) * 200 + pl.col("contract_capacity"))
                // (2 * pl.col("contract_capacity"))
            )
            .otherwise(0),
        )
    )


def _basic_charge_lines(basic: pl.LazyFrame) -> pl.LazyFrame:
    part = (
        pl.when(pl.col("days_used").is_null())
        .then(pl.lit(""))
        .otherwise(
            pl.concat_str(
                pl.lit(', "days_used": "'),
                pl.col("days_used").cast(pl.String),
                pl.lit('", "part_month_divisor": "'),
                pl.col("divisor").cast(pl.String),
                pl.lit('"'),
            )
        )
    )
    by_demand = _json(
        ("max_demand_kw", _text(pl.col("max_demand"), 3)),
        ("contract_demand_kw", _text(pl.col("contract"), 3)),
        ("tolerance", pl.col("tolerance_text")),
        ("published_price", _text(pl.col("price"), 6)),
        ("kwh_per_kva", _text(pl.col("kwh_per_kva"), 2, fixed=True)),
        (
            "high_load_factor_discount",
            pl.when(pl.col("discounted")).then(pl.lit("yes")).otherwise(pl.lit("no")),
        ),
    )
    by_capacity = _json(("capacity_kva", _text(pl.col("capacity"), 3)))
    demand = pl.col("by_demand")
    return _line(
        basic,
        section=_BASIC,
        order=pl.lit(0),
        code=pl.when(demand).then(pl.lit("basic_charge.demand")).otherwise(pl.lit("basic_charge.capacity")),
        name_zh=pl.when(demand).then(pl.lit("基本电费（按需量）")).otherwise(pl.lit("基本电费（按容量）")),
        name_en=pl.when(demand)
        .then(pl.lit("Basic charge (by demand)"))
        .otherwise(pl.lit("Basic charge (by capacity)")),
        quantity=_text(pl.col("quantity"), 7),
        unit=pl.when(demand).then(pl.lit("kW")).otherwise(pl.lit("kVA")),
        unit_price=_text(pl.col("unit_price"), 10),
        amount_fen=pl.col("amount_fen"),
        rule=pl.when(demand).then(pl.lit("basic_charge.demand")).otherwise(pl.lit("basic_charge.capacity")),
        # The optional part-month keys go before the closing brace.
        inputs=pl.concat_str(
            pl.when(demand).then(by_demand).otherwise(by_capacity).str.strip_suffix("}"), part, pl.lit("}")
        ),
    )


def _power_factor_lines(frames: _Frames, *, energy: pl.LazyFrame, basic: pl.LazyFrame) -> pl.LazyFrame:
    """The power-factor adjustment: the factor rounded half up to 0.01 by exact integer
    comparison (40000·P² ≥ (2k − 1)²·(P² + Q²) for the k it rounds to), the table's percent for
    the tariff's standard, applied to the base lines, one rounding."""
    big = pl.Int128
    p2 = pl.col("p").cast(big) * pl.col("p")
    s2 = p2 + pl.col("q").cast(big) * pl.col("q")
    # The hundredths the factor rounds to: the largest k in 0..100 with 40000·P² ≥ (2k−1)²·S².
    hundredths = pl.sum_horizontal(
        [(40_000 * p2 >= (2 * k - 1) ** 2 * s2).cast(pl.Int64) for k in range(1, 101)]
    )
    table = _frame(
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
        standard=pl.String,
        hundredths=pl.Int64,
        percent_e2=pl.Int64,
    )
    energy_fen = energy.group_by("bill").agg(pl.col("amount_fen").sum().alias("energy_fen"))
    adjusted = (
        frames.power_factor.with_columns(hundredths=hundredths)
        .join(table, on=["standard", "hundredths"])
        .join(energy_fen, on="bill", how="left")
        .join(basic.select("bill", basic_fen="amount_fen"), on="bill", how="left")
        .with_columns(
            base=pl.when(pl.col("with_energy")).then(pl.col("energy_fen").fill_null(0)).otherwise(0)
            + pl.when(pl.col("with_basic")).then(pl.col("basic_fen").fill_null(0)).otherwise(0)
        )
    )
    return _line(
        adjusted,
        section=_POWER_FACTOR,
        order=pl.lit(0),
        code=pl.lit("power_factor"),
        name_zh=pl.lit("功率因数调整电费"),
        name_en=pl.lit("Power factor adjustment"),
        quantity=_text(pl.col("base"), 2, fixed=True),
        unit=pl.lit("yuan"),
        # The rate is percent ÷ 100: percent in hundredths is the rate in 1e-4.
        unit_price=_text(pl.col("percent_e2"), 4),
        # base (fen) × percent (1e-2 %) = 1e-4 of a fen per cent: divide by 10,000.
        amount_fen=_half_up_division(pl.col("base").cast(big) * pl.col("percent_e2"), 10_000),
        rule=pl.lit("power_factor"),
        inputs=_json(
            ("active_kwh", _text(pl.col("p"), 3)),
            ("reactive_kvarh", _text(pl.col("q"), 3)),
            ("power_factor", _text(pl.col("hundredths"), 2, fixed=True)),
            ("standard", pl.col("standard")),
            ("percent", _text(pl.col("percent_e2"), 2, fixed=True)),
            ("base", pl.col("base_text")),
        ),
    )


def _fund_lines(frames: _Frames) -> pl.LazyFrame:
    """Each fund of the tariff on the billed kWh, except for its exempt usage categories."""
    charged = frames.bills.join(frames.funds, on="tariff").join(
        frames.exemptions, on=["tariff", "fund_index", "usage_category"], how="anti"
    )
    return _line(
        charged,
        section=_FUND,
        order=pl.col("fund_index"),
        code=pl.col("code"),
        name_zh=pl.col("name_zh"),
        name_en=pl.col("name_en"),
        quantity=_text(pl.col("billed"), 3),
        unit=pl.lit("kWh"),
        unit_price=_text(pl.col("price"), 6),
        amount_fen=(pl.col("billed").cast(pl.Int128) * pl.col("price") + _HALF_FEN) // _NANO_YUAN_PER_FEN,
        rule=pl.lit("fund"),
        inputs=_json(("billed_kwh", _text(pl.col("billed"), 3))),
    )


def _fixed_charge_lines(frames: _Frames) -> pl.LazyFrame:
    return _line(
        frames.bills.join(frames.fixed, on="tariff"),
        section=_FIXED,
        order=pl.col("fixed_index"),
        code=pl.col("code"),
        name_zh=pl.col("name_zh"),
        name_en=pl.col("name_en"),
        quantity=pl.lit("1"),
        unit=pl.lit("month"),
        unit_price=pl.col("unit_price"),
        amount_fen=pl.col("fen"),
        rule=pl.lit("fixed_charge"),
        inputs=pl.lit("{}"),
    )


def _minimum_lines(frames: _Frames, *, subtotals: pl.LazyFrame) -> pl.LazyFrame:
    """The top-up of a bill whose lines sum to less than its tariff's monthly minimum."""
    short = (
        frames.bills.select("bill", "minimum")
        .join(subtotals.group_by("bill").agg(subtotal=pl.col("amount_fen").sum()), on="bill", how="left")
        .with_columns(pl.col("subtotal").fill_null(0))
        .filter(pl.col("subtotal") < pl.col("minimum"))
        .with_columns(top_up=pl.col("minimum") - pl.col("subtotal"))
    )
    return _line(
        short,
        section=_MINIMUM,
        order=pl.lit(0),
        code=pl.lit("minimum_charge"),
        name_zh=pl.lit("最低电费补足"),
        name_en=pl.lit("Minimum charge top-up"),
        quantity=pl.lit("1"),
        unit=pl.lit("month"),
        unit_price=_text(pl.col("top_up"), 2, fixed=True),
        amount_fen=pl.col("top_up"),
        rule=pl.lit("minimum_charge"),
        inputs=_json(
            ("minimum_charge", _text(pl.col("minimum"), 2, fixed=True)),
            ("subtotal", _text(pl.col("subtotal"), 2, fixed=True)),
        ),
    )


def _fen(value: Decimal) -> int:
    """``value`` yuan rounded half up to whole fen (the reference's ``round_to_fen``)."""
    return int(round_to_fen(value).scaleb(2))


__all__ = [
    "LINE_SCHEMA",
    "EnergyLine",
    "energy_lines",
    "lines_frame_to_bills",
    "register_bill_lines",
    "register_bill_totals",
]
