"""The scalar Decimal reference implementation of the register billing rules (docs/billing.md).

Plain, line-by-line Decimal arithmetic that a 核算员 can follow: the vectorized engine must
agree with it to the fen. Every line is rounded half up to the fen (``round_to_fen``); the
total is the sum of the lines. Rules and sources: rules-cn.md §1–3 and §8.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from types import MappingProxyType

from gridcare.billing.engine.errors import BillInputInvalid, ContractDemandTooLow
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, TierBasis
from gridcare.kit.money import round_to_fen

#: The key of ``energy_kwh`` for a single-period tariff's kWh.
TOTAL = "total"
#: The finest kWh a tier's share of a period is allocated in (finer if the inputs are finer).
ALLOCATION_UNIT_KWH = Decimal("0.001")
#: The power factor is rounded to this before the table lookup.
POWER_FACTOR_STEP = Decimal("0.01")

# A fixed, generous context: results never depend on the caller's decimal context.
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)

PERIOD_NAMES_ZH = {
    "sharp": "尖峰",
    "peak": "高峰",
    "flat": "平段",
    "valley": "低谷",
    "deep_valley": "深谷",
}


@dataclass(frozen=True, kw_only=True)
class BillLine:
    """One line of a bill and its explanation: which rule made it, from which inputs."""

    code: str
    name_zh: str
    name_en: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    #: Rounded half up to the fen.
    amount: Decimal
    rule: str
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Bill:
    lines: tuple[BillLine, ...]
    #: The sum of the lines' amounts.
    total: Decimal


@dataclass(frozen=True, kw_only=True)
class RegisterBillInput:
    """What one register-read bill is computed from (usage already split by period)."""

    tariff: TariffDocument
    period_start: date
    #: Exclusive.
    period_end: date
    #: kWh per tariff period, or ``{"total": kWh}`` for a single-period tariff.
    energy_kwh: Mapping[str, Decimal]
    reactive_kvarh_forward: Decimal | None = None
    reactive_kvarh_reverse: Decimal | None = None
    basic_charge_method: BasicChargeMethod | None = None
    max_demand_kw: Decimal | None = None
    contract_demand_kw: Decimal | None = None
    #: Running capacity (the capacity method bills it; the PF rule's threshold compares it).
    capacity_kva: Decimal | None = None
    #: Contract capacity for the 260 kWh/kVA rule; ``capacity_kva`` when not given.
    contract_capacity_kva: Decimal | None = None
    #: kWh already billed in this bill's tier year (annual tiers).
    tier_year_kwh_before: Decimal = _ZERO
    #: Days of a part month (basic charge × days ÷ divisor); None for a whole month.
    days_used: int | None = None
    large_household: bool = False
    low_income: bool = False
    #: The account's usage category, for fund exemptions.
    usage_category: str | None = None


def calculate_register_bill(*, bill: RegisterBillInput) -> Bill:
    """The bill's lines (energy per period and tier, basic charge, power-factor adjustment,
    funds, fixed charges, minimum-charge top-up) and their total.

    Raises :class:`BillInputInvalid` (naming the field) or :class:`ContractDemandTooLow`.
    """
    with localcontext(_CONTEXT):
        _check_dates(bill)
        period_kwh = period_energy(tariff=bill.tariff, energy_kwh=bill.energy_kwh)
        total_kwh = sum(period_kwh.values(), _ZERO)
        lines: list[BillLine] = []
        free_line, billed_kwh = _low_income_allowance(bill, total_kwh)
        if free_line is not None:
            lines.append(free_line)
        lines.extend(_energy_lines(bill, period_kwh, total_kwh=total_kwh, billed_kwh=billed_kwh))
        basic = _basic_charge_line(bill, total_kwh)
        if basic is not None:
            lines.append(basic)
        adjustment = _power_factor_line(bill, lines, total_kwh)
        if adjustment is not None:
            lines.append(adjustment)
        lines.extend(_fund_lines(bill, billed_kwh))
        lines.extend(_fixed_charge_lines(bill))
        subtotal = sum((line.amount for line in lines), _ZERO)
        minimum = round_to_fen(bill.tariff.minimum_charge_per_month)
        if subtotal < minimum:
            lines.append(
                BillLine(
                    code="minimum_charge",
                    name_zh="最低电费补足",
                    name_en="Minimum charge top-up",
                    quantity=Decimal(1),
                    unit="month",
                    unit_price=minimum - subtotal,
                    amount=minimum - subtotal,
                    rule="minimum_charge",
                    inputs=_inputs(minimum_charge=minimum, subtotal=subtotal),
                )
            )
        return Bill(lines=tuple(lines), total=round_to_fen(sum((line.amount for line in lines), _ZERO)))


# --- energy ---------------------------------------------------------------------------------


def period_energy(*, tariff: TariffDocument, energy_kwh: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The bill's kWh per tariff period, in the tariff's period order. A single-period tariff
    takes ``{"total": kWh}`` (or its period's name); a TOU tariff needs every period."""
    periods = tariff.energy.periods
    if len(periods) == 1 and set(energy_kwh) == {TOTAL}:
        named = {periods[0]: energy_kwh[TOTAL]}
    else:
        named = dict(energy_kwh)
    if set(named) != set(periods):
        expected = ", ".join(periods) if len(periods) > 1 else f"{TOTAL} (or {periods[0]})"
        raise BillInputInvalid(
            field="energy_kwh",
            reason_zh=f"应给出这些时段的电量：{expected}",
            reason_en=f"give the kWh of exactly these periods: {expected}",
        )
    for period, kwh in named.items():
        if kwh < 0:
            raise BillInputInvalid(
                field=f"energy_kwh.{TOTAL if set(energy_kwh) == {TOTAL} else period}",
                reason_zh="电量不能为负",
                reason_en="kWh cannot be negative",
            )
    return {period: named[period] for period in periods}


def tier_thresholds(*, bill: RegisterBillInput) -> tuple[Decimal, ...]:
    """The tier bounds on this bill's tier axis (kWh). Monthly and seasonal bases count the
    bill's kWh; the annual basis counts the tier year's kWh, so its bounds are compared with
    ``tier_year_kwh_before`` + this bill. A large household's allowance raises the tier-1 bound
    by N kWh for a monthly basis and by N × (the bill's month number) for the annual basis (the
    quota grows by N each month of the calendar tier year); higher bounds below it rise to it."""
    tiers = bill.tariff.energy.tiers
    if tiers is None:
        return ()
    month = bill.period_start.month
    thresholds = list(tiers.thresholds_for(month=month))
    extra = bill.tariff.allowances.large_household_tier1_extra_kwh_per_month
    if bill.large_household and extra and thresholds:
        months = month if tiers.basis is TierBasis.ANNUAL else 1
        thresholds[0] += extra * months
        thresholds = [max(bound, thresholds[0]) for bound in thresholds]
    return tuple(thresholds)


def split_into_tiers(
    *, start_kwh: Decimal, kwh: Decimal, thresholds: Sequence[Decimal]
) -> tuple[Decimal, ...]:
    """The kWh of ``[start_kwh, start_kwh + kwh)`` on the tier axis falling in each tier
    (one entry per tier, ``len(thresholds) + 1``); they add up to ``kwh`` exactly."""
    bounds = [_ZERO, *thresholds]
    end = start_kwh + kwh
    shares = []
    for index, lower in enumerate(bounds):
        upper = bounds[index + 1] if index + 1 < len(bounds) else None
        low = max(lower, start_kwh)
        high = end if upper is None else min(upper, end)
        shares.append(max(high - low, _ZERO))
    return tuple(shares)


def allocate_proportionally(
    *, amount: Decimal, weights: Sequence[Decimal], unit: Decimal
) -> tuple[Decimal, ...]:
    """``amount`` shared in proportion to ``weights`` in whole ``unit``s by the largest-remainder
    method: each share is floored to the unit, then the units left over go one each to the
    largest remainders (ties to the earlier weight). The shares add up to ``amount`` exactly
    (``amount`` must be a whole number of units)."""
    total_weight = sum(weights, _ZERO)
    if total_weight == 0:
        raise ValueError("weights must not all be zero")
    # Exact rational arithmetic, counted in units: Decimal division rounds at 28 digits, and
    # two equal remainders could then differ by rounding noise, breaking their tie by chance
    # instead of by weight order (found by the engine-against-reference property test).
    exact = [
        Fraction(amount) * Fraction(weight) / Fraction(total_weight) / Fraction(unit) for weight in weights
    ]
    floors = [math.floor(value) for value in exact]
    left_over = int(Fraction(amount) / Fraction(unit)) - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-(exact[index] - floors[index]), index))
    for index in by_remainder[:left_over]:
        floors[index] += 1
    return tuple(Decimal(units) * unit for units in floors)


def _allocation_unit(*values: Decimal) -> Decimal:
    exponent = min([_exponent(ALLOCATION_UNIT_KWH), *(_exponent(value) for value in values)])
    return Decimal(1).scaleb(exponent)


def _exponent(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _low_income_allowance(bill: RegisterBillInput, total_kwh: Decimal) -> tuple[BillLine | None, Decimal]:
    """The free-kWh line of a 低保/五保 household and the kWh left to bill. The free kWh are
    the bill's first kWh: they take the bottom of the bill's place on the tier axis."""
    allowance = bill.tariff.allowances.low_income_free_kwh_per_month
    if not bill.low_income or not allowance:
        return None, total_kwh
    free = min(allowance, total_kwh)
    line = BillLine(
        code="allowance.low_income",
        name_zh="低保/五保户免费电量",
        name_en="Low-income household free kWh",
        quantity=free,
        unit="kWh",
        unit_price=_ZERO,
        amount=round_to_fen(_ZERO),
        rule="allowance.low_income",
        inputs=_inputs(free_kwh_per_month=allowance, bill_kwh=total_kwh),
    )
    return line, total_kwh - free


def _energy_lines(
    bill: RegisterBillInput, period_kwh: Mapping[str, Decimal], *, total_kwh: Decimal, billed_kwh: Decimal
) -> list[BillLine]:
    energy = bill.tariff.energy
    free_kwh = total_kwh - billed_kwh
    thresholds = tier_thresholds(bill=bill)
    if energy.tiers is None:
        tier_kwh: tuple[Decimal, ...] = (billed_kwh,)
        start = _ZERO
    else:
        if bill.tier_year_kwh_before < 0:
            raise BillInputInvalid(
                field="tier_year_kwh_before",
                reason_zh="不能为负",
                reason_en="it cannot be negative",
            )
        annual = energy.tiers.basis is TierBasis.ANNUAL
        start = (bill.tier_year_kwh_before if annual else _ZERO) + free_kwh
        tier_kwh = split_into_tiers(start_kwh=start, kwh=billed_kwh, thresholds=thresholds)
    periods = list(period_kwh)
    weights = [period_kwh[period] for period in periods]
    unit = _allocation_unit(*weights, *tier_kwh, start)
    tiered = energy.tiers is not None
    lines = []
    for tier, kwh in enumerate(tier_kwh):
        if kwh == 0:
            continue
        # A single period takes the tier's kWh; a tier holding the whole bill, the metered kWh.
        if len(periods) == 1:
            shares: tuple[Decimal, ...] = (kwh,)
        elif kwh == total_kwh:
            shares = tuple(weights)
        else:
            shares = allocate_proportionally(amount=kwh, weights=weights, unit=unit)
        for period, share in zip(periods, shares, strict=True):
            if share == 0:
                continue
            price = energy.price(period=period, tier=tier)
            lines.append(
                BillLine(
                    code=_energy_code(period=period, tier=tier, tiered=tiered, single=len(periods) == 1),
                    name_zh=_energy_name_zh(
                        period=period, tier=tier, tiered=tiered, single=len(periods) == 1
                    ),
                    name_en=_energy_name_en(
                        period=period, tier=tier, tiered=tiered, single=len(periods) == 1
                    ),
                    quantity=share,
                    unit="kWh",
                    unit_price=price,
                    amount=round_to_fen(share * price),
                    rule="tier" if tiered else "energy",
                    inputs=_inputs(
                        period_kwh=period_kwh[period],
                        bill_kwh=total_kwh,
                        tier_kwh=kwh,
                        tier_axis_start_kwh=start,
                        thresholds_kwh=",".join(str(bound) for bound in thresholds),
                    )
                    if tiered
                    else _inputs(period_kwh=period_kwh[period]),
                )
            )
    return lines


def _energy_code(*, period: str, tier: int, tiered: bool, single: bool) -> str:
    parts = ["energy"] + ([] if single else [period]) + ([f"tier{tier + 1}"] if tiered else [])
    if len(parts) == 1:
        parts.append(period)
    return ".".join(parts)


def _energy_name_zh(*, period: str, tier: int, tiered: bool, single: bool) -> str:
    details = ([] if single else [PERIOD_NAMES_ZH.get(period, period)]) + (
        [f"第{tier + 1}档"] if tiered else []
    )
    return "电度电费" + (f"（{'，'.join(details)}）" if details else "")


def _energy_name_en(*, period: str, tier: int, tiered: bool, single: bool) -> str:
    details = ([] if single else [period]) + ([f"tier {tier + 1}"] if tiered else [])
    return "Energy charge" + (f" ({', '.join(details)})" if details else "")


# --- basic charge ---------------------------------------------------------------------------


def billed_demand_kw(*, max_demand_kw: Decimal, contract_demand_kw: Decimal, tolerance: Decimal) -> Decimal:
    """The kW a month's basic charge bills: the contract value while the maximum demand is at
    most ``tolerance`` × contract; above, the excess over that counts twice."""
    limit = tolerance * contract_demand_kw
    if max_demand_kw <= limit:
        return contract_demand_kw
    return max_demand_kw + (max_demand_kw - limit)


def _basic_charge_line(bill: RegisterBillInput, total_kwh: Decimal) -> BillLine | None:
    rules = bill.tariff.basic_charge
    if rules is None:
        return None
    method = bill.basic_charge_method
    if method is None:
        raise BillInputInvalid(
            field="basic_charge_method",
            reason_zh="两部制电价需选择 demand（按需量）或 capacity（按容量）",
            reason_en="a two-part tariff needs demand or capacity",
        )
    capacity = _required(bill.capacity_kva, "capacity_kva")
    days = bill.days_used
    if days is not None and not 1 <= days <= rules.part_month_divisor:
        raise BillInputInvalid(
            field="days_used",
            reason_zh=f"应在 1 到 {rules.part_month_divisor} 之间",
            reason_en=f"it must be between 1 and {rules.part_month_divisor}",
        )
    part = (
        {} if days is None else {"days_used": str(days), "part_month_divisor": str(rules.part_month_divisor)}
    )
    factor = Decimal(1) if days is None else Decimal(days) / Decimal(rules.part_month_divisor)
    if method is BasicChargeMethod.CAPACITY:
        price = _price_of(rules.capacity_price, "capacity")
        return BillLine(
            code="basic_charge.capacity",
            name_zh="基本电费（按容量）",
            name_en="Basic charge (by capacity)",
            quantity=capacity,
            unit="kVA",
            unit_price=price,
            amount=round_to_fen(capacity * price * factor),
            rule="basic_charge.capacity",
            inputs={"capacity_kva": str(capacity), **part},
        )
    published = _price_of(rules.demand_price, "demand")
    max_demand = _required(bill.max_demand_kw, "max_demand_kw")
    contract = _required(bill.contract_demand_kw, "contract_demand_kw")
    minimum = rules.minimum_contract_demand_share * capacity
    if contract < minimum:
        raise ContractDemandTooLow(
            field="contract_demand_kw",
            contract_kw=contract,
            capacity_kva=capacity,
            share=rules.minimum_contract_demand_share * _HUNDRED,
            minimum_kw=minimum,
        )
    billed = billed_demand_kw(
        max_demand_kw=max_demand, contract_demand_kw=contract, tolerance=rules.contract_demand_tolerance
    )
    contract_capacity = bill.contract_capacity_kva if bill.contract_capacity_kva is not None else capacity
    kwh_per_kva = total_kwh / contract_capacity if contract_capacity else _ZERO
    discounted = kwh_per_kva >= rules.high_load_factor_kwh_per_kva
    price = published * rules.high_load_factor_price_factor if discounted else published
    return BillLine(
        code="basic_charge.demand",
        name_zh="基本电费（按需量）",
        name_en="Basic charge (by demand)",
        quantity=billed,
        unit="kW",
        unit_price=price,
        amount=round_to_fen(billed * price * factor),
        rule="basic_charge.demand",
        inputs={
            "max_demand_kw": str(max_demand),
            "contract_demand_kw": str(contract),
            "tolerance": str(rules.contract_demand_tolerance),
            "published_price": str(published),
            "kwh_per_kva": str(kwh_per_kva.quantize(Decimal("0.01"))),
            "high_load_factor_discount": "yes" if discounted else "no",
            **part,
        },
    )


def _price_of(price: Decimal | None, method: str) -> Decimal:
    if price is None:
        raise BillInputInvalid(
            field="basic_charge_method",
            reason_zh=f"该电价没有按{'容量' if method == 'capacity' else '需量'}计收的基本电价",
            reason_en=f"the tariff has no {method} price",
        )
    return price


def _required(value: Decimal | None, name: str) -> Decimal:
    if value is None:
        raise BillInputInvalid(field=name, reason_zh="该电价需要此项", reason_en="the tariff needs it")
    if value < 0:
        raise BillInputInvalid(field=name, reason_zh="不能为负", reason_en="it cannot be negative")
    return value


# --- power factor ---------------------------------------------------------------------------


def power_factor(*, active_kwh: Decimal, reactive_kvarh: Decimal) -> Decimal:
    """P / √(P² + Q²) rounded half up to 2 decimals (Q already |forward| + |reverse|)."""
    with localcontext(_CONTEXT):
        return round_power_factor(
            active_kwh / (active_kwh * active_kwh + reactive_kvarh * reactive_kvarh).sqrt()
        )


def round_power_factor(value: Decimal) -> Decimal:
    """A power factor rounded half up to 2 decimals, as the table is read (0.895 → 0.90)."""
    return value.quantize(POWER_FACTOR_STEP, rounding=ROUND_HALF_UP, context=_CONTEXT)


#: The credit cap (percent, negative) of each standard.
_CREDIT_CAP = {
    Decimal("0.90"): Decimal("-0.75"),
    Decimal("0.85"): Decimal("-1.10"),
    Decimal("0.80"): Decimal("-1.30"),
}


def power_factor_percent(*, power_factor: Decimal, standard: Decimal) -> Decimal:
    """The adjustment in percent of the base ((83)水电财字第215号; negative = credit), by the
    table's per-0.01 rules. Below the standard: +0.5% per 0.01 down to standard − 0.20, +1% per
    0.01 down to standard − 0.25, +2% per 0.01 below. Above: −0.1% per 0.01 up to 0.90, −0.15%
    per 0.01 above 0.90, capped at the standard's maximum credit."""
    return _percent(steps=int((standard - power_factor) / POWER_FACTOR_STEP), standard=standard).quantize(
        Decimal("0.01")
    )


def _percent(*, steps: int, standard: Decimal) -> Decimal:
    if steps >= 0:
        if steps <= 20:
            return Decimal("0.5") * steps
        if steps <= 25:
            return Decimal(10) + (steps - 20)
        return Decimal(15) + 2 * (steps - 25)
    credit = _ZERO
    for step in range(1, -steps + 1):
        reached = standard + POWER_FACTOR_STEP * step
        credit -= Decimal("0.1") if reached <= Decimal("0.90") else Decimal("0.15")
    return max(credit, _CREDIT_CAP[standard])


def _power_factor_line(
    bill: RegisterBillInput, lines: Sequence[BillLine], total_kwh: Decimal
) -> BillLine | None:
    rules = bill.tariff.power_factor
    if rules is None:
        return None
    capacity = _required(bill.capacity_kva, "capacity_kva")
    if capacity < rules.minimum_capacity_kva:
        return None
    if bill.reactive_kvarh_forward is None and bill.reactive_kvarh_reverse is None:
        raise BillInputInvalid(
            field="reactive_kvarh",
            reason_zh="该电价执行功率因数调整，需给出无功电量",
            reason_en="the tariff adjusts for power factor: give the reactive kvarh",
        )
    reactive = abs(bill.reactive_kvarh_forward or _ZERO) + abs(bill.reactive_kvarh_reverse or _ZERO)
    if total_kwh == 0 and reactive == 0:
        return None
    factor = power_factor(active_kwh=total_kwh, reactive_kvarh=reactive)
    standard = Decimal(rules.standard)
    percent = power_factor_percent(power_factor=factor, standard=standard)
    base_prefixes = tuple("basic_charge." if part == "basic" else "energy" for part in rules.base)
    base = sum((line.amount for line in lines if line.code.startswith(base_prefixes)), _ZERO)
    rate = percent / _HUNDRED
    return BillLine(
        code="power_factor",
        name_zh="功率因数调整电费",
        name_en="Power factor adjustment",
        quantity=base,
        unit="yuan",
        unit_price=rate,
        amount=round_to_fen(base * rate),
        rule="power_factor",
        inputs=_inputs(
            active_kwh=total_kwh,
            reactive_kvarh=reactive,
            power_factor=factor,
            standard=standard,
            percent=percent,
            base=",".join(rules.base),
        ),
    )


# --- funds and fixed charges ----------------------------------------------------------------


def _fund_lines(bill: RegisterBillInput, billed_kwh: Decimal) -> list[BillLine]:
    lines = []
    for fund in bill.tariff.funds:
        if bill.usage_category is not None and bill.usage_category in fund.exempt_usage_categories:
            continue
        lines.append(
            BillLine(
                code=f"fund.{fund.code}",
                name_zh=fund.name_zh,
                name_en=fund.name_en,
                quantity=billed_kwh,
                unit="kWh",
                unit_price=fund.price_per_kwh,
                amount=round_to_fen(billed_kwh * fund.price_per_kwh),
                rule="fund",
                inputs=_inputs(billed_kwh=billed_kwh),
            )
        )
    return lines


def _fixed_charge_lines(bill: RegisterBillInput) -> list[BillLine]:
    return [
        BillLine(
            code=f"fixed.{charge.code}",
            name_zh=charge.name_zh,
            name_en=charge.name_en,
            quantity=Decimal(1),
            unit="month",
            unit_price=charge.amount_per_month,
            amount=round_to_fen(charge.amount_per_month),
            rule="fixed_charge",
        )
        for charge in bill.tariff.fixed_charges
    ]


def _check_dates(bill: RegisterBillInput) -> None:
    if bill.period_end <= bill.period_start:
        raise BillInputInvalid(
            field="period_end",
            reason_zh="结束日期（不含）必须晚于开始日期",
            reason_en="the (exclusive) end must be after the start",
        )


def _inputs(**values: object) -> Mapping[str, str]:
    return MappingProxyType({name: str(value) for name, value in values.items()})


__all__ = [
    "TOTAL",
    "Bill",
    "BillLine",
    "RegisterBillInput",
    "allocate_proportionally",
    "billed_demand_kw",
    "calculate_register_bill",
    "period_energy",
    "power_factor",
    "power_factor_percent",
    "round_power_factor",
    "split_into_tiers",
    "tier_thresholds",
]
