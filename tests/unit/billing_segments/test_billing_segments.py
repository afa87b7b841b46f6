"""Tariff changes mid-period: the period split by days, worked by hand, and both engines agree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import Bill, RegisterBillInput, tier_thresholds
from gridcare.billing.engine.segments import (
    VersionSpan,
    calculate_segmented_bill,
    segmented_bill_lines,
    split_by_tariff_versions,
)
from gridcare.billing.engine.tariff import BasicChargeMethod, TariffDocument, TierBasis, parse_tariff_document
from gridcare.billing.engine.vectorized import lines_frame_to_bills

CATALOG = Path(__file__).resolve().parents[3] / "src" / "gridcare" / "tariffs" / "catalog"


def catalog(code: str, **changes: object) -> TariffDocument:
    data = json.loads((CATALOG / f"{code}.json").read_text())
    data.update(changes)
    return parse_tariff_document(data)


BEIJING = catalog("CN-BJ-RES-2012")
BEIJING_2026 = catalog(
    "CN-BJ-RES-2012",
    energy={
        "periods": ["flat"],
        "tiers": {"basis": "monthly", "thresholds_kwh": ["240", "400"]},
        "prices": {"flat": ["0.5000", "0.5500", "0.8000"]},
    },
)
ZHEJIANG = catalog("CN-ZJ-RES-TIER")
ZHEJIANG_RAISED = catalog(
    "CN-ZJ-RES-TIER",
    energy={
        "periods": ["flat"],
        "tiers": {"basis": "annual", "thresholds_kwh": ["2760", "4800"]},
        "prices": {"flat": ["0.548", "0.598", "0.848"]},
    },
)
INDUSTRY = catalog("DEMO-GD-LI-2P")


def spans(*versions: tuple[str, date, date | None, TariffDocument]) -> list[VersionSpan]:
    return [
        VersionSpan(version=name, valid_from=start, valid_to=end, tariff=tariff)
        for name, start, end, tariff in versions
    ]


def amounts(bill: Bill) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(line.inputs["tariff_version"], line.code, line.quantity, line.amount) for line in bill.lines]


def test_a_price_change_on_day_11_of_a_30_day_beijing_period() -> None:
    # 300 kWh over 30 days: 100 kWh in the 10 old-price days, 200 kWh in the 20 new ones. The
    # monthly thresholds 240 / 400 are shared by days: 80 / 133.333 and 160 / 266.667 (400 kWh in
    # 0.001 units: 133.3333 and 266.6667 floor to 133.333 and 266.666; the unit left over goes
    # to the larger remainder, the second).
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 5, 1),
        energy_kwh={"total": Decimal(300)},
    )
    versions = spans(
        ("BJ-2012", date(2012, 7, 1), date(2026, 4, 11), BEIJING),
        ("BJ-2026", date(2026, 4, 11), None, BEIJING_2026),
    )
    segments = split_by_tariff_versions(bill=bill, versions=versions)
    assert [(s.version, s.days, s.bill.period_start, s.bill.period_end) for s in segments] == [
        ("BJ-2012", 10, date(2026, 4, 1), date(2026, 4, 11)),
        ("BJ-2026", 20, date(2026, 4, 11), date(2026, 5, 1)),
    ]
    assert [s.bill.energy_kwh for s in segments] == [{"total": Decimal(100)}, {"total": Decimal(200)}]
    assert [tier_thresholds(bill=s.bill) for s in segments] == [
        (Decimal(80), Decimal("133.333")),
        (Decimal(160), Decimal("266.667")),
    ]
    result = calculate_segmented_bill(segments=segments)
    assert amounts(result) == [
        ("BJ-2012", "energy.tier1", Decimal(80), Decimal("39.06")),  # 80 × 0.4883 = 39.064
        ("BJ-2012", "energy.tier2", Decimal(20), Decimal("10.77")),  # 20 × 0.5383 = 10.766
        ("BJ-2026", "energy.tier1", Decimal(160), Decimal("80.00")),  # 160 × 0.5000
        ("BJ-2026", "energy.tier2", Decimal(40), Decimal("22.00")),  # 40 × 0.5500
    ]
    assert result.total == Decimal("151.83")
    assert [line.inputs["segment_days"] for line in result.lines] == ["10", "10", "20", "20"]


def test_an_annual_tier_bill_across_1_january_restarts_the_tier_year() -> None:
    # Zhejiang annual tiers (2,760 / 4,800), one version. 600 kWh from 16 December to 14 January:
    # 16 days in 2025 (320 kWh), 14 in 2026 (280 kWh). With 2,500 kWh before, 2025 takes 260 kWh
    # in tier 1 and 60 in tier 2; 2026 starts again at 0: 280 kWh in tier 1.
    bill = RegisterBillInput(
        tariff=ZHEJIANG,
        period_start=date(2025, 12, 16),
        period_end=date(2026, 1, 15),
        energy_kwh={"total": Decimal(600)},
        tier_year_kwh_before=Decimal(2500),
    )
    segments = split_by_tariff_versions(bill=bill, versions=spans(("ZJ", date(2020, 1, 1), None, ZHEJIANG)))
    assert [(s.days, s.bill.energy_kwh["total"], s.bill.tier_year_kwh_before) for s in segments] == [
        (16, Decimal(320), Decimal(2500)),
        (14, Decimal(280), Decimal(0)),
    ]
    result = calculate_segmented_bill(segments=segments)
    assert amounts(result) == [
        ("ZJ", "energy.tier1", Decimal(260), Decimal("139.88")),  # 260 × 0.538
        ("ZJ", "energy.tier2", Decimal(60), Decimal("35.28")),  # 60 × 0.588
        ("ZJ", "energy.tier1", Decimal(280), Decimal("150.64")),  # 280 × 0.538
    ]
    assert result.total == Decimal("325.80")


def test_an_annual_tier_price_change_continues_the_tier_year_into_the_next_segment() -> None:
    # 300 kWh in June, new prices from the 11th, 2,700 kWh before: the first segment's 100 kWh
    # fill tier 1 to 2,760 (60 kWh) and put 40 in tier 2; the second starts at 2,800, all tier 2.
    # Annual thresholds count the year and are not shared by days.
    bill = RegisterBillInput(
        tariff=ZHEJIANG,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 7, 1),
        energy_kwh={"total": Decimal(300)},
        tier_year_kwh_before=Decimal(2700),
    )
    versions = spans(
        ("ZJ-1", date(2020, 1, 1), date(2026, 6, 11), ZHEJIANG),
        ("ZJ-2", date(2026, 6, 11), None, ZHEJIANG_RAISED),
    )
    segments = split_by_tariff_versions(bill=bill, versions=versions)
    assert [s.bill.tier_year_kwh_before for s in segments] == [Decimal(2700), Decimal(2800)]
    assert [tier_thresholds(bill=s.bill) for s in segments] == [(Decimal(2760), Decimal(4800))] * 2
    result = calculate_segmented_bill(segments=segments)
    assert amounts(result) == [
        ("ZJ-1", "energy.tier1", Decimal(60), Decimal("32.28")),  # 60 × 0.538
        ("ZJ-1", "energy.tier2", Decimal(40), Decimal("23.52")),  # 40 × 0.588
        ("ZJ-2", "energy.tier2", Decimal(200), Decimal("119.60")),  # 200 × 0.598
    ]
    assert result.total == Decimal("175.40")


def test_a_two_part_bill_shares_reactive_energy_and_the_basic_charges_days() -> None:
    # July (31 days) split 10 / 21: the billable 30 days are shared 9.677 / 20.323 → 9 / 20,
    # the day left over to the larger remainder: 10 / 20. 400 kVA × 22.00 = 8,800.00 a month:
    # 8,800 × 10/30 = 2,933.33 and 8,800 × 20/30 = 5,866.67, together the month's 8,800.00.
    # The maximum demand is the period's in both segments.
    bill = RegisterBillInput(
        tariff=INDUSTRY,
        period_start=date(2026, 7, 1),
        period_end=date(2026, 8, 1),
        energy_kwh={"sharp": Decimal(0), "peak": Decimal(3100), "flat": Decimal(0), "valley": Decimal(0)},
        reactive_kvarh_forward=Decimal(1550),
        reactive_kvarh_reverse=Decimal(-31),
        basic_charge_method=BasicChargeMethod.CAPACITY,
        max_demand_kw=Decimal(380),
        capacity_kva=Decimal(400),
    )
    versions = spans(
        ("GD-1", date(2026, 1, 1), date(2026, 7, 11), INDUSTRY), ("GD-2", date(2026, 7, 11), None, INDUSTRY)
    )
    segments = split_by_tariff_versions(bill=bill, versions=versions)
    assert [
        (
            s.days,
            s.bill.days_used,
            s.bill.energy_kwh["peak"],
            s.bill.reactive_kvarh_forward,
            s.bill.reactive_kvarh_reverse,
            s.bill.max_demand_kw,
        )
        for s in segments
    ] == [
        (10, 10, Decimal(1000), Decimal(500), Decimal(-10), Decimal(380)),
        (21, 20, Decimal(2100), Decimal(1050), Decimal(-21), Decimal(380)),
    ]
    # The discount's 260 kWh per kVA is a month's: shared by days, 83.871 / 176.129 kWh per kVA
    # (83.8709… and 176.1290… floor to 83.870 and 176.129; the left-over 0.001 goes to the first).
    assert [segment.bill.tariff.basic_charge for segment in segments] == [
        INDUSTRY.basic_charge.model_copy(update={"high_load_factor_kwh_per_kva": Decimal("83.871")}),  # type: ignore[union-attr]
        INDUSTRY.basic_charge.model_copy(update={"high_load_factor_kwh_per_kva": Decimal("176.129")}),  # type: ignore[union-attr]
    ]
    basic = [
        line for line in calculate_segmented_bill(segments=segments).lines if line.rule.startswith("basic")
    ]
    assert [(line.inputs["days_used"], line.amount) for line in basic] == [
        ("10", Decimal("2933.33")),
        ("20", Decimal("5866.67")),
    ]


def test_one_version_for_the_whole_period_gives_the_bill_unchanged() -> None:
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 5, 1),
        energy_kwh={"total": Decimal(300)},
    )
    segments = split_by_tariff_versions(
        bill=bill, versions=spans(("BJ-2012", date(2012, 7, 1), None, BEIJING))
    )
    assert len(segments) == 1
    assert (segments[0].version, segments[0].days, segments[0].bill) == ("BJ-2012", 30, bill)


@pytest.mark.parametrize(
    ("versions", "day"),
    [
        (spans(("A", date(2026, 4, 5), None, BEIJING)), "2026-04-01"),
        (spans(("A", date(2026, 1, 1), date(2026, 4, 10), BEIJING)), "2026-04-10"),
        (
            spans(
                ("A", date(2026, 1, 1), date(2026, 4, 20), BEIJING), ("B", date(2026, 4, 10), None, BEIJING)
            ),
            "2026-04-10",
        ),
        ([], "2026-04-01"),
    ],
)
def test_versions_that_leave_a_gap_or_overlap_are_refused_naming_the_day(
    versions: list[VersionSpan], day: str
) -> None:
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 5, 1),
        energy_kwh={"total": Decimal(300)},
    )
    with pytest.raises(BillInputInvalid) as refused:
        split_by_tariff_versions(bill=bill, versions=versions)
    assert refused.value.field == "tariff_versions"
    assert (
        refused.value.message("en")
        == f'Billing input "tariff_versions" is invalid: no single tariff version is in force on {day}'
    )


def comparable(inputs: Mapping[str, str]) -> dict[str, tuple[Decimal | str, ...]]:
    def value(part: str) -> Decimal | str:
        try:
            return Decimal(part)
        except ArithmeticError:
            return part

    return {name: tuple(value(part) for part in text.split(",")) for name, text in inputs.items()}


def with_charges(document: TariffDocument, *, fixed: str, minimum: str) -> TariffDocument:
    data = document.model_dump(mode="json")
    data["fixed_charges"] = [
        {"code": "meter", "name_zh": "计量费", "name_en": "Meter", "amount_per_month": fixed}
    ]
    data["minimum_charge_per_month"] = minimum
    return parse_tariff_document(data)


RESIDENTIAL = [
    catalog(code) for code in ("CN-BJ-RES-2012", "CN-ZJ-RES-TIER", "CN-ZJ-RES-TOU", "CN-SH-RES-TOU")
]


@st.composite
def segmented_bills(draw: st.DrawFn) -> tuple[RegisterBillInput, list[VersionSpan]]:
    tariff = draw(st.sampled_from([*RESIDENTIAL, INDUSTRY]))
    raised = with_charges(
        tariff,
        fixed=str(Decimal(draw(st.integers(min_value=0, max_value=10_000))).scaleb(-3)),
        minimum=str(Decimal(draw(st.integers(min_value=0, max_value=20_000))).scaleb(-2)),
    )
    start = date(2025, 1, 1) + timedelta(days=draw(st.integers(min_value=0, max_value=700)))
    end = start + timedelta(days=draw(st.integers(min_value=1, max_value=62)))
    changes = sorted(
        set(draw(st.lists(st.integers(min_value=1, max_value=(end - start).days), max_size=3)))
        - {(end - start).days}
    )
    bounds = [date(2000, 1, 1), *(start + timedelta(days=day) for day in changes), None]
    versions = [
        VersionSpan(
            version=f"v{index}", valid_from=bounds[index], valid_to=bounds[index + 1], tariff=document
        )  # type: ignore[arg-type]
        for index, document in enumerate(
            draw(st.sampled_from([tariff, raised])) for _ in range(len(bounds) - 1)
        )
    ]
    kwh = st.integers(min_value=0, max_value=3_000_000).map(lambda milli: Decimal(milli).scaleb(-3))
    bill = RegisterBillInput(
        tariff=tariff,
        period_start=start,
        period_end=end,
        energy_kwh={period: draw(kwh) for period in tariff.energy.periods},
        tier_year_kwh_before=draw(kwh),
        large_household=draw(st.booleans()),
        low_income=draw(st.booleans()),
    )
    if tariff is INDUSTRY:
        bill = replace(
            bill,
            reactive_kvarh_forward=draw(kwh),
            reactive_kvarh_reverse=draw(kwh),
            basic_charge_method=draw(st.sampled_from(list(BasicChargeMethod))),
            max_demand_kw=Decimal(draw(st.integers(min_value=0, max_value=900))),
            contract_demand_kw=Decimal(400),
            capacity_kva=Decimal(draw(st.sampled_from([50, 500, 1000]))),
            contract_capacity_kva=draw(st.sampled_from([None, Decimal(10)])),
            days_used=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=30))),
        )
    return bill, versions


@settings(max_examples=100, deadline=None)
@given(cases=st.lists(segmented_bills(), min_size=1, max_size=5))
def test_segments_add_up_and_the_vectorized_batch_equals_the_reference(
    cases: list[tuple[RegisterBillInput, list[VersionSpan]]],
) -> None:
    segmented = [split_by_tariff_versions(bill=bill, versions=versions) for bill, versions in cases]
    for (bill, _), segments in zip(cases, segmented, strict=True):
        assert sum(segment.days for segment in segments) == (bill.period_end - bill.period_start).days
        assert [segment.bill.period_start for segment in segments[1:]] == [
            s.bill.period_end for s in segments[:-1]
        ]
        for period, kwh in bill.energy_kwh.items():
            assert sum((segment.bill.energy_kwh[period] for segment in segments), Decimal(0)) == kwh
        tiers = bill.tariff.energy.tiers
        if len(segments) > 1 and tiers is not None and tiers.basis is not TierBasis.ANNUAL:
            # Every version here has the same thresholds: the shares add up to them exactly.
            shares = [segment.bill.tariff.energy.tiers.thresholds_kwh for segment in segments]  # type: ignore[union-attr]
            assert tuple(map(sum, zip(*shares, strict=True))) == tiers.thresholds_for(
                month=bill.period_start.month
            )
    frame = segmented_bill_lines(segmented=segmented)
    mine = lines_frame_to_bills(lines=frame.drop("segment", "tariff_version"), bill_count=len(cases))
    for bill_lines, segments in zip(mine, segmented, strict=True):
        reference = calculate_segmented_bill(segments=segments)
        assert [
            (line.code, line.quantity, line.unit, line.unit_price, line.amount, line.rule)
            for line in bill_lines.lines
        ] == [
            (line.code, line.quantity, line.unit, line.unit_price, line.amount, line.rule)
            for line in reference.lines
        ]
        assert [comparable(line.inputs) for line in bill_lines.lines] == [
            comparable(line.inputs) for line in reference.lines
        ]
        assert bill_lines.total == reference.total


def test_the_vectorized_batch_marks_each_line_with_its_segment_and_version() -> None:
    bill = RegisterBillInput(
        tariff=BEIJING,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 5, 1),
        energy_kwh={"total": Decimal(300)},
    )
    versions = spans(
        ("BJ-2012", date(2012, 7, 1), date(2026, 4, 11), BEIJING),
        ("BJ-2026", date(2026, 4, 11), None, BEIJING_2026),
    )
    frame = segmented_bill_lines(segmented=[split_by_tariff_versions(bill=bill, versions=versions)])
    assert frame.select("bill", "position", "segment", "tariff_version", "code", "amount_fen").rows() == [
        (0, 0, 0, "BJ-2012", "energy.tier1", 3906),
        (0, 1, 0, "BJ-2012", "energy.tier2", 1077),
        (0, 2, 1, "BJ-2026", "energy.tier1", 8000),
        (0, 3, 1, "BJ-2026", "energy.tier2", 2200),
    ]
    assert json.loads(frame["inputs"][3]) == {
        "period_kwh": "200",
        "bill_kwh": "200",
        "tier_kwh": "40",
        "tier_axis_start_kwh": "0",
        "thresholds_kwh": "160,266.667",
        "tariff_version": "BJ-2026",
        "segment_days": "20",
    }
