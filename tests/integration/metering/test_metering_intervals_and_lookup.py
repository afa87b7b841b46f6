"""Interval days through store_interval_day, and where a meter was at a moment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from metering_world import NOW, at, kwh

from gridcare.audit.models import AuditEvent
from gridcare.metering import operations
from gridcare.metering.errors import FieldInvalid, IntervalDayTaken, IntervalValuesInvalid, MomentInFuture
from gridcare.metering.intervals import unpack_day
from gridcare.metering.models import IntervalQuantity, IntervalReadDay, ReadSource
from gridcare.metering.rules import installation_at, load_installation_index


def _store(world, point, values, **overrides):
    arguments = {
        "metering_point": point,
        "read_date": date(2025, 2, 28),
        "quantity": IntervalQuantity.ENERGY_KWH,
        "interval_minutes": 15,
        "values": values,
        "source": ReadSource.AMI,
        "actor": world.actor,
        "now": NOW,
    }
    arguments.update(overrides)
    return operations.store_interval_day(**arguments)


def _quarter_hours(first_missing: int | None = None) -> list[Decimal | None]:
    values: list[Decimal | None] = [Decimal("12.345")] * 96
    if first_missing is not None:
        values[first_missing:] = [None] * (96 - first_missing)
    return values


def test_stored_day_round_trips_and_is_audited(world, make_point):
    point = make_point()
    values = _quarter_hours(first_missing=90)
    day = _store(world, point, values)
    day = IntervalReadDay.objects.get(pk=day.pk)
    assert (day.org_unit_id, day.interval_minutes, day.source) == (world.station.pk, 15, ReadSource.AMI)
    assert unpack_day(interval_minutes=15, values=bytes(day.values), missing=bytes(day.missing)) == values
    event = AuditEvent.objects.get(action="store_interval_day")
    assert (event.changes["total"], event.changes["missing_intervals"]) == ("1111.050", 6)


def test_second_store_of_a_day_is_refused_unless_replacing(world, make_point, unchanged):
    point = make_point()
    _store(world, point, _quarter_hours(first_missing=90))
    with unchanged(), pytest.raises(IntervalDayTaken) as refused:
        _store(world, point, _quarter_hours())
    assert refused.value.message("en") == (
        "Metering point MP0001 already has energy interval reads on 2025-02-28."
    )
    assert refused.value.message("zh-hans") == "计量点 MP0001 在 2025-02-28 已有电量曲线数据。"
    replaced = _store(world, point, _quarter_hours(), replace=True)
    assert IntervalReadDay.objects.count() == 1
    replaced.refresh_from_db()
    assert unpack_day(
        interval_minutes=15, values=bytes(replaced.values), missing=bytes(replaced.missing)
    ) == (_quarter_hours())
    event = AuditEvent.objects.get(action="replace_interval_day")
    assert (event.changes["previous_total"], event.changes["total"]) == ("1111.050", "1185.120")
    # The demand curve of the same day is a different quantity.
    _store(world, point, [Decimal("49.38")] * 96, quantity=IntervalQuantity.DEMAND_KW)
    assert IntervalReadDay.objects.count() == 2


def test_refused_interval_days_change_nothing(world, make_point, unchanged):
    point = make_point()
    with unchanged(), pytest.raises(IntervalValuesInvalid):
        _store(world, point, [Decimal(1)] * 48)
    with unchanged(), pytest.raises(IntervalValuesInvalid):
        _store(world, point, [Decimal("0.0005")] * 96)
    with unchanged(), pytest.raises(MomentInFuture) as refused:
        _store(world, point, _quarter_hours(), read_date=date(2025, 3, 2))
    assert (
        refused.value.message("en")
        == "The interval day time 2025-03-02 is later than now (2025-03-01 12:00:00)."
    )
    with unchanged(), pytest.raises(FieldInvalid):
        _store(world, point, _quarter_hours(), quantity="kvarh")
    # Today (Asia/Shanghai) may be stored while it is still being collected.
    assert _store(world, point, _quarter_hours(first_missing=48), read_date=date(2025, 3, 1)).pk is not None


# --- where was the meter? ---------------------------------------------------------------------


@pytest.fixture
def moved_meter(world, make_point, make_meter, install):
    """A meter on MP0001 for [1 Feb 09:00, 10 Feb 09:00) and on MP0002 from 12 Feb 09:00."""
    first = make_point("MP0001")
    second = make_point("MP0002")
    meter = make_meter()
    install(meter, first, installed_at=at(1))
    operations.remove_meter(
        metering_point=first,
        removed_at=at(10),
        registers=kwh("10"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )
    install(meter, second, installed_at=at(12), registers=kwh("10"))
    return meter, first, second


@pytest.mark.parametrize(
    ("moment_args", "expected_point"),
    [
        ((1, 8), None),
        ((1, 9), "MP0001"),
        ((10, 8), "MP0001"),
        ((10, 9), None),
        ((11, 9), None),
        ((12, 9), "MP0002"),
        ((28, 23), "MP0002"),
    ],
)
def test_installation_at_is_half_open(world, moved_meter, moment_args, expected_point):
    meter, _, _ = moved_meter
    moment = at(*moment_args)
    installation = installation_at(meter=meter, moment=moment)
    assert (installation.metering_point.code if installation else None) == expected_point
    index = load_installation_index(meter_ids=[meter.pk, meter.pk])
    indexed = index.at(meter_id=meter.pk, moment=moment)
    assert (indexed.pk if indexed else None) == (installation.pk if installation else None)


def test_installation_index_loads_many_meters_in_few_queries(world, make_point, make_meter, install):
    meters = []
    for number in range(12):
        meter = make_meter(f"37100010001{number:02d}")
        install(meter, make_point(f"MP{number:04d}"), installed_at=at(1 + number))
        meters.append(meter)
    with CaptureQueriesContext(connection) as queries:
        index = load_installation_index(meter_ids=[meter.pk for meter in meters] + [987654])
    assert len(queries.captured_queries) == 1
    assert [index.at(meter_id=meter.pk, moment=at(13)) is not None for meter in meters] == [True] * 12
    assert [index.at(meter_id=meter.pk, moment=at(12, hour=8)) is not None for meter in meters] == [
        True
    ] * 11 + [False]
    assert index.at(meter_id=987654, moment=at(13)) is None
