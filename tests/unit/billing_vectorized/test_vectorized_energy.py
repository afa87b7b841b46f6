"""The vectorized engine's energy lines equal the reference's, line for line, to the fen."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gridcare.billing.engine.reference import RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, parse_tariff_document
from gridcare.billing.engine.vectorized import energy_lines, register_bill_totals

CATALOG = Path(__file__).resolve().parents[3] / "src" / "gridcare" / "tariffs" / "catalog"
RESIDENTIAL = {
    code: parse_tariff_document(json.loads((CATALOG / f"{code}.json").read_text()))
    for code in ("CN-BJ-RES-2012", "CN-ZJ-RES-TIER", "CN-ZJ-RES-TOU", "CN-SH-RES-TOU")
}
MILLI_UNIT = Decimal("0.001")
MILLI_KWH = st.integers(min_value=0, max_value=3_000_000).map(lambda milli: Decimal(milli).scaleb(-3))


def reference_energy(bill: RegisterBillInput) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [
        (line.quantity, line.unit_price, line.amount)
        for line in calculate_register_bill(bill=bill).lines
        if line.rule in {"tier", "energy"}
    ]


@st.composite
def residential_bills(draw: st.DrawFn) -> RegisterBillInput:
    tariff: TariffDocument = RESIDENTIAL[draw(st.sampled_from(sorted(RESIDENTIAL)))]
    month = draw(st.integers(min_value=1, max_value=12))
    return RegisterBillInput(
        tariff=tariff,
        period_start=date(2026, month, 1),
        period_end=date(2026 + month // 12, month % 12 + 1, 1),
        energy_kwh={period: draw(MILLI_KWH) for period in tariff.energy.periods},
        tier_year_kwh_before=Decimal(draw(st.integers(min_value=0, max_value=6_000_000))).scaleb(-3),
        large_household=draw(st.booleans()),
        low_income=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(bills=st.lists(residential_bills(), min_size=1, max_size=12))
def test_the_energy_lines_of_a_batch_equal_the_reference_bill_by_bill(bills: list[RegisterBillInput]) -> None:
    vectorized = energy_lines(bills=bills)
    for index, bill in enumerate(bills):
        mine = [
            (line.quantity, line.unit_price, line.amount) for line in vectorized if line.bill_index == index
        ]
        assert mine == reference_energy(bill)


def test_a_tou_bill_crossing_a_tier_is_split_like_the_reference() -> None:
    # Zhejiang TOU, 2,700 kWh already this year, 300 kWh peak + 100 kWh valley: 60 kWh left in
    # tier 1 (shared 45 / 15 by the 3:1 peak:valley split), 340 kWh in tier 2 (255 / 85).
    bill = RegisterBillInput(
        tariff=RESIDENTIAL["CN-ZJ-RES-TOU"],
        period_start=date(2026, 11, 1),
        period_end=date(2026, 12, 1),
        energy_kwh={"peak": Decimal(300), "valley": Decimal(100)},
        tier_year_kwh_before=Decimal(2700),
    )
    lines = energy_lines(bills=[bill])
    assert [(line.period, line.tier, line.quantity, line.amount) for line in lines] == [
        ("peak", 0, Decimal("45.000"), Decimal("25.56")),  # 45 × 0.568 = 25.560
        ("valley", 0, Decimal("15.000"), Decimal("4.32")),  # 15 × 0.288 = 4.320
        ("peak", 1, Decimal("255.000"), Decimal("157.59")),  # 255 × 0.618 = 157.590
        ("valley", 1, Decimal("85.000"), Decimal("28.73")),  # 85 × 0.338 = 28.730
    ]
    assert [(q, a) for q, _, a in reference_energy(bill)] == [(line.quantity, line.amount) for line in lines]


def _with_funds_fixed_and_minimum(document: TariffDocument, *, minimum: Decimal) -> TariffDocument:
    data = document.model_dump(mode="json")
    data["funds"] = [
        {
            "code": "renewables",
            "name_zh": "可再生能源电价附加",
            "name_en": "Renewables",
            "price_per_kwh": "0.019",
            "exempt_usage_categories": ["agriculture"],
        },
        {
            "code": "reservoir",
            "name_zh": "水库移民后期扶持基金",
            "name_en": "Reservoir",
            "price_per_kwh": "0.0049",
        },
    ]
    data["fixed_charges"] = [
        {"code": "meter", "name_zh": "计量费", "name_en": "Meter", "amount_per_month": "1.005"}
    ]
    data["minimum_charge_per_month"] = str(minimum)
    return parse_tariff_document(data)


@st.composite
def bills_with_charges(draw: st.DrawFn) -> RegisterBillInput:
    bill = draw(residential_bills())
    minimum = Decimal(draw(st.integers(min_value=0, max_value=30_000))).scaleb(-2)
    return RegisterBillInput(
        tariff=_with_funds_fixed_and_minimum(bill.tariff, minimum=minimum),
        period_start=bill.period_start,
        period_end=bill.period_end,
        energy_kwh=bill.energy_kwh,
        tier_year_kwh_before=bill.tier_year_kwh_before,
        large_household=bill.large_household,
        low_income=bill.low_income,
        usage_category=draw(st.sampled_from([None, "residential", "agriculture"])),
    )


@settings(max_examples=100, deadline=None)
@given(bills=st.lists(bills_with_charges(), min_size=1, max_size=10))
def test_batch_totals_with_funds_fixed_charges_and_minimums_equal_the_reference(
    bills: list[RegisterBillInput],
) -> None:
    assert register_bill_totals(bills=bills) == [calculate_register_bill(bill=bill).total for bill in bills]


INDUSTRY = parse_tariff_document(json.loads((CATALOG / "DEMO-GD-LI-2P.json").read_text()))


@st.composite
def two_part_bills(draw: st.DrawFn) -> RegisterBillInput:
    capacity = Decimal(draw(st.integers(min_value=50_000, max_value=20_000_000))).scaleb(-3)
    contract = max(
        capacity * Decimal("0.4"), Decimal(draw(st.integers(min_value=1, max_value=20_000_000))).scaleb(-3)
    )
    contract = contract.quantize(MILLI_UNIT)
    if contract < capacity * Decimal("0.4"):
        contract += MILLI_UNIT
    demand = Decimal(draw(st.integers(min_value=0, max_value=30_000_000))).scaleb(-3)
    kwh = {
        period: Decimal(draw(st.integers(min_value=0, max_value=5_000_000_000))).scaleb(-3)
        for period in INDUSTRY.energy.periods
    }
    return RegisterBillInput(
        tariff=INDUSTRY,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 8, 1),
        energy_kwh=kwh,
        reactive_kvarh_forward=Decimal(draw(st.integers(min_value=0, max_value=5_000_000_000))).scaleb(-3),
        reactive_kvarh_reverse=Decimal(draw(st.integers(min_value=0, max_value=50_000_000))).scaleb(-3),
        basic_charge_method=draw(st.sampled_from(list(BasicChargeMethod))),
        max_demand_kw=demand,
        contract_demand_kw=contract,
        capacity_kva=capacity,
        days_used=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=30))),
        usage_category=draw(st.sampled_from([None, "large_industry"])),
    )


@settings(max_examples=150, deadline=None)
@given(bills=st.lists(two_part_bills(), min_size=1, max_size=8))
def test_two_part_bills_with_power_factor_equal_the_reference(bills: list[RegisterBillInput]) -> None:
    assert register_bill_totals(bills=bills) == [calculate_register_bill(bill=bill).total for bill in bills]


def test_power_factor_rounding_edges_are_exact() -> None:
    # P = 3,000 kWh, Q = 4,000 kvarh: exactly 0.60, 30 hundredths below the 0.90 standard:
    # +10% for the first 20, +5% for the next 5, +2% × 5 → +25% of basic + energy.
    bill = RegisterBillInput(
        tariff=INDUSTRY,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        energy_kwh={"sharp": Decimal(0), "peak": Decimal(3000), "flat": Decimal(0), "valley": Decimal(0)},
        reactive_kvarh_forward=Decimal(4000),
        basic_charge_method=BasicChargeMethod.CAPACITY,
        capacity_kva=Decimal(400),
    )
    # Energy 3,000 × 1.105 = 3,315.00; basic 400 kVA × 22.00 = 8,800.00; adjustment 25% of
    # 12,115.00 = 3,028.75; funds 3,000 × 0.029 = 87.00 (outside the base): 15,230.75.
    assert register_bill_totals(bills=[bill]) == [Decimal("15230.75")]
    assert calculate_register_bill(bill=bill).total == Decimal("15230.75")
