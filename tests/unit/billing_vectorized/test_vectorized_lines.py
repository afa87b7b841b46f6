"""The vectorized lines frame equals the reference's lines, field by field, for random tariffs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from gridcare.billing.engine.reference import Bill, RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, parse_tariff_document
from gridcare.billing.engine.vectorized import (
    LINE_SCHEMA,
    lines_frame_to_bills,
    register_bill_lines,
    register_bill_totals,
)

CATALOG = Path(__file__).resolve().parents[3] / "src" / "gridcare" / "tariffs" / "catalog"
PERIOD_NAMES = ("sharp", "peak", "flat", "valley", "deep_valley")


def decimals(*, max_units: int, scale: int, min_units: int = 0) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=min_units, max_value=max_units).map(
        lambda units: Decimal(units).scaleb(-scale)
    )


def comparable(inputs: Mapping[str, str]) -> dict[str, tuple[Decimal | str, ...]]:
    """An explanation's values compared by value: each comma-separated part as a Decimal when
    it is one (the engines may write 300 or 300.000), else as text."""

    def value(part: str) -> Decimal | str:
        try:
            return Decimal(part)
        except ArithmeticError:
            return part

    return {name: tuple(value(part) for part in text.split(",")) for name, text in inputs.items()}


def assert_same_bill(mine: Bill, reference: Bill) -> None:
    assert [
        (
            line.code,
            line.name_zh,
            line.name_en,
            line.quantity,
            line.unit,
            line.unit_price,
            line.amount,
            line.rule,
        )
        for line in mine.lines
    ] == [
        (
            line.code,
            line.name_zh,
            line.name_en,
            line.quantity,
            line.unit,
            line.unit_price,
            line.amount,
            line.rule,
        )
        for line in reference.lines
    ]
    assert [comparable(line.inputs) for line in mine.lines] == [
        comparable(line.inputs) for line in reference.lines
    ]
    assert mine.total == reference.total


@st.composite
def tariffs(draw: st.DrawFn) -> TariffDocument:
    periods = draw(st.lists(st.sampled_from(PERIOD_NAMES), min_size=1, max_size=4, unique=True))
    tier_count = draw(st.integers(min_value=1, max_value=3))
    energy: dict[str, object] = {"periods": periods}
    if tier_count > 1:
        basis = draw(st.sampled_from(["monthly", "annual", "seasonal_monthly"]))
        bounds = st.lists(
            st.integers(min_value=1, max_value=6_000_000),
            min_size=tier_count - 1,
            max_size=tier_count - 1,
            unique=True,
        ).map(lambda values: [str(Decimal(value).scaleb(-3)) for value in sorted(values)])
        if basis == "seasonal_monthly":
            energy["tiers"] = {
                "basis": basis,
                "seasons": [
                    {"months": [5, 6, 7, 8, 9, 10], "thresholds_kwh": draw(bounds)},
                    {"months": [1, 2, 3, 4, 11, 12], "thresholds_kwh": draw(bounds)},
                ],
            }
        else:
            energy["tiers"] = {"basis": basis, "thresholds_kwh": draw(bounds)}
    price = decimals(max_units=2_000_000, scale=6)
    if draw(st.booleans()):
        energy["prices"] = {period: [str(draw(price)) for _ in range(tier_count)] for period in periods}
    else:
        energy["base_prices"] = {period: str(draw(price)) for period in periods}
        energy["tier_uplifts"] = [str(draw(decimals(max_units=500_000, scale=6))) for _ in range(tier_count)]
    document: dict[str, object] = {
        "code": "RANDOM-1",
        "name_zh": "随机",
        "name_en": "Random",
        "energy": energy,
        "allowances": {
            "large_household_tier1_extra_kwh_per_month": str(draw(decimals(max_units=200_000, scale=3))),
            "low_income_free_kwh_per_month": str(draw(decimals(max_units=30_000, scale=3))),
        },
        "funds": [
            {
                "code": f"f{index}",
                "name_zh": f"基金{index}",
                "name_en": f"Fund {index}",
                "price_per_kwh": str(draw(decimals(max_units=50_000, scale=6))),
                "exempt_usage_categories": draw(
                    st.lists(st.sampled_from(["agriculture", "residential"]), unique=True)
                ),
            }
            for index in range(draw(st.integers(min_value=0, max_value=2)))
        ],
        "fixed_charges": [
            {
                "code": f"c{index}",
                "name_zh": f"固定{index}",
                "name_en": f"Fixed {index}",
                "amount_per_month": str(draw(decimals(max_units=100_000, scale=3))),
            }
            for index in range(draw(st.integers(min_value=0, max_value=2)))
        ],
        "minimum_charge_per_month": str(draw(decimals(max_units=50_000, scale=2))),
    }
    if len(periods) > 1:
        document["schedule"] = {
            "rules": [{"hours": [{"start": "08:00", "end": "22:00", "period": periods[0]}]}],
            "default_period": periods[1],
        }
    if draw(st.booleans()):
        demand_price, capacity_price = draw(
            st.sampled_from([(True, True), (True, False), (False, True)]).map(
                lambda which: tuple(
                    str(draw(decimals(max_units=50_000_000, scale=6, min_units=1))) if w else None
                    for w in which
                )
            )
        )
        document["basic_charge"] = {
            "demand_price": demand_price,
            "capacity_price": capacity_price,
            "high_load_factor_kwh_per_kva": str(draw(decimals(max_units=400_000, scale=3, min_units=1))),
            "high_load_factor_price_factor": draw(st.sampled_from(["0.9", "0.85", "1"])),
            "contract_demand_tolerance": draw(st.sampled_from(["1.05", "1.1", "1"])),
            "part_month_divisor": draw(st.sampled_from([30, 31])),
        }
    if draw(st.booleans()):
        document["power_factor"] = {
            "standard": draw(st.sampled_from(["0.90", "0.85", "0.80"])),
            "minimum_capacity_kva": draw(st.sampled_from(["0", "100", "315"])),
            "base": draw(st.sampled_from([["basic", "energy"], ["energy"], ["basic"]])),
        }
    return parse_tariff_document(document)


@st.composite
def bills(draw: st.DrawFn, tariff: TariffDocument) -> RegisterBillInput:
    month = draw(st.integers(min_value=1, max_value=12))
    kwh = decimals(max_units=draw(st.sampled_from([0, 1_000, 600_000, 5_000_000_000])), scale=3)
    periods = tariff.energy.periods
    energy = (
        {"total": draw(kwh)} if len(periods) == 1 and draw(st.booleans()) else {p: draw(kwh) for p in periods}
    )
    two_part: dict[str, object] = {}
    basic = tariff.basic_charge
    if basic is not None or tariff.power_factor is not None:
        capacity = draw(decimals(max_units=20_000_000, scale=3, min_units=1))
        two_part["capacity_kva"] = capacity
        two_part["contract_capacity_kva"] = draw(
            st.one_of(st.none(), decimals(max_units=20_000_000, scale=3))
        )
        two_part["reactive_kvarh_forward"] = draw(kwh)
        two_part["reactive_kvarh_reverse"] = draw(st.one_of(st.none(), kwh.map(lambda value: -value)))
    if basic is not None:
        methods = [BasicChargeMethod.DEMAND] * (basic.demand_price is not None) + [
            BasicChargeMethod.CAPACITY
        ] * (basic.capacity_price is not None)
        capacity = two_part["capacity_kva"]
        assert isinstance(capacity, Decimal)
        minimum = (capacity * basic.minimum_contract_demand_share).quantize(Decimal("0.001"))
        if minimum < capacity * basic.minimum_contract_demand_share:
            minimum += Decimal("0.001")
        two_part["basic_charge_method"] = draw(st.sampled_from(methods))
        two_part["contract_demand_kw"] = minimum + draw(decimals(max_units=5_000_000, scale=3))
        two_part["max_demand_kw"] = draw(decimals(max_units=30_000_000, scale=3))
        two_part["days_used"] = draw(
            st.one_of(st.none(), st.integers(min_value=1, max_value=basic.part_month_divisor))
        )
    return RegisterBillInput(
        tariff=tariff,
        period_start=date(2026, month, 1),
        period_end=date(2026 + month // 12, month % 12 + 1, 1),
        energy_kwh=energy,
        tier_year_kwh_before=draw(decimals(max_units=8_000_000, scale=3)),
        large_household=draw(st.booleans()),
        low_income=draw(st.booleans()),
        usage_category=draw(st.sampled_from([None, "residential", "agriculture"])),
        **two_part,  # type: ignore[arg-type]
    )


@st.composite
def batches(draw: st.DrawFn) -> list[RegisterBillInput]:
    documents = draw(st.lists(tariffs(), min_size=1, max_size=3))
    return draw(st.lists(st.sampled_from(documents).flatmap(bills), min_size=1, max_size=8))


@settings(max_examples=200, deadline=None)
@given(batch=batches())
def test_every_line_of_a_mixed_batch_equals_the_reference(batch: list[RegisterBillInput]) -> None:
    frame = register_bill_lines(bills=batch)
    assert frame.schema == pl.Schema(LINE_SCHEMA)
    references = [calculate_register_bill(bill=bill) for bill in batch]
    for mine, reference in zip(
        lines_frame_to_bills(lines=frame, bill_count=len(batch)), references, strict=True
    ):
        assert_same_bill(mine, reference)
    assert register_bill_totals(bills=batch) == [reference.total for reference in references]


BEIJING = parse_tariff_document(json.loads((CATALOG / "CN-BJ-RES-2012.json").read_text()))
INDUSTRY = parse_tariff_document(json.loads((CATALOG / "DEMO-GD-LI-2P.json").read_text()))


def test_a_beijing_low_income_bill_reads_like_the_reference() -> None:
    # 450 kWh, 15 kWh free: the free kWh take the bottom of the axis, so tier 1 bills
    # 240 − 15 = 225 kWh at 0.4883, tier 2 160 kWh at 0.5383, tier 3 50 kWh at 0.7883.
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        energy_kwh={"total": Decimal(450)},
        low_income=True,
    )
    frame = register_bill_lines(bills=[bill])
    assert frame.select("position", "code", "quantity", "unit_price", "amount_fen", "rule").rows() == [
        (0, "allowance.low_income", "15", "0", 0, "allowance.low_income"),
        (1, "energy.tier1", "225", "0.4883", 10987, "tier"),  # 225 × 0.4883 = 109.8675
        (2, "energy.tier2", "160", "0.5383", 8613, "tier"),  # 160 × 0.5383 = 86.128
        (3, "energy.tier3", "50", "0.7883", 3942, "tier"),  # 50 × 0.7883 = 39.415
    ]
    assert json.loads(frame["inputs"][2]) == {
        "period_kwh": "450",
        "bill_kwh": "450",
        "tier_kwh": "160",
        "tier_axis_start_kwh": "15",
        "thresholds_kwh": "240,400",
    }
    assert register_bill_totals(bills=[bill]) == [Decimal("235.42")]
    assert_same_bill(lines_frame_to_bills(lines=frame, bill_count=1)[0], calculate_register_bill(bill=bill))


def test_a_two_part_bill_explains_its_basic_charge_and_power_factor() -> None:
    # Demand 424 kW against a 400 kW contract: above 1.05 × 400 = 420, so billed 424 + 4 = 428 kW
    # at 32.00 (no discount: 3,000 kWh ÷ 500 kVA = 6 < 260) = 13,696.00. Energy 3,000 × 1.105 =
    # 3,315.00. PF 3000/√(3000² + 4000²) = 0.60: +25% of 17,011.00 = 4,252.75. Funds 87.00.
    # Total 3,315.00 + 13,696.00 + 4,252.75 + 87.00 = 21,350.75.
    bill = RegisterBillInput(
        tariff=INDUSTRY,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        energy_kwh={"sharp": Decimal(0), "peak": Decimal(3000), "flat": Decimal(0), "valley": Decimal(0)},
        reactive_kvarh_forward=Decimal(4000),
        basic_charge_method=BasicChargeMethod.DEMAND,
        max_demand_kw=Decimal(424),
        contract_demand_kw=Decimal(400),
        capacity_kva=Decimal(500),
    )
    frame = register_bill_lines(bills=[bill])
    assert frame.select("code", "quantity", "unit", "unit_price", "amount_fen").rows() == [
        ("energy.peak", "3000", "kWh", "1.105", 331500),
        ("basic_charge.demand", "428", "kW", "32", 1369600),
        ("power_factor", "17011.00", "yuan", "0.25", 425275),
        ("fund.government_funds", "3000", "kWh", "0.029", 8700),
    ]
    assert json.loads(frame["inputs"][1]) == {
        "max_demand_kw": "424",
        "contract_demand_kw": "400",
        "tolerance": "1.05",
        "published_price": "32",
        "kwh_per_kva": "6.00",
        "high_load_factor_discount": "no",
    }
    assert json.loads(frame["inputs"][2]) == {
        "active_kwh": "3000",
        "reactive_kvarh": "4000",
        "power_factor": "0.60",
        "standard": "0.90",
        "percent": "25.00",
        "base": "basic,energy",
    }
    assert register_bill_totals(bills=[bill]) == [Decimal("21350.75")]
    assert_same_bill(lines_frame_to_bills(lines=frame, bill_count=1)[0], calculate_register_bill(bill=bill))


def test_a_bill_without_lines_totals_zero_and_an_empty_batch_has_no_rows() -> None:
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        energy_kwh={"total": Decimal(0)},
    )
    frame = register_bill_lines(bills=[bill])
    assert frame.height == 0
    assert lines_frame_to_bills(lines=frame, bill_count=1) == [Bill(lines=(), total=Decimal("0.00"))]
    assert register_bill_lines(bills=[]).height == 0
    assert register_bill_totals(bills=[]) == []
