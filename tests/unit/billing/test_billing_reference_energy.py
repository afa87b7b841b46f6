"""Energy lines of the reference engine: tiers, the annual tier year, TOU proportional split,
allowances, funds, fixed and minimum charges. Every expected figure is derived by hand in a
comment from rules-cn.md §1 and the catalog's prices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal as D

import pytest

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import (
    Bill,
    RegisterBillInput,
    allocate_proportionally,
    calculate_register_bill,
    split_into_tiers,
)
from gridcare.billing.engine.tariff import TariffDocument, parse_tariff_document

Tariffs = Callable[[str], TariffDocument]


def summary(bill: Bill) -> list[tuple[str, str, str, str]]:
    return [(line.code, str(line.quantity), str(line.unit_price), str(line.amount)) for line in bill.lines]


def month_bill(tariff: TariffDocument, energy: dict[str, str], *, month: int = 1, **extra: object) -> Bill:
    end = date(2025, month + 1, 1) if month < 12 else date(2026, 1, 1)
    return calculate_register_bill(
        bill=RegisterBillInput(
            tariff=tariff,
            period_start=date(2025, month, 1),
            period_end=end,
            energy_kwh={period: D(kwh) for period, kwh in energy.items()},
            **extra,  # type: ignore[arg-type]
        )
    )


def test_a_beijing_bill_of_450_kwh_crosses_two_tier_bounds(tariff: Tariffs) -> None:
    # Tiers ≤240 / 241–400 / >400: 240 + 160 + 50 kWh.
    # 240 × 0.4883 = 117.192 → 117.19; 160 × 0.5383 = 86.128 → 86.13; 50 × 0.7883 = 39.415 → 39.42 (half up).
    bill = month_bill(tariff("CN-BJ-RES-2012"), {"total": "450"})
    assert summary(bill) == [
        ("energy.tier1", "240", "0.4883", "117.19"),
        ("energy.tier2", "160", "0.5383", "86.13"),
        ("energy.tier3", "50", "0.7883", "39.42"),
    ]
    assert bill.total == D("242.74")
    assert bill.lines[0].rule == "tier"


def test_a_monthly_tier_ignores_the_kwh_of_earlier_bills(tariff: Tariffs) -> None:
    # Monthly basis: 200 kWh is all tier 1 whatever came before: 200 × 0.4883 = 97.66.
    bill = month_bill(tariff("CN-BJ-RES-2012"), {"total": "200"}, tier_year_kwh_before=D(5000))
    assert summary(bill) == [("energy.tier1", "200", "0.4883", "97.66")]


def test_the_annual_tier_year_is_carried_across_bills(tariff: Tariffs) -> None:
    zhejiang = tariff("CN-ZJ-RES-TIER")
    # November: 2700 kWh already billed, 300 more: 60 in tier 1 (to 2760), 240 in tier 2.
    # 60 × 0.538 = 32.28; 240 × 0.588 = 141.12; total 173.40.
    november = month_bill(zhejiang, {"total": "300"}, month=11, tier_year_kwh_before=D(2700))
    assert summary(november) == [
        ("energy.tier1", "60", "0.538", "32.28"),
        ("energy.tier2", "240", "0.588", "141.12"),
    ]
    assert november.total == D("173.40")
    # December carries 3000: 1850 kWh reach 4850: 1800 in tier 2 (to 4800), 50 in tier 3.
    # 1800 × 0.588 = 1058.40; 50 × 0.838 = 41.90; total 1100.30.
    december = month_bill(zhejiang, {"total": "1850"}, month=12, tier_year_kwh_before=D(3000))
    assert summary(december) == [
        ("energy.tier2", "1800", "0.588", "1058.40"),
        ("energy.tier3", "50", "0.838", "41.90"),
    ]
    assert december.total == D("1100.30")


def test_tou_kwh_in_each_tier_is_shared_in_proportion_to_the_periods(tariff: Tariffs) -> None:
    # Zhejiang TOU, 2700 already billed; peak 200 + valley 100 = 300: tier 1 60, tier 2 240.
    # Peak holds 2/3 of the bill: tier 1 40 peak + 20 valley; tier 2 160 peak + 80 valley.
    # 40 × 0.568 = 22.72; 20 × 0.288 = 5.76; 160 × 0.618 = 98.88; 80 × 0.338 = 27.04; total 154.40.
    bill = month_bill(
        tariff("CN-ZJ-RES-TOU"), {"peak": "200", "valley": "100"}, month=12, tier_year_kwh_before=D(2700)
    )
    assert summary(bill) == [
        ("energy.peak.tier1", "40.000", "0.568", "22.72"),
        ("energy.valley.tier1", "20.000", "0.288", "5.76"),
        ("energy.peak.tier2", "160.000", "0.618", "98.88"),
        ("energy.valley.tier2", "80.000", "0.338", "27.04"),
    ]
    assert bill.total == D("154.40")


def test_tou_shares_that_do_not_divide_go_by_largest_remainder_at_a_thousandth(tariff: Tariffs) -> None:
    # Shanghai TOU, 3100 already billed; peak 100 + valley 50: tier 1 20, tier 2 130.
    # Tier 1: peak 13.333…, valley 6.666… → floors 13.333 + 6.666, the 0.001 left goes to the
    # larger remainder (valley 0.000667 > peak 0.000333): 13.333 + 6.667.
    # Tier 2: peak 86.666…, valley 43.333… → 86.666 + 43.333, the 0.001 to peak: 86.667 + 43.333.
    # 13.333 × 0.617 = 8.226461 → 8.23; 6.667 × 0.307 = 2.046769 → 2.05;
    # 86.667 × 0.677 = 58.673559 → 58.67; 43.333 × 0.337 = 14.603221 → 14.60; total 83.55.
    bill = month_bill(
        tariff("CN-SH-RES-TOU"), {"peak": "100", "valley": "50"}, month=6, tier_year_kwh_before=D(3100)
    )
    assert summary(bill) == [
        ("energy.peak.tier1", "13.333", "0.617", "8.23"),
        ("energy.valley.tier1", "6.667", "0.307", "2.05"),
        ("energy.peak.tier2", "86.667", "0.677", "58.67"),
        ("energy.valley.tier2", "43.333", "0.337", "14.60"),
    ]
    assert bill.total == D("83.55")


def test_a_large_household_annual_quota_grows_by_the_allowance_each_month(tariff: Tariffs) -> None:
    shanghai = tariff("CN-SH-RES-TOU")
    # March: tier-1 bound 3120 + 3 × 100 = 3420. 3300 billed before; 200 peak: 120 tier 1, 80 tier 2.
    # 120 × 0.617 = 74.04; 80 × 0.677 = 54.16; total 128.20.
    energy = {"peak": "200", "valley": "0"}
    large = month_bill(shanghai, energy, month=3, tier_year_kwh_before=D(3300), large_household=True)
    assert summary(large) == [
        ("energy.peak.tier1", "120.000", "0.617", "74.04"),
        ("energy.peak.tier2", "80.000", "0.677", "54.16"),
    ]
    assert large.total == D("128.20")
    # Without the allowance all 200 are tier 2: 200 × 0.677 = 135.40.
    ordinary = month_bill(shanghai, energy, month=3, tier_year_kwh_before=D(3300))
    assert summary(ordinary) == [("energy.peak.tier2", "200", "0.677", "135.40")]


def test_low_income_free_kwh_come_first(tariff: Tariffs) -> None:
    # 15 free kWh occupy the bill's first place on the tier axis: 435 billed from 15.
    # Tier 1 225 × 0.4883 = 109.8675 → 109.87; tier 2 160 → 86.13; tier 3 50 → 39.42; total 235.42.
    bill = month_bill(tariff("CN-BJ-RES-2012"), {"total": "450"}, low_income=True)
    assert summary(bill) == [
        ("allowance.low_income", "15", "0", "0.00"),
        ("energy.tier1", "225", "0.4883", "109.87"),
        ("energy.tier2", "160", "0.5383", "86.13"),
        ("energy.tier3", "50", "0.7883", "39.42"),
    ]
    assert bill.total == D("235.42")
    # A bill under the allowance is free: 10 kWh, nothing to pay.
    small = month_bill(tariff("CN-BJ-RES-2012"), {"total": "10"}, low_income=True)
    assert summary(small) == [("allowance.low_income", "10", "0", "0.00")]
    assert small.total == D("0.00")


def _with(tariff: TariffDocument, **changes: object) -> TariffDocument:
    return parse_tariff_document({**tariff.model_dump(mode="json"), **changes})


def test_funds_are_their_own_line_and_exempt_categories_pay_none(tariff: Tariffs) -> None:
    beijing = _with(
        tariff("CN-BJ-RES-2012"),
        funds=[
            {
                "code": "renewable",
                "name_zh": "可再生能源电价附加",
                "name_en": "Renewable energy surcharge",
                "price_per_kwh": "0.019",
                "exempt_usage_categories": ["agricultural"],
            }
        ],
    )
    # 100 × 0.4883 = 48.83; fund 100 × 0.019 = 1.90; total 50.73.
    bill = month_bill(beijing, {"total": "100"})
    assert summary(bill) == [
        ("energy.tier1", "100", "0.4883", "48.83"),
        ("fund.renewable", "100", "0.019", "1.90"),
    ]
    assert bill.total == D("50.73")
    exempt = month_bill(beijing, {"total": "100"}, usage_category="agricultural")
    assert summary(exempt) == [("energy.tier1", "100", "0.4883", "48.83")]


def test_fixed_charges_and_the_minimum_charge_top_up(tariff: Tariffs) -> None:
    beijing = _with(
        tariff("CN-BJ-RES-2012"),
        fixed_charges=[{"code": "meter", "name_zh": "计量费", "name_en": "Meter", "amount_per_month": "2.5"}],
        minimum_charge_per_month="10",
    )
    # 10 × 0.4883 = 4.883 → 4.88; + 2.50 fixed = 7.38; top-up to 10.00: 2.62.
    bill = month_bill(beijing, {"total": "10"})
    assert summary(bill) == [
        ("energy.tier1", "10", "0.4883", "4.88"),
        ("fixed.meter", "1", "2.5", "2.50"),
        ("minimum_charge", "1", "2.62", "2.62"),
    ]
    assert bill.total == D("10.00")
    # 20 kWh: 9.766 → 9.77 + 2.50 = 12.27 ≥ 10: no top-up.
    assert [line.code for line in month_bill(beijing, {"total": "20"}).lines] == [
        "energy.tier1",
        "fixed.meter",
    ]


def test_the_kwh_of_every_period_are_required(tariff: Tariffs) -> None:
    with pytest.raises(BillInputInvalid) as refused:
        month_bill(tariff("CN-ZJ-RES-TOU"), {"total": "300"})
    assert refused.value.field == "energy_kwh"
    assert "peak, valley" in refused.value.message("en")
    with pytest.raises(BillInputInvalid) as negative:
        month_bill(tariff("CN-BJ-RES-2012"), {"total": "-1"})
    assert negative.value.field == "energy_kwh.total"


def test_the_end_of_the_period_must_follow_its_start(tariff: Tariffs) -> None:
    with pytest.raises(BillInputInvalid) as refused:
        calculate_register_bill(
            bill=RegisterBillInput(
                tariff=tariff("CN-BJ-RES-2012"),
                period_start=date(2025, 2, 1),
                period_end=date(2025, 2, 1),
                energy_kwh={"total": D(1)},
            )
        )
    assert refused.value.field == "period_end"


def test_split_into_tiers_and_allocation_add_up_exactly() -> None:
    assert split_into_tiers(start_kwh=D(230), kwh=D("200.5"), thresholds=(D(240), D(400))) == (
        D(10),
        D(160),
        D("30.5"),
    )
    # 1 kWh in thirds at 0.001: 0.333 each, the 0.001 left to the first of equal remainders.
    assert allocate_proportionally(amount=D(1), weights=(D(1), D(1), D(1)), unit=D("0.001")) == (
        D("0.334"),
        D("0.333"),
        D("0.333"),
    )


def test_equal_remainders_are_ties_broken_by_weight_order_not_by_rounding_noise() -> None:
    """0.544 kWh over weights 2.553, 2.869, 1.690, 0.620 (total 7.732), in milli-kWh:
    544 × 2553 = 1,388,832 = 179 × 7,732 + 4,804;  544 × 2869 = 1,560,736 = 201 × 7,732 + 6,604;
    544 × 1690 = 919,360 = 118 × 7,732 + 6,984;  544 × 620 = 337,280 = 43 × 7,732 + 4,804.
    Floors 179 + 201 + 118 + 43 = 541, so 3 units are left over: to the remainders 6,984 and
    6,604, then to the first of the two equal 4,804s (the first weight), not the last. Computed
    in Decimal, the two equal remainders came out different in the 28th digit and the last
    weight took the unit (found by the engine-against-reference property test)."""
    assert allocate_proportionally(
        amount=D("0.544"), weights=(D("2.553"), D("2.869"), D("1.690"), D("0.620")), unit=D("0.001")
    ) == (D("0.180"), D("0.202"), D("0.119"), D("0.043"))
