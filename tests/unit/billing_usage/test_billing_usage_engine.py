"""The pure usage engine: losses, TOU flat remainder, sub-meter deductions, estimates and the
account aggregation with its flags. Every expected figure is worked out by hand in a comment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from gridcare.billing.engine.usage import (
    ActualPeriod,
    ChildRelation,
    MeterSpan,
    PointMeasurement,
    ReadReference,
    RegisterAdvance,
    TransformerLossParameters,
    UsageFlag,
    accounts_usage,
    estimate_advances,
    history_start,
    line_loss,
    share_by_weight,
    tou_energy,
    transformer_loss,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = datetime(2025, 1, 1, tzinfo=SHANGHAI)
CLOSED = datetime(2025, 2, 1, tzinfo=SHANGHAI)
MONTH_HOURS = D(31 * 24)


def span(
    energy: dict[str, str], *, multiplier: int = 1, demand: str | None = None, **flags: bool
) -> MeterSpan:
    """A span whose registers advanced by ``energy`` (register → kWh, dial advance × multiplier)."""
    advances = tuple(
        RegisterAdvance(
            register=register,
            opening=D(0),
            closing=D(kwh) / multiplier,
            advance=D(kwh) / multiplier,
            energy=D(kwh),
            **flags,
        )
        for register, kwh in energy.items()
    )
    return MeterSpan(
        meter_id=1,
        meter_asset_no="3710001000001",
        opening=ReadReference(read_id=1, read_at=OPENED, status="valid", registers={}),
        closing=ReadReference(read_id=2, read_at=CLOSED, status="valid", registers={}),
        multiplier=multiplier,
        registers=advances,
        maximum_demand_kw=None if demand is None else D(demand),
    )


def point(point_id: int, *spans: MeterSpan, account_id: int = 1, **fields: object) -> PointMeasurement:
    return PointMeasurement(
        metering_point_id=point_id, code=f"MP{point_id:04d}", account_id=account_id, spans=spans, **fields
    )  # type: ignore[arg-type]


# --- losses ---------------------------------------------------------------------------------------


def test_line_loss_is_metered_kwh_times_percent_rounded_half_up_to_a_thousandth() -> None:
    # 2,000.30 kWh × 0.25% = 5.00075 kWh → 5.001 (half up at 0.001 kWh).
    assert line_loss(metered_kwh=D("2000.30"), line_loss_percent=D("0.25")) == D("5.001")
    # 1,000.00 kWh × 0% = 0.
    assert line_loss(metered_kwh=D("1000.00"), line_loss_percent=D(0)) == D("0.000")


def test_transformer_loss_is_iron_loss_for_every_hour_plus_copper_loss_at_the_mean_load() -> None:
    # S11-315 kVA: P0 0.48 kW, Pk 3.65 kW; a 30-day month T = 720 h; A 60,000 kWh, Q 30,000 kvarh.
    # Iron: 0.48 × 720 = 345.6 kWh.
    # Copper: 3.65 × (60,000² + 30,000²) / (315² × 720) = 3.65 × 4,500,000,000 / 71,442,000
    #       = 229.906777… kWh.
    # ΔA = 575.506777… → 575.507 kWh.
    transformer = TransformerLossParameters(
        capacity_kva=D("315"), no_load_loss_kw=D("0.48"), load_loss_kw=D("3.65")
    )
    assert transformer_loss(
        transformer=transformer, active_kwh=D("60000"), reactive_kvarh=D("30000"), hours=D(720)
    ) == D("575.507")
    # Nothing metered: only the iron loss, 0.48 × 720 = 345.600.
    assert transformer_loss(transformer=transformer, active_kwh=D(0), reactive_kvarh=D(0), hours=D(720)) == D(
        "345.600"
    )


def test_transformer_loss_refuses_a_period_without_hours() -> None:
    transformer = TransformerLossParameters(
        capacity_kva=D("315"), no_load_loss_kw=D("0.48"), load_loss_kw=D("3.65")
    )
    with pytest.raises(ValueError, match="positive hours"):
        transformer_loss(transformer=transformer, active_kwh=D(1), reactive_kvarh=D(0), hours=D(0))


# --- time-of-use registers --------------------------------------------------------------------------


def test_flat_is_the_total_less_sharp_peak_and_valley() -> None:
    # 平 = 总 − 尖 − 峰 − 谷 = 1,000.00 − 100.00 − 350.00 − 300.00 = 250.00.
    assert tou_energy(
        total_kwh=D("1000.00"),
        registers_kwh={"sharp": D("100.00"), "peak": D("350.00"), "valley": D("300.00")},
    ) == {"sharp": D("100.00"), "peak": D("350.00"), "valley": D("300.00"), "flat": D("250.00")}


def test_periods_above_the_total_leave_the_usage_unsplit() -> None:
    # 600.00 + 400.01 > 1,000.00: flat would be −0.01.
    assert (
        tou_energy(total_kwh=D("1000.00"), registers_kwh={"peak": D("600.00"), "valley": D("400.01")}) is None
    )


def test_periods_above_the_total_flag_a_suspect_read_and_bill_the_total() -> None:
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span(
                    {
                        "import_active_total": "1000.00",
                        "import_active_peak": "600.00",
                        "import_active_valley": "400.01",
                    }
                ),
            )
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.energy_kwh == {"total": D("1000.00")}
    assert usage.flags == {UsageFlag.SUSPECT_READ}


def test_losses_are_shared_over_the_periods_in_proportion_and_add_up() -> None:
    # 10.000 kWh over peak 1 : valley 2 → 3.3333… and 6.6666…; floors 3.333 + 6.666 = 9.999,
    # the last 0.001 to the larger remainder (valley, 0.6667 > 0.3333): 3.333 and 6.667.
    assert share_by_weight(amount=D("10.000"), weights={"peak": D(1), "valley": D(2)}) == {
        "peak": D("3.333"),
        "valley": D("6.667"),
    }
    assert share_by_weight(amount=D("1.000"), weights={"peak": D(0), "valley": D(0)}) == {
        "peak": D("1.000"),
        "valley": D(0),
    }


def test_a_tou_point_gets_its_losses_split_by_period() -> None:
    # Metered: total 1,000.00 = peak 600.00 + valley 400.00 (+ flat 0.00).
    # Line loss 2% of 1,000.00 = 20.000 kWh, shared 600 : 400 : 0 → 12.000 / 8.000 / 0.
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span(
                    {
                        "import_active_total": "1000.00",
                        "import_active_peak": "600.00",
                        "import_active_valley": "400.00",
                    }
                ),
                line_loss_percent=D("2"),
            )
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.energy_kwh == {"peak": D("612.000"), "valley": D("408.000"), "flat": D("0.000")}
    assert usage.points[0].line_loss_kwh == D("20.000")
    assert usage.flags == frozenset()


def test_an_hv_lv_point_adds_its_transformer_loss() -> None:
    # 31 days = 744 h; S 315 kVA, P0 0.48, Pk 3.65; A 60,000 kWh, Q forward 25,000 + reverse 5,000.
    # Iron 0.48 × 744 = 357.12; copper 3.65 × 4,500,000,000 / (99,225 × 744) = 222.49042…
    # ΔA = 579.61042… → 579.610; usage 60,579.610 kWh.
    transformer = TransformerLossParameters(
        capacity_kva=D("315"), no_load_loss_kw=D("0.48"), load_loss_kw=D("3.65")
    )
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span(
                    {
                        "import_active_total": "60000.00",
                        "reactive_import_total": "25000.00",
                        "reactive_export_total": "5000.00",
                    }
                ),
                transformer=transformer,
            )
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.points[0].transformer_loss_kwh == D("579.610")
    assert usage.energy_kwh == {"total": D("60579.610")}
    assert (usage.reactive_forward_kvarh, usage.reactive_reverse_kvarh) == (D("25000.00"), D("5000.00"))


# --- sub-meters -------------------------------------------------------------------------------------


def test_a_sub_meter_is_deducted_from_its_parent_per_period() -> None:
    # Parent: peak 600, valley 400 (total 1,000); child (subtract): peak 100, valley 50 (total 150).
    # Parent after: peak 500, valley 350, flat 0. The child is on the same account, so the account
    # bills 850 + 150 = 1,000 kWh: peak 600, valley 400.
    parent = point(
        1,
        span(
            {
                "import_active_total": "1000.00",
                "import_active_peak": "600.00",
                "import_active_valley": "400.00",
            }
        ),
    )
    child = point(
        2,
        span(
            {"import_active_total": "150.00", "import_active_peak": "100.00", "import_active_valley": "50.00"}
        ),
        parent_id=1,
        relation=ChildRelation.SUBTRACT,
    )
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    parent_explained, child_explained = usage.points
    assert parent_explained.energy_kwh == {"peak": D("500.000"), "valley": D("350.000"), "flat": D("0.000")}
    assert [
        (d.child_code, d.period, d.requested_kwh, d.applied_kwh) for d in parent_explained.deductions
    ] == [
        ("MP0002", "peak", D("100.00"), D("100.00")),
        ("MP0002", "valley", D("50.00"), D("50.00")),
        ("MP0002", "flat", D("0.00"), D("0.00")),
    ]
    assert child_explained.energy_kwh == {"peak": D("100.000"), "valley": D("50.000"), "flat": D("0.000")}
    assert usage.energy_kwh == {"peak": D("600.000"), "valley": D("400.000"), "flat": D("0.000")}


def test_a_total_only_sub_meter_comes_off_the_parents_periods_in_proportion() -> None:
    # Parent (account 1): TOU, total 1,000 = peak 600 + valley 400 (+ flat 0); child (account 2):
    # total only, 120, shared like the parent's energy: peak 120 × 600/1000 = 72, valley 48.
    # The parent keeps its split: peak 528, valley 352, flat 0. Account 2 bills its 120.
    parent = point(
        1,
        span(
            {
                "import_active_total": "1000.00",
                "import_active_peak": "600.00",
                "import_active_valley": "400.00",
            }
        ),
    )
    child = point(
        2, span({"import_active_total": "120.00"}), account_id=2, parent_id=1, relation=ChildRelation.SUBTRACT
    )
    usage = accounts_usage(account_ids=[1, 2], measurements=[parent, child], period_hours=MONTH_HOURS)
    assert usage[1].energy_kwh == {"peak": D("528.000"), "valley": D("352.000"), "flat": D("0.000")}
    assert [(item.period, item.applied_kwh) for item in usage[1].points[0].deductions] == [
        ("peak", D("72.000")),
        ("valley", D("48.000")),
        ("flat", D("0.000")),
    ]
    assert usage[2].energy_kwh == {"total": D("120.000")}


def test_a_sub_meter_larger_than_its_parent_leaves_zero_and_is_flagged() -> None:
    # Parent 100.00, child 150.00: only 100.00 can be deducted; the parent bills 0, never −50.
    parent = point(1, span({"import_active_total": "100.00"}))
    child = point(
        2, span({"import_active_total": "150.00"}), account_id=2, parent_id=1, relation=ChildRelation.SUBTRACT
    )
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    assert usage.energy_kwh == {"total": D("0.000")}
    assert usage.points[0].deductions[0].applied_kwh == D("100.00")
    assert usage.flags == {UsageFlag.SUB_METER_EXCEEDS_PARENT, UsageFlag.ZERO_USAGE}


def test_an_informational_child_is_neither_deducted_nor_counted() -> None:
    # Parent 500, informational child 200 on the same account: the account bills 500.
    parent = point(1, span({"import_active_total": "500.00"}))
    child = point(
        2, span({"import_active_total": "200.00"}), parent_id=1, relation=ChildRelation.INFORMATIONAL
    )
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    assert usage.energy_kwh == {"total": D("500.000")}
    assert [p.counted for p in usage.points] == [True, False]


def test_a_missing_sub_meter_flags_its_parent_missing() -> None:
    parent = point(1, span({"import_active_total": "500.00"}))
    child = point(
        2,
        account_id=2,
        parent_id=1,
        relation=ChildRelation.SUBTRACT,
        flags=frozenset({UsageFlag.MISSING_READ}),
    )
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    assert usage.energy_kwh == {"total": D("500.000")}
    assert usage.flags == {UsageFlag.MISSING_READ}


# --- estimates --------------------------------------------------------------------------------------


def test_an_estimate_is_the_average_daily_advance_times_the_days() -> None:
    # History: 1 Jan → 1 Feb (31 days) advanced 310.00; 1 Feb → 1 Mar (28 days) advanced 290.00.
    # 600.00 / 59 days × 31 days (1 Mar → 1 Apr) = 315.2542… → 315.25.
    history = [
        ActualPeriod(
            start_date=date(2025, 1, 1),
            end_date=date(2025, 2, 1),
            advances={"import_active_total": D("310.00")},
        ),
        ActualPeriod(
            start_date=date(2025, 2, 1),
            end_date=date(2025, 3, 1),
            advances={"import_active_total": D("290.00")},
        ),
    ]
    assert estimate_advances(
        history=history, estimate_start=date(2025, 3, 1), estimate_end=date(2025, 4, 1)
    ) == {"import_active_total": D("315.25")}


def test_an_estimate_ignores_history_older_than_twelve_months() -> None:
    # 1 Feb 2024 → 1 Mar 2024 starts before 1 Mar 2024 (12 months before 1 Mar 2025): left out;
    # 1 Feb 2025 → 1 Mar 2025: 280.00 / 28 days × 31 days = 310.00.
    history = [
        ActualPeriod(
            start_date=date(2024, 2, 1),
            end_date=date(2024, 3, 1),
            advances={"import_active_total": D("9999.00")},
        ),
        ActualPeriod(
            start_date=date(2025, 2, 1),
            end_date=date(2025, 3, 1),
            advances={"import_active_total": D("280.00")},
        ),
    ]
    assert estimate_advances(
        history=history, estimate_start=date(2025, 3, 1), estimate_end=date(2025, 4, 1)
    ) == {"import_active_total": D("310.00")}


def test_no_history_means_no_estimate() -> None:
    assert (
        estimate_advances(history=[], estimate_start=date(2025, 3, 1), estimate_end=date(2025, 4, 1)) is None
    )


def test_history_starts_twelve_months_back_and_29_february_goes_to_28_february() -> None:
    assert history_start(estimate_start=date(2025, 3, 1)) == date(2024, 3, 1)
    assert history_start(estimate_start=date(2024, 2, 29)) == date(2023, 2, 28)


# --- the account ------------------------------------------------------------------------------------


def test_an_account_without_metering_points_is_missing_its_read() -> None:
    usage = accounts_usage(account_ids=[7], measurements=[], period_hours=MONTH_HOURS)[7]
    assert usage.energy_kwh == {"total": D(0)}
    assert usage.flags == {UsageFlag.MISSING_READ}
    assert usage.max_demand_kw is None


def test_zero_usage_is_flagged() -> None:
    usage = accounts_usage(
        account_ids=[1],
        measurements=[point(1, span({"import_active_total": "0.00"}))],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.energy_kwh == {"total": D("0.000")}
    assert usage.flags == {UsageFlag.ZERO_USAGE}


def test_span_flags_reach_the_account_and_two_spans_are_an_exchange() -> None:
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span({"import_active_total": "170.00"}, rolled_over=True),
                span({"import_active_total": "30.00"}, backwards=True),
            )
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.energy_kwh == {"total": D("200.000")}
    assert usage.flags == {UsageFlag.ROLLOVER, UsageFlag.BACKWARDS_READ, UsageFlag.METER_EXCHANGE}


def test_demand_is_the_larger_of_a_points_spans_summed_over_incoming_lines() -> None:
    # Line 1: old meter 120 kW, new meter 150 kW → 150; line 2: 80 kW; the child's 60 kW is inside line 1.
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span({"import_active_total": "1.00"}, demand="120"),
                span({"import_active_total": "1.00"}, demand="150"),
            ),
            point(2, span({"import_active_total": "1.00"}, demand="80")),
            point(
                3,
                span({"import_active_total": "1.00"}, demand="60"),
                parent_id=1,
                relation=ChildRelation.SUBTRACT,
            ),
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.max_demand_kw == D("230")


def test_energy_is_keyed_as_the_tariff_needs_it() -> None:
    tou_point = point(
        1,
        span(
            {
                "import_active_total": "1000.00",
                "import_active_peak": "600.00",
                "import_active_valley": "400.00",
            }
        ),
    )
    # A single-period tariff takes the total.
    single = accounts_usage(
        account_ids=[1], measurements=[tou_point], period_hours=MONTH_HOURS, tariff_periods={1: ["flat"]}
    )
    assert single[1].energy_kwh == {"total": D("1000.000")}
    # A peak/valley tariff drops the zero flat period.
    peak_valley = accounts_usage(
        account_ids=[1],
        measurements=[tou_point],
        period_hours=MONTH_HOURS,
        tariff_periods={1: ["peak", "valley"]},
    )
    assert peak_valley[1].energy_kwh == {"peak": D("600.000"), "valley": D("400.000")}
    # A TOU tariff and a point with a total only: flagged, the total kept.
    unsplit = accounts_usage(
        account_ids=[1],
        measurements=[point(1, span({"import_active_total": "10.00"}))],
        period_hours=MONTH_HOURS,
        tariff_periods={1: ["peak", "valley"]},
    )
    assert unsplit[1].energy_kwh == {"total": D("10.000")}
    assert unsplit[1].flags == {UsageFlag.PERIODS_UNAVAILABLE}


def test_interval_shares_split_the_register_total() -> None:
    # Register total 100.00 kWh; intervals say peak 30.5, valley 20.5 (of 51.0):
    # 100 × 30.5/51 = 59.80392…, 100 × 20.5/51 = 40.19607…; floors 59.803 + 40.196 = 99.999,
    # the last 0.001 to the larger remainder (peak, 0.92 > 0.08 thousandths): 59.804 + 40.196.
    usage = accounts_usage(
        account_ids=[1],
        measurements=[
            point(
                1,
                span({"import_active_total": "100.00"}),
                interval_kwh={"peak": D("30.5"), "valley": D("20.5")},
            )
        ],
        period_hours=MONTH_HOURS,
    )[1]
    assert usage.energy_kwh == {"peak": D("59.804"), "valley": D("40.196")}


def test_an_estimated_sub_meter_makes_its_parents_usage_estimated() -> None:
    # Parent 500.00, estimated child 40.00 (another account): the parent bills 460.000, estimated.
    parent = point(1, span({"import_active_total": "500.00"}))
    child = point(
        2,
        span({"import_active_total": "40.00"}),
        account_id=2,
        parent_id=1,
        relation=ChildRelation.SUBTRACT,
        flags=frozenset({UsageFlag.ESTIMATED}),
    )
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    assert usage.energy_kwh == {"total": D("460.000")}
    assert usage.flags == {UsageFlag.ESTIMATED}


def test_a_total_only_sub_meter_on_the_same_account_keeps_the_accounts_time_of_use_split() -> None:
    # A large customer's main meter (TOU: 1,000 = peak 600 + valley 400) and its 分表 on the same
    # account (total only, 100) deducted from it: the main point keeps 900 shared like its own
    # energy (peak 540, valley 360); the 分表's 100 is counted on the account and shares the
    # account's periods in the same proportion (60 + 40): peak 600, valley 400 — the account's
    # energy is its main meter's, split as the tariff needs.
    parent = point(
        1,
        span(
            {
                "import_active_total": "1000.00",
                "import_active_peak": "600.00",
                "import_active_valley": "400.00",
            }
        ),
    )
    child = point(2, span({"import_active_total": "100.00"}), parent_id=1, relation=ChildRelation.SUBTRACT)
    usage = accounts_usage(account_ids=[1], measurements=[parent, child], period_hours=MONTH_HOURS)[1]
    assert usage.energy_kwh == {"peak": D("600.000"), "valley": D("400.000"), "flat": D("0.000")}
    assert [explained.energy_kwh for explained in usage.points] == [
        {"peak": D("540.000"), "valley": D("360.000"), "flat": D("0.000")},
        {"total": D("100.00")},
    ]
