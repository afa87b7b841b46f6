"""load_account_usage on a real database: opening and closing reads, rollover, meter exchange,
losses, sub-meters, TOU registers, interval reads, estimates and their true-up, missing and
suspicious reads, and the bounded query count. Expected figures are worked by hand in comments.

The period billed is January 2025, ``[2025-01-01, 2025-02-01)``, unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal as D

from billing_usage_world import NOW, UsageWorld, at, catalog_tariff, registers
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from gridcare.billing.engine.usage import UsageFlag
from gridcare.billing.usage import load_account_usage
from gridcare.metering import operations
from gridcare.metering.models import IntervalQuantity, MeteringArrangement, MeterRead, ReadSource, ReadStatus
from gridcare.metering.rules import RegisterValues

JANUARY = {"period_start": date(2025, 1, 1), "period_end": date(2025, 2, 1)}
FEBRUARY = {"period_start": date(2025, 2, 1), "period_end": date(2025, 3, 1)}


def test_a_rollover_is_advanced_through_zero_and_multiplied(usage_world: UsageWorld) -> None:
    # 6-digit dial, multiplier 40 (CT 40/1): 999,950.00 → 000,120.00 rolls over:
    # 120.00 + 1,000,000 − 999,950.00 = 170.00 on the dial; × 40 = 6,800.00 kWh.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001", ct_ratio=40)
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 11, 1), registers("999000.00"))
    opening = usage_world.read(meter, at(2025, 1, 1, 8), registers("999950.00"))
    closing = usage_world.read(meter, at(2025, 1, 31, 10), registers("120.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("6800.000")}
    assert usage.flags == {UsageFlag.ROLLOVER}
    (explained,) = usage.points
    (span,) = explained.spans
    assert (span.opening.read_id, span.closing.read_id, span.multiplier) == (opening.pk, closing.pk, 40)
    total = next(item for item in span.registers if item.register == "import_active_total")
    assert (total.opening, total.closing, total.advance, total.energy) == (
        D("999950.00"),
        D("120.00"),
        D("170.00"),
        D("6800.00"),
    )


def test_a_meter_exchanged_within_the_period_adds_both_meters(usage_world: UsageWorld) -> None:
    # Old meter: 1,000.00 (1 Jan) → removal read 1,300.00 (15 Jan) = 300.00.
    # New meter: install read 0.00 (15 Jan) → 250.00 (1 Feb) = 250.00. Multiplier 1: 550.00 kWh.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    old, new = usage_world.meter("OLD"), usage_world.meter("NEW")
    usage_world.install(old, point, at(2024, 12, 1), registers("900.00"))
    opening = usage_world.read(old, at(2025, 1, 1), registers("1000.00"))
    installation = operations.exchange_meter(
        metering_point=point,
        new_meter=new,
        exchanged_at=at(2025, 1, 15, 14),
        old_meter_registers=registers("1300.00"),
        new_meter_registers=registers("0.00"),
        source=ReadSource.MANUAL,
        actor=None,
        now=at(2025, 1, 15, 15),
    )
    closing = usage_world.read(new, at(2025, 2, 1, 8), registers("250.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("550.000")}
    assert usage.flags == {UsageFlag.METER_EXCHANGE}
    old_span, new_span = usage.points[0].spans
    removal_read = MeterRead.objects.get(meter=old, reason="removal")
    assert (old_span.meter_asset_no, old_span.opening.read_id, old_span.closing.read_id) == (
        "OLD",
        opening.pk,
        removal_read.pk,
    )
    assert (new_span.meter_asset_no, new_span.opening.read_id, new_span.closing.read_id) == (
        "NEW",
        installation.install_read_id,
        closing.pk,
    )


def test_the_closing_read_is_the_last_usable_read_in_the_window(usage_world: UsageWorld) -> None:
    # Window of 3 days: [29 Jan, 1 Feb]. The read of 28 Jan is too early; of the 30 Jan and 1 Feb
    # reads the later closes: 1,400.00 − 1,000.00 = 400.00 kWh. A suspect read in the period is
    # never used, only flagged.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 1), registers("900.00"))
    usage_world.read(meter, at(2024, 12, 31, 20), registers("1000.00"))
    usage_world.read(meter, at(2025, 1, 28), registers("1200.00"))
    usage_world.read(meter, at(2025, 1, 30), registers("1300.00"))
    usage_world.read(meter, at(2025, 2, 1, 10), registers("1400.00"))
    usage_world.read(meter, at(2025, 2, 1, 11), registers("99999.00"), status=ReadStatus.SUSPECT)

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("400.000")}
    assert usage.flags == {UsageFlag.SUSPECT_READ}


def test_line_and_transformer_losses_are_added_to_an_hv_lv_point(usage_world: UsageWorld) -> None:
    # 高供低计, 315 kVA, P0 0.48 kW, Pk 3.65 kW, line loss 1%, CT 100 (multiplier 100).
    # Active: (1,600.00 − 1,000.00) × 100 = 60,000.00 kWh; reactive forward (800.00 − 500.00) × 100
    # = 30,000.00 kvarh. January: 31 days = 744 h.
    # Line loss: 60,000 × 1% = 600.000 kWh.
    # Transformer: 0.48 × 744 + 3.65 × (60,000² + 30,000²) / (315² × 744)
    #            = 357.12 + 222.49042… = 579.61042… → 579.610 kWh.
    # Usage: 60,000 + 600 + 579.610 = 61,179.610 kWh.
    account = usage_world.account()
    point = usage_world.point(
        account,
        "MP0001",
        metering_arrangement=MeteringArrangement.HV_SUPPLY_LV_METERING,
        ct_ratio=100,
        transformer_capacity_kva=D("315"),
        transformer_no_load_loss_kw=D("0.48"),
        transformer_load_loss_kw=D("3.65"),
        line_loss_percent=D("1"),
    )
    meter = usage_world.meter("M1", has_reactive=True, has_demand=True)
    usage_world.install(meter, point, at(2024, 12, 1), registers("900.00", reactive_import_total="400.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("1000.00", reactive_import_total="500.00"))
    usage_world.read(
        meter,
        at(2025, 2, 1),
        registers("1600.00", reactive_import_total="800.00", maximum_demand_kw="1.2345"),
    )

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    (explained,) = usage.points
    assert (explained.line_loss_kwh, explained.transformer_loss_kwh) == (D("600.000"), D("579.610"))
    assert usage.energy_kwh == {"total": D("61179.610")}
    assert (usage.reactive_forward_kvarh, usage.reactive_reverse_kvarh) == (D("30000.00"), D(0))
    # Maximum demand: the closing read's 1.2345 kW × 100 = 123.45 kW.
    assert usage.max_demand_kw == D("123.4500")


def test_a_sub_meter_of_another_account_is_deducted_from_its_parent(usage_world: UsageWorld) -> None:
    # Parent (account A): 5,000.00 − 4,000.00 = 1,000.00 kWh; sub-meter (account B, subtract):
    # 300.00 − 180.00 = 120.00 kWh. Account A bills 1,000 − 120 = 880 kWh, even when account B is
    # not in the batch; B bills its 120.
    parent_account, child_account = usage_world.account(), usage_world.account(name="食堂")
    parent = usage_world.point(parent_account, "MP0001")
    child = usage_world.point(child_account, "MP0002", parent=parent, child_relation="subtract")
    parent_meter, child_meter = usage_world.meter("P1"), usage_world.meter("C1")
    usage_world.install(parent_meter, parent, at(2024, 12, 1), registers("3900.00"))
    usage_world.install(child_meter, child, at(2024, 12, 1), registers("100.00"))
    usage_world.read(parent_meter, at(2025, 1, 1), registers("4000.00"))
    usage_world.read(child_meter, at(2025, 1, 1), registers("180.00"))
    usage_world.read(parent_meter, at(2025, 2, 1), registers("5000.00"))
    usage_world.read(child_meter, at(2025, 2, 1), registers("300.00"))

    alone = load_account_usage(accounts=[parent_account], **JANUARY)
    both = load_account_usage(accounts=[parent_account, child_account], **JANUARY)

    assert list(alone) == [parent_account.pk]
    assert alone[parent_account.pk].energy_kwh == {"total": D("880.000")}
    assert both[parent_account.pk].energy_kwh == {"total": D("880.000")}
    assert both[child_account.pk].energy_kwh == {"total": D("120.000")}
    deduction = both[parent_account.pk].points[0].deductions[0]
    assert (deduction.child_code, deduction.requested_kwh, deduction.applied_kwh) == (
        "MP0002",
        D("120.00"),
        D("120.00"),
    )


def test_tou_registers_split_the_total_and_flat_is_the_remainder(usage_world: UsageWorld) -> None:
    # Advances: total 1,000.00; sharp 100.00; peak 350.00; valley 300.00; the flat register says
    # 249.99 but 平 = 总 − 尖 − 峰 − 谷 = 250.00, so the periods add up to the total.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1", has_time_of_use=True)
    zero = registers(
        "0.00",
        import_active_sharp="0",
        import_active_peak="0",
        import_active_flat="0",
        import_active_valley="0",
    )
    usage_world.install(meter, point, at(2024, 12, 1), zero)
    usage_world.read(meter, at(2025, 1, 1), zero)
    usage_world.read(
        meter,
        at(2025, 2, 1),
        registers(
            "1000.00",
            import_active_sharp="100.00",
            import_active_peak="350.00",
            import_active_flat="249.99",
            import_active_valley="300.00",
        ),
    )

    usage = load_account_usage(
        accounts=[account], tariffs={account.pk: catalog_tariff("DEMO-GD-LI-2P")}, **JANUARY
    )[account.pk]

    assert usage.energy_kwh == {
        "sharp": D("100.000"),
        "peak": D("350.000"),
        "flat": D("250.000"),
        "valley": D("300.000"),
    }
    assert usage.flags == frozenset()


def test_interval_reads_split_a_plain_meter_by_the_tariffs_schedule(usage_world: UsageWorld) -> None:
    # CN-ZJ-RES-TOU: peak 08–22 (14 h), valley 22–08 (10 h). 1.000 kWh every hour of January:
    # peak 14 × 31 = 434, valley 10 × 31 = 310 (of 744). The register total, 1,488.00 kWh, is
    # shared 434 : 310 → 868.000 and 620.000.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 1), registers("0.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("12.00"))
    usage_world.read(meter, at(2025, 2, 1), registers("1500.00"))
    for offset in range(31):
        operations.store_interval_day(
            metering_point=point,
            read_date=date(2025, 1, 1) + timedelta(days=offset),
            quantity=IntervalQuantity.ENERGY_KWH,
            interval_minutes=60,
            values=[D("1.000")] * 24,
            source=ReadSource.AMI,
            actor=None,
            now=at(2025, 6, 1),
        )
    tariff = catalog_tariff("CN-ZJ-RES-TOU")

    usage = load_account_usage(accounts=[account], tariffs={account.pk: tariff}, **JANUARY)[account.pk]

    assert usage.energy_kwh == {"peak": D("868.000"), "valley": D("620.000")}
    assert usage.flags == frozenset()
    # A day short (February has only its first day stored): no split, the total is flagged.
    usage_world.read(meter, at(2025, 3, 1), registers("1600.00"))
    operations.store_interval_day(
        metering_point=point,
        read_date=date(2025, 2, 1),
        quantity=IntervalQuantity.ENERGY_KWH,
        interval_minutes=60,
        values=[D("1.000")] * 24,
        source=ReadSource.AMI,
        actor=None,
        now=at(2025, 6, 1),
    )
    february = load_account_usage(accounts=[account], tariffs={account.pk: tariff}, **FEBRUARY)[account.pk]
    assert february.energy_kwh == {"total": D("100.000")}
    assert february.flags == {UsageFlag.PERIODS_UNAVAILABLE}


def test_a_missing_closing_read_is_estimated_and_the_next_actual_read_trues_it_up(
    usage_world: UsageWorld,
) -> None:
    # History: 0.00 (1 Nov) → 310.00 (1 Dec, 30 days) → 600.00 (1 Jan, 31 days): 600.00 in 61 days.
    # January has no closing read: estimate 600.00 / 61 × 31 = 304.918… → 304.92 kWh, an estimated
    # closing read of 904.92 at 1 Feb 00:00. February closes on an actual 1,150.00 (28 Feb):
    # 1,150.00 − 904.92 = 245.08. January + February = 304.92 + 245.08 = 550.00 = 1,150.00 − 600.00.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 11, 1), registers("0.00"))
    usage_world.read(meter, at(2024, 12, 1), registers("310.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("600.00"))

    january = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert january.energy_kwh == {"total": D("304.920")}
    assert january.flags == {UsageFlag.ESTIMATED}
    (estimate,) = january.estimated_reads
    assert (estimate.meter_id, estimate.metering_point_id, estimate.read_at) == (
        meter.pk,
        point.pk,
        at(2025, 2, 1, 0),
    )
    assert dict(estimate.registers) == {"import_active_total": D("904.92")}
    # The runner records the estimate as an estimated read through the metering operation.
    operations.record_meter_read(
        meter=meter,
        read_at=estimate.read_at,
        source=ReadSource.ESTIMATED,
        status=ReadStatus.ESTIMATED,
        registers=RegisterValues(**estimate.registers),
        actor=None,
        now=at(2025, 2, 1, 1),
    )
    # Billing January again now reads the stored estimate: same usage, nothing new to estimate.
    again = load_account_usage(accounts=[account], **JANUARY)[account.pk]
    assert (again.energy_kwh, again.estimated_reads) == ({"total": D("304.920")}, ())
    usage_world.read(meter, at(2025, 2, 28), registers("1150.00"))

    february = load_account_usage(accounts=[account], **FEBRUARY)[account.pk]

    assert february.energy_kwh == {"total": D("245.080")}
    assert february.flags == frozenset()
    assert january.total_kwh + february.total_kwh == D("1150.00") - D("600.00")


def test_an_estimate_runs_from_the_latest_read_before_the_closing_window(usage_world: UsageWorld) -> None:
    # A read of 20 Jan (800.00) is too early to close January (window 29 Jan – 1 Feb): the
    # estimate runs from it. History 0.00 (1 Nov) → 310.00 → 600.00 → 800.00 (20 Jan): 800.00 in
    # 80 days = 10.00 a day; × 12 days (20 Jan → 1 Feb) = 120.00, a closing read of 920.00;
    # January bills 920.00 − 600.00 = 320.00.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 11, 1), registers("0.00"))
    usage_world.read(meter, at(2024, 12, 1), registers("310.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("600.00"))
    usage_world.read(meter, at(2025, 1, 20), registers("800.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert dict(usage.estimated_reads[0].registers) == {"import_active_total": D("920.00")}
    assert usage.energy_kwh == {"total": D("320.000")}
    assert usage.flags == {UsageFlag.ESTIMATED}


def test_an_actual_read_below_the_estimate_gives_the_over_estimate_back(usage_world: UsageWorld) -> None:
    # Estimated closing 904.92 (as above); the actual February read is only 850.00:
    # 850.00 − 904.92 = −54.92 kWh, flagged; January + February = 304.92 − 54.92 = 250.00 = 850 − 600.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 11, 1), registers("0.00"))
    usage_world.read(meter, at(2024, 12, 1), registers("310.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("600.00"))
    usage_world.read(meter, at(2025, 2, 1, 0), registers("904.92"), status=ReadStatus.ESTIMATED)
    usage_world.read(meter, at(2025, 2, 28), registers("850.00"))

    february = load_account_usage(accounts=[account], **FEBRUARY)[account.pk]

    assert february.energy_kwh == {"total": D("-54.920")}
    assert february.flags == {UsageFlag.ESTIMATE_REVERSED}


def test_a_missing_read_without_history_is_flagged_and_not_estimated(usage_world: UsageWorld) -> None:
    # Installed on 20 Dec with no read since: the install read opens January, nothing closes it,
    # and the meter has no actual period to average.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 20), registers("0.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.flags == {UsageFlag.MISSING_READ}
    assert usage.energy_kwh == {"total": D(0)}
    assert usage.estimated_reads == ()
    assert usage.points[0].spans == ()


def test_a_read_far_below_the_previous_is_flagged_as_running_backwards(usage_world: UsageWorld) -> None:
    # 6-digit dial: 500,000.00 → 100,000.00 would be a rollover of 600,000.00, more than half the
    # dial (500,000): it looks like a meter running backwards and is flagged for review.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 1), registers("499000.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("500000.00"))
    usage_world.read(meter, at(2025, 2, 1), registers("100000.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("600000.000")}
    assert usage.flags == {UsageFlag.BACKWARDS_READ}


def test_an_unchanged_register_is_zero_usage(usage_world: UsageWorld) -> None:
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 1), registers("700.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("750.00"))
    usage_world.read(meter, at(2025, 2, 1), registers("750.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("0.000")}
    assert usage.flags == {UsageFlag.ZERO_USAGE}


def test_usage_of_many_accounts_takes_a_fixed_number_of_queries(
    usage_world: UsageWorld, django_assert_max_num_queries: Callable[[int], DjangoAssertNumQueries]
) -> None:
    # 30 accounts, each one point with an exchange or plain reads, and with TOU tariffs (so the
    # interval query runs too): points, their sub-meters, installations, reads, interval days =
    # 5 queries.
    accounts = []
    for index in range(30):
        account = usage_world.account()
        point = usage_world.point(account, f"MP{index:04d}")
        meter = usage_world.meter(f"M{index}")
        usage_world.install(meter, point, at(2024, 12, 1), registers("0.00"))
        usage_world.read(meter, at(2025, 1, 1), registers("100.00"))
        usage_world.read(meter, at(2025, 2, 1), registers(f"{200 + index}.00"))
        accounts.append(account)
    tariffs = {account.pk: catalog_tariff("CN-ZJ-RES-TOU") for account in accounts}

    with django_assert_max_num_queries(5):
        usage = load_account_usage(accounts=accounts, tariffs=tariffs, **JANUARY)

    # No interval days: each account keeps its total (100 + index kWh) and is flagged.
    assert [usage[account.pk].energy_kwh for account in accounts] == [
        {"total": D(f"{100 + index}.000")} for index in range(30)
    ]
    assert all(usage[account.pk].flags == {UsageFlag.PERIODS_UNAVAILABLE} for account in accounts)


def test_a_point_connected_within_the_period_opens_on_its_install_read(usage_world: UsageWorld) -> None:
    # Installed 10 Jan at 20.00, read 1 Feb at 95.00: 75.00 kWh.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    installation = usage_world.install(meter, point, at(2025, 1, 10), registers("20.00"))
    usage_world.read(meter, at(2025, 2, 1), registers("95.00"))

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("75.000")}
    assert usage.points[0].spans[0].opening.read_id == installation.install_read_id
    assert usage.flags == frozenset()


def test_a_meter_removed_within_the_period_closes_on_its_removal_read(usage_world: UsageWorld) -> None:
    # Removed on 12 Jan (销户拆表) at 1,060.00, no meter since: 1,060.00 − 1,000.00 = 60.00 kWh.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 1), registers("900.00"))
    usage_world.read(meter, at(2025, 1, 1), registers("1000.00"))
    installation = operations.remove_meter(
        metering_point=point,
        removed_at=at(2025, 1, 12),
        registers=registers("1060.00"),
        source=ReadSource.MANUAL,
        actor=None,
        now=NOW,
    )

    usage = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert usage.energy_kwh == {"total": D("60.000")}
    assert usage.points[0].spans[0].closing.read_id == installation.removal_read_id
    assert usage.flags == frozenset()


def test_a_read_before_the_window_does_not_close_the_period(
    usage_world: UsageWorld, settings: Settings
) -> None:
    # The last read is of 28 Jan (1,200.00). Window 3 days, [29 Jan, 1 Feb]: it does not close
    # January, which is estimated from it: 200.00 in 28 days (31 Dec → 28 Jan) × 4 days
    # = 28.571… → 28.57, so 1,228.57 − 1,000.00 = 228.57 kWh. Window 4 days, [28 Jan, 1 Feb]:
    # it closes January, 1,200.00 − 1,000.00 = 200.00 kWh.
    account = usage_world.account()
    point = usage_world.point(account, "MP0001")
    meter = usage_world.meter("M1")
    usage_world.install(meter, point, at(2024, 12, 31, 20), registers("1000.00"))
    usage_world.read(meter, at(2025, 1, 28), registers("1200.00"))

    settings.GRIDCARE_READ_WINDOW_DAYS = 3
    three_days = load_account_usage(accounts=[account], **JANUARY)[account.pk]
    settings.GRIDCARE_READ_WINDOW_DAYS = 4
    four_days = load_account_usage(accounts=[account], **JANUARY)[account.pk]

    assert (three_days.energy_kwh, three_days.flags) == ({"total": D("228.570")}, {UsageFlag.ESTIMATED})
    assert (four_days.energy_kwh, four_days.flags) == ({"total": D("200.000")}, frozenset())
