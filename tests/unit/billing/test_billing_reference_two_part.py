"""The two-part tariff in the reference engine: basic charge by demand (the 105% rule, the
260 kWh/kVA discount, the 40% floor) and by capacity, part months, and the power-factor
adjustment (rounding, the full table, the base without funds). DEMO-GD-LI-2P: demand 32.00
yuan/kW·month, capacity 22.00 yuan/kVA·month, PF standard 0.90, funds 0.029 yuan/kWh."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal as D

import pytest

from gridcare.billing.engine.errors import BillInputInvalid, ContractDemandTooLow
from gridcare.billing.engine.reference import (
    Bill,
    BillLine,
    RegisterBillInput,
    calculate_register_bill,
    power_factor,
    power_factor_percent,
    round_power_factor,
)
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument

Tariffs = Callable[[str], TariffDocument]

#: 100,000 kWh: 10,000 sharp, 30,000 peak, 40,000 flat, 20,000 valley.
#: 10000 × 1.38125 = 13812.50; 30000 × 1.105 = 33150.00; 40000 × 0.65 = 26000.00;
#: 20000 × 0.247 = 4940.00; energy 77902.50. Funds 100000 × 0.029 = 2900.00.
ENERGY = {"sharp": D(10000), "peak": D(30000), "flat": D(40000), "valley": D(20000)}
#: Q = 48,000 kvarh: PF = 100000 / √(100000² + 48000²) = 0.90152… → 0.90, no adjustment.
NEUTRAL_REACTIVE = D(48000)


def two_part_bill(tariff: Tariffs, **overrides: object) -> Bill:
    values: dict[str, object] = {
        "tariff": tariff("DEMO-GD-LI-2P"),
        "period_start": date(2025, 7, 1),
        "period_end": date(2025, 8, 1),
        "energy_kwh": ENERGY,
        "reactive_kvarh_forward": NEUTRAL_REACTIVE,
        "basic_charge_method": BasicChargeMethod.DEMAND,
        "max_demand_kw": D(400),
        "contract_demand_kw": D(400),
        "capacity_kva": D(500),
    }
    values.update(overrides)
    return calculate_register_bill(bill=RegisterBillInput(**values))  # type: ignore[arg-type]


def line(bill: Bill, code: str) -> BillLine:
    return next(line for line in bill.lines if line.code == code)


@pytest.mark.parametrize(
    ("max_demand_kw", "billed_kw", "amount"),
    [
        # 100% of the 400 kW contract: the contract, 400 × 32 = 12800.00.
        ("400", "400", "12800.00"),
        # 105% = 420 kW: still the contract.
        ("420", "400", "12800.00"),
        # 106% = 424 kW: 424 + (424 − 420) = 428 kW; 428 × 32 = 13696.00.
        ("424", "428", "13696.00"),
        # Below the contract: the contract.
        ("150", "400", "12800.00"),
    ],
)
def test_demand_is_billed_by_the_105_percent_rule(
    tariff: Tariffs, max_demand_kw: str, billed_kw: str, amount: str
) -> None:
    basic = line(two_part_bill(tariff, max_demand_kw=D(max_demand_kw)), "basic_charge.demand")
    assert (basic.quantity, basic.unit, basic.unit_price, basic.amount) == (
        D(billed_kw),
        "kW",
        D("32.00"),
        D(amount),
    )
    assert basic.inputs["high_load_factor_discount"] == "no"


def test_260_kwh_per_kva_discounts_the_demand_price_by_a_tenth(tariff: Tariffs) -> None:
    # 130,000 kWh ÷ 500 kVA = 260 → 32.00 × 0.9 = 28.800; 400 × 28.8 = 11520.00.
    high = {**ENERGY, "flat": D(70000)}
    basic = line(
        two_part_bill(tariff, energy_kwh=high, reactive_kvarh_forward=D(60000)), "basic_charge.demand"
    )
    assert (basic.unit_price, basic.amount, basic.inputs["kwh_per_kva"]) == (
        D("28.800"),
        D("11520.00"),
        "260.00",
    )
    # 129,999 kWh → 259.998 kWh/kVA: the published price.
    below = {**ENERGY, "flat": D(69999)}
    basic = line(
        two_part_bill(tariff, energy_kwh=below, reactive_kvarh_forward=D(60000)), "basic_charge.demand"
    )
    assert (basic.unit_price, basic.amount) == (D("32.00"), D("12800.00"))
    # The contract capacity, when given, is the divisor: 130,000 ÷ 520 = 250 → no discount.
    basic = line(
        two_part_bill(tariff, energy_kwh=high, reactive_kvarh_forward=D(60000), contract_capacity_kva=D(520)),
        "basic_charge.demand",
    )
    assert basic.unit_price == D("32.00")


def test_a_contract_demand_below_40_percent_of_capacity_is_refused(tariff: Tariffs) -> None:
    # 40% of 500 kVA = 200 kW: 199 is refused, 200 accepted (billed 200 × 32 = 6400.00).
    with pytest.raises(ContractDemandTooLow) as refused:
        two_part_bill(tariff, contract_demand_kw=D(199), max_demand_kw=D(150))
    assert refused.value.field == "contract_demand_kw"
    assert refused.value.message("en") == (
        "The contract demand 199 kW is below 40.00% of the running capacity 500 kVA (at least 200.00 kW)"
    )
    accepted = two_part_bill(tariff, contract_demand_kw=D(200), max_demand_kw=D(150))
    assert line(accepted, "basic_charge.demand").amount == D("6400.00")


def test_the_capacity_method_bills_the_running_capacity(tariff: Tariffs) -> None:
    # 500 kVA × 22.00 = 11000.00, whatever the demand.
    bill = two_part_bill(tariff, basic_charge_method=BasicChargeMethod.CAPACITY, max_demand_kw=D(900))
    basic = line(bill, "basic_charge.capacity")
    assert (basic.quantity, basic.unit, basic.unit_price, basic.amount) == (
        D(500),
        "kVA",
        D("22.00"),
        D("11000.00"),
    )


def test_part_months_bill_days_used_over_30(tariff: Tariffs) -> None:
    # Demand: 400 × 32 × 12 ÷ 30 = 5120.00.
    demand = line(two_part_bill(tariff, days_used=12), "basic_charge.demand")
    assert (demand.amount, demand.inputs["days_used"], demand.inputs["part_month_divisor"]) == (
        D("5120.00"),
        "12",
        "30",
    )
    # Capacity: 500 × 22 × 7 ÷ 30 = 2566.666… → 2566.67.
    capacity = two_part_bill(tariff, basic_charge_method=BasicChargeMethod.CAPACITY, days_used=7)
    assert line(capacity, "basic_charge.capacity").amount == D("2566.67")
    with pytest.raises(BillInputInvalid) as refused:
        two_part_bill(tariff, days_used=31)
    assert refused.value.field == "days_used"


def test_the_basic_charge_inputs_are_required(tariff: Tariffs) -> None:
    for missing in ("basic_charge_method", "max_demand_kw", "contract_demand_kw", "capacity_kva"):
        with pytest.raises(BillInputInvalid) as refused:
            two_part_bill(tariff, **{missing: None})
        assert refused.value.field == missing


def test_the_power_factor_is_rounded_half_up_to_two_decimals_in_decimal() -> None:
    assert round_power_factor(D("0.895")) == D("0.90")
    assert round_power_factor(D("0.8949")) == D("0.89")
    assert round_power_factor(D("0.845")) == D("0.85")
    # 895 / √(895² + 446²) = 0.895026… → 0.90; 895 / √(895² + 446.07²) = 0.894998… → 0.89.
    assert power_factor(active_kwh=D(895), reactive_kvarh=D(446)) == D("0.90")
    assert power_factor(active_kwh=D(895), reactive_kvarh=D("446.07")) == D("0.89")
    assert power_factor(active_kwh=D(100), reactive_kvarh=D(0)) == D("1.00")


#: rules-cn.md §3, every printed row: PF → (std 0.90, std 0.85, std 0.80), percent.
PRINTED_TABLE = {
    "0.95": ("-0.75", "-1.10", "-1.30"),
    "0.94": ("-0.60", "-1.10", "-1.30"),
    "0.93": ("-0.45", "-0.95", "-1.30"),
    "0.92": ("-0.30", "-0.80", "-1.30"),
    "0.91": ("-0.15", "-0.65", "-1.15"),
    "0.90": ("0", "-0.50", "-1.00"),
    "0.89": ("0.5", "-0.40", "-0.90"),
    "0.88": ("1.0", "-0.30", "-0.80"),
    "0.87": ("1.5", "-0.20", "-0.70"),
    "0.86": ("2.0", "-0.10", "-0.60"),
    "0.85": ("2.5", "0", "-0.50"),
    "0.84": ("3.0", "0.5", "-0.40"),
    "0.83": ("3.5", "1.0", "-0.30"),
    "0.82": ("4.0", "1.5", "-0.20"),
    "0.81": ("4.5", "2.0", "-0.10"),
    "0.80": ("5.0", "2.5", "0"),
    "0.75": ("7.5", "5.0", "2.5"),
    "0.70": ("10", "7.5", "5.0"),
    "0.65": ("15", "10", "7.5"),
    "0.60": ("25", "15", "10"),
    "0.55": ("35", "25", "15"),
    "0.50": ("45", "35", "25"),
}


@pytest.mark.parametrize("row", sorted(PRINTED_TABLE))
def test_every_printed_row_of_the_power_factor_table(row: str) -> None:
    for standard, expected in zip(("0.90", "0.85", "0.80"), PRINTED_TABLE[row], strict=True):
        assert power_factor_percent(power_factor=D(row), standard=D(standard)) == D(expected), (row, standard)


def test_the_table_rows_not_printed_follow_the_steps() -> None:
    # Above 0.95 the credit stays capped; between printed rows the per-0.01 steps hold.
    assert power_factor_percent(power_factor=D("1.00"), standard=D("0.90")) == D("-0.75")
    assert power_factor_percent(power_factor=D("0.99"), standard=D("0.80")) == D("-1.30")
    # std 0.90: 0.69 is 21 steps below: 10 + 1 = 11; 0.64 is 26 below: 15 + 2 = 17; 0.49: 45 + 2 = 47.
    assert power_factor_percent(power_factor=D("0.69"), standard=D("0.90")) == D("11")
    assert power_factor_percent(power_factor=D("0.64"), standard=D("0.90")) == D("17")
    assert power_factor_percent(power_factor=D("0.49"), standard=D("0.90")) == D("47")
    assert power_factor_percent(power_factor=D("0.77"), standard=D("0.90")) == D("6.5")


def test_the_power_factor_adjustment_excludes_funds_from_its_base(tariff: Tariffs) -> None:
    # Q = 60,000: PF = 0.857492… → 0.86 → +2.0% at standard 0.90.
    # Base = energy 77902.50 + basic 12800.00 = 90702.50 (funds 2900.00 not in it);
    # 90702.50 × 2% = 1814.05 (with funds it would be 1872.05). Total 90702.50 + 1814.05 + 2900.00 = 95416.55.
    bill = two_part_bill(tariff, reactive_kvarh_forward=D(50000), reactive_kvarh_reverse=D(-10000))
    adjustment = line(bill, "power_factor")
    assert (adjustment.quantity, adjustment.unit_price, adjustment.amount) == (
        D("90702.50"),
        D("0.02"),
        D("1814.05"),
    )
    assert adjustment.inputs["power_factor"] == "0.86"
    assert adjustment.inputs["reactive_kvarh"] == "60000"
    assert line(bill, "fund.government_funds").amount == D("2900.00")
    assert bill.total == D("95416.55")
    assert bill.total == sum(line.amount for line in bill.lines)


def test_a_good_power_factor_earns_a_credit_rounded_half_up(tariff: Tariffs) -> None:
    # Q = 30,000: PF = 0.957826… → 0.96 → −0.75%; 90702.50 × −0.0075 = −680.26875 → −680.27.
    bill = two_part_bill(tariff, reactive_kvarh_forward=D(30000))
    assert line(bill, "power_factor").amount == D("-680.27")
    assert bill.total == D("92922.23")  # 90702.50 − 680.27 + 2900.00


def test_no_power_factor_adjustment_under_the_minimum_capacity(tariff: Tariffs) -> None:
    # 80 kVA < 100 kVA: no adjustment line even at a poor PF (contract 400 ≥ 40% × 80).
    bill = two_part_bill(tariff, capacity_kva=D(80), reactive_kvarh_forward=D(90000))
    assert [line.code for line in bill.lines] == [
        "energy.sharp",
        "energy.peak",
        "energy.flat",
        "energy.valley",
        "basic_charge.demand",
        "fund.government_funds",
    ]


def test_reactive_energy_is_required_where_the_power_factor_is_adjusted(tariff: Tariffs) -> None:
    with pytest.raises(BillInputInvalid) as refused:
        two_part_bill(tariff, reactive_kvarh_forward=None)
    assert refused.value.field == "reactive_kvarh"
