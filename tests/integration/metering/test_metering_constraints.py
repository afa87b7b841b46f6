"""Every metering model constraint, enforced by the database itself (operations bypassed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from metering_world import NOW, at, kwh, snapshot

from gridcare.metering.intervals import pack_day
from gridcare.metering.models import (
    ChildRelation,
    Feeder,
    IntervalQuantity,
    IntervalReadDay,
    Meter,
    MeteringArrangement,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    MeterType,
    ReadSource,
    TransformerArea,
)


def _refused(create, constraint_name: str | None = None) -> None:
    """``create()`` raises IntegrityError (naming ``constraint_name`` where the database does)
    and leaves every table as it was."""
    before = snapshot()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        create()
    if constraint_name is not None:
        # PostgreSQL names the violated constraint; SQLite names it for CHECK constraints only.
        message = str(refused.value)
        assert constraint_name in message or "UNIQUE constraint failed" in message
    assert snapshot() == before


def _point(world, code="MP0001", **fields) -> MeteringPoint:
    values = {
        "org_unit": world.station,
        "account": world.account,
        "code": code,
        "name": code,
        "metering_arrangement": MeteringArrangement.LV_SUPPLY_LV_METERING,
    }
    values.update(fields)
    return MeteringPoint(**values)


def _meter(world, asset_no="3710001000001", **fields) -> Meter:
    values = {
        "org_unit": world.county,
        "asset_no": asset_no,
        "meter_type": MeterType.SINGLE_PHASE,
        "manufacturer": "威胜集团",
        "accuracy_class": "2",
        "status_changed_at": NOW,
    }
    values.update(fields)
    return Meter(**values)


# --- metering points --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ct_ratio", "pt_ratio", "multiplier"),
    [(1, 1, 1), (200, 1, 200), (40, 100, 4000), (3000, 1100, 3_300_000), (20000, 5000, 100_000_000)],
)
def test_multiplier_is_ct_times_pt_computed_by_the_database(world, ct_ratio, pt_ratio, multiplier):
    point = _point(world, ct_ratio=ct_ratio, pt_ratio=pt_ratio)
    point.save()
    point.refresh_from_db()
    assert point.multiplier == multiplier
    assert MeteringPoint.objects.filter(multiplier=multiplier).count() == 1


def test_multiplier_follows_a_ratio_change(world):
    point = _point(world, ct_ratio=50)
    point.save()
    MeteringPoint.objects.filter(pk=point.pk).update(ct_ratio=75, pt_ratio=2)
    point.refresh_from_db()
    assert point.multiplier == 150


@pytest.mark.parametrize(("ct_ratio", "pt_ratio"), [(0, 1), (1, 0)])
def test_ratios_below_one_are_refused(world, ct_ratio, pt_ratio):
    _refused(
        lambda: _point(world, ct_ratio=ct_ratio, pt_ratio=pt_ratio).save(), "meteringpoint_ratios_positive"
    )


@pytest.mark.parametrize("line_loss_percent", [Decimal("-0.01"), Decimal("100.00"), Decimal("150")])
def test_line_loss_outside_0_to_100_is_refused(world, line_loss_percent):
    _refused(
        lambda: _point(world, line_loss_percent=line_loss_percent).save(),
        "meteringpoint_line_loss_percent_range",
    )


def test_line_loss_just_below_100_is_accepted(world):
    point = _point(world, line_loss_percent=Decimal("99.99"))
    point.save()
    point.refresh_from_db()
    assert point.line_loss_percent == Decimal("99.99")


def test_child_needs_a_relation_and_only_a_child_has_one(world):
    parent = _point(world, "MP0001")
    parent.save()
    _refused(lambda: _point(world, "MP0002", parent=parent).save(), "meteringpoint_child_has_relation")
    _refused(
        lambda: _point(world, "MP0003", child_relation=ChildRelation.SUBTRACT).save(),
        "meteringpoint_child_has_relation",
    )
    child = _point(world, "MP0004", parent=parent, child_relation=ChildRelation.SUBTRACT)
    child.save()
    assert list(parent.children.values_list("code", flat=True)) == ["MP0004"]


def test_point_cannot_be_its_own_parent(world):
    point = _point(world)
    point.save()
    _refused(
        lambda: MeteringPoint.objects.filter(pk=point.pk).update(parent=point, child_relation="subtract"),
        "meteringpoint_not_own_parent",
    )


def test_hv_supply_lv_metering_needs_the_transformer(world):
    _refused(
        lambda: _point(world, metering_arrangement=MeteringArrangement.HV_SUPPLY_LV_METERING).save(),
        "meteringpoint_hv_lv_has_transformer",
    )
    point = _point(
        world,
        metering_arrangement=MeteringArrangement.HV_SUPPLY_LV_METERING,
        transformer_capacity_kva=Decimal("315"),
    )
    point.save()
    assert MeteringPoint.objects.count() == 1


def test_metering_point_code_is_unique(world):
    _point(world).save()
    _refused(lambda: _point(world, account=world.second_account).save(), "code")


def test_feeder_and_transformer_area_codes_are_unique(world):
    feeder = Feeder.objects.create(org_unit=world.county, code="F01", name="泉城线", voltage_kv=Decimal("10"))
    _refused(
        lambda: Feeder.objects.create(org_unit=world.county, code="F01", name="x", voltage_kv=Decimal("10"))
    )
    TransformerArea.objects.create(
        org_unit=world.station, code="T01", name="一号台区", feeder=feeder, capacity_kva=Decimal("400")
    )
    _refused(
        lambda: TransformerArea.objects.create(
            org_unit=world.station, code="T01", name="x", feeder=feeder, capacity_kva=Decimal("400")
        )
    )


# --- meters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("integer_digits", [3, 11])
def test_integer_digits_outside_4_to_10_are_refused(world, integer_digits):
    _refused(lambda: _meter(world, integer_digits=integer_digits).save(), "meter_integer_digits_4_to_10")


def test_more_than_2_decimal_digits_is_refused(world):
    _refused(lambda: _meter(world, decimal_digits=3).save(), "meter_decimal_digits_at_most_2")


@pytest.mark.parametrize(("integer_digits", "decimal_digits"), [(4, 0), (10, 2)])
def test_dial_limits_are_accepted(world, integer_digits, decimal_digits):
    meter = _meter(world, integer_digits=integer_digits, decimal_digits=decimal_digits)
    meter.save()
    assert Meter.objects.filter(integer_digits=integer_digits, decimal_digits=decimal_digits).count() == 1


@pytest.mark.parametrize("accuracy_class", ["0.1", "3", "a", ""])
def test_unknown_accuracy_class_is_refused(world, accuracy_class):
    _refused(lambda: _meter(world, accuracy_class=accuracy_class).save(), "meter_accuracy_class_known")


def test_asset_number_is_unique(world):
    _meter(world).save()
    _refused(lambda: _meter(world).save(), "asset_no")


# --- installations ----------------------------------------------------------------------------


def _installation(world, meter, point, installed_at, removed_at=None) -> MeterInstallation:
    return MeterInstallation(
        org_unit=world.station,
        meter=meter,
        metering_point=point,
        installed_at=installed_at,
        removed_at=removed_at,
    )


def test_meter_on_two_points_at_once_is_refused_by_the_partial_unique_constraint(world):
    meter = _meter(world, status=MeterStatus.INSTALLED)
    meter.save()
    first, second = _point(world, "MP0001"), _point(world, "MP0002")
    first.save()
    second.save()
    _installation(world, meter, first, at(1)).save()
    _refused(
        lambda: _installation(world, meter, second, at(2)).save(), "meterinstallation_meter_on_one_point"
    )
    # Closed stays do not count: the same meter may have many past installations.
    _installation(world, meter, second, at(1, month=1), removed_at=at(20, month=1)).save()
    assert MeterInstallation.objects.filter(meter=meter).count() == 2


def test_point_with_two_meters_at_once_is_refused_by_the_partial_unique_constraint(world):
    point = _point(world)
    point.save()
    first, second = _meter(world, "3710001000001"), _meter(world, "3710001000002")
    first.save()
    second.save()
    _installation(world, first, point, at(1)).save()
    _refused(
        lambda: _installation(world, second, point, at(2)).save(), "meterinstallation_one_meter_per_point"
    )
    _installation(world, second, point, at(1, month=1), removed_at=at(20, month=1)).save()
    assert MeterInstallation.objects.filter(metering_point=point).count() == 2


@pytest.mark.parametrize("removed_day", [1, 0])
def test_removal_must_come_after_installation(world, removed_day):
    point = _point(world)
    point.save()
    meter = _meter(world)
    meter.save()
    removed_at = at(1) if removed_day else at(31, month=1)
    _refused(
        lambda: _installation(world, meter, point, at(1), removed_at=removed_at).save(),
        "meterinstallation_removed_after_installed",
    )


# --- reads ------------------------------------------------------------------------------------


def _installed(world):
    point = _point(world)
    point.save()
    meter = _meter(world, status=MeterStatus.INSTALLED)
    meter.save()
    return meter, point


def _read(world, meter, point, read_at, **registers) -> MeterRead:
    values = {"import_active_total": Decimal("10")}
    values.update(registers)
    return MeterRead(
        org_unit=world.station,
        meter=meter,
        metering_point=point,
        read_at=read_at,
        source=ReadSource.AMI,
        **values,
    )


def test_one_read_per_meter_and_time(world):
    meter, point = _installed(world)
    _read(world, meter, point, at(5)).save()
    _refused(
        lambda: _read(world, meter, point, at(5), import_active_total=Decimal("11")).save(),
        "meterread_one_per_meter_and_time",
    )
    _read(world, meter, point, at(5, hour=10)).save()
    assert MeterRead.objects.count() == 2


@pytest.mark.parametrize("register", list(kwh("0").as_model_fields()))
def test_negative_registers_are_refused(world, register):
    meter, point = _installed(world)
    _refused(
        lambda: _read(world, meter, point, at(5), **{register: Decimal("-0.01")}).save(),
        "meterread_registers_not_negative",
    )


def test_read_values_are_stored_exactly(world):
    meter, point = _installed(world)
    read = _read(
        world,
        meter,
        point,
        at(5),
        import_active_total=Decimal("999999999999.99"),
        maximum_demand_kw=Decimal("12345678.9999"),
    )
    read.save()
    read.refresh_from_db()
    assert (read.import_active_total, read.maximum_demand_kw) == (
        Decimal("999999999999.99"),
        Decimal("12345678.9999"),
    )


# --- interval days ----------------------------------------------------------------------------


def _day(world, point, interval_minutes=15, read_date=date(2025, 2, 1), **fields) -> IntervalReadDay:
    count = 24 * 60 // interval_minutes
    packed = pack_day(interval_minutes=interval_minutes, values=[Decimal("1.250")] * count)
    values = {
        "org_unit": world.station,
        "metering_point": point,
        "read_date": read_date,
        "quantity": IntervalQuantity.ENERGY_KWH,
        "interval_minutes": interval_minutes,
        "values": packed.values,
        "missing": packed.missing,
    }
    values.update(fields)
    return IntervalReadDay(**values)


def test_one_interval_day_per_point_quantity_and_date(world):
    point = _point(world)
    point.save()
    _day(world, point).save()
    _refused(
        lambda: _day(world, point, interval_minutes=30).save(), "intervalreadday_one_per_point_quantity_day"
    )
    _day(world, point, quantity=IntervalQuantity.DEMAND_KW).save()
    _day(world, point, read_date=date(2025, 2, 2)).save()
    assert IntervalReadDay.objects.count() == 3


@pytest.mark.parametrize("interval_minutes", [15, 30, 60])
def test_each_interval_length_stores_its_blob(world, interval_minutes):
    point = _point(world)
    point.save()
    _day(world, point, interval_minutes=interval_minutes).save()
    day = IntervalReadDay.objects.get()
    assert (len(bytes(day.values)), len(bytes(day.missing))) == (
        4 * 1440 // interval_minutes,
        1440 // interval_minutes // 8,
    )


def test_interval_other_than_15_30_60_is_refused(world):
    point = _point(world)
    point.save()
    # 5-minute intervals with blobs of consistent sizes (288 values, 36 bitmap bytes).
    five_minute_day = _day(world, point, interval_minutes=5 * 3)
    five_minute_day.interval_minutes = 5
    five_minute_day.values = bytes(4 * 288)
    five_minute_day.missing = bytes(36)
    _refused(five_minute_day.save, "intervalreadday_interval_15_30_60")


def test_values_blob_of_the_wrong_size_is_refused(world):
    point = _point(world)
    point.save()
    _refused(
        lambda: _day(world, point, values=bytes(4 * 95)).save(),
        "intervalreadday_values_one_int32_per_interval",
    )
    _refused(
        lambda: _day(world, point, interval_minutes=30, values=bytes(4 * 96)).save(),
        "intervalreadday_values_one_int32_per_interval",
    )


def test_missing_bitmap_of_the_wrong_size_is_refused(world):
    point = _point(world)
    point.save()
    _refused(
        lambda: _day(world, point, missing=bytes(11)).save(), "intervalreadday_missing_one_bit_per_interval"
    )
    _refused(
        lambda: _day(world, point, interval_minutes=60, missing=bytes(6)).save(),
        "intervalreadday_missing_one_bit_per_interval",
    )
