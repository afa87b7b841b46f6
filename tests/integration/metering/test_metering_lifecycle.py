"""The meter lifecycle through the operations: stock → installed → removed → scrapped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from metering_world import NOW, at, kwh

from gridcare.audit.models import AuditEvent
from gridcare.metering import operations
from gridcare.metering.errors import (
    InstallationOverlaps,
    MeterAlreadyInstalled,
    MeteringPointHasNoMeter,
    MeteringPointOccupied,
    MeterNotInstalled,
    MeterNotInstalledAt,
    MeterScrapped,
    MeterStatusForbids,
    MomentInFuture,
    ReadReasonReserved,
    ReadsAfterRemoval,
    ReadStatusMismatchesSource,
    ReadTimeTaken,
    RemovalNotAfterInstall,
)
from gridcare.metering.models import (
    Meter,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    ReadReason,
    ReadSource,
    ReadStatus,
)


def test_full_lifecycle_records_install_and_removal_reads(world, make_point, make_meter, install):
    point = make_point()
    meter = make_meter()
    assert meter.status == MeterStatus.IN_STOCK
    assert meter.status_changed_at == NOW

    installation = install(meter, point, registers=kwh("12.34"))
    meter.refresh_from_db()
    assert (meter.status, meter.status_changed_at) == (MeterStatus.INSTALLED, at(1))
    assert installation.removed_at is None
    install_read = installation.install_read
    assert install_read is not None
    assert (install_read.reason, install_read.read_at, install_read.import_active_total) == (
        ReadReason.INSTALL,
        at(1),
        Decimal("12.34"),
    )
    assert (install_read.metering_point_id, install_read.org_unit_id) == (point.pk, world.station.pk)
    assert (install_read.source, install_read.status) == (ReadSource.MANUAL, ReadStatus.VALID)

    periodic = operations.record_meter_read(
        meter=meter,
        read_at=at(15),
        source=ReadSource.AMI,
        registers=kwh("150.00"),
        actor=world.actor,
        now=NOW,
    )
    assert (periodic.reason, periodic.metering_point_id) == (ReadReason.PERIODIC, point.pk)

    closed = operations.remove_meter(
        metering_point=point,
        removed_at=at(20),
        registers=kwh("201.50"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )
    assert closed.pk == installation.pk
    closed.refresh_from_db()
    assert closed.removed_at == at(20)
    removal_read = MeterRead.objects.get(pk=closed.removal_read_id)
    assert (removal_read.reason, removal_read.read_at, removal_read.import_active_total) == (
        ReadReason.REMOVAL,
        at(20),
        Decimal("201.50"),
    )
    meter.refresh_from_db()
    assert (meter.status, meter.status_changed_at) == (MeterStatus.REMOVED, at(20))

    operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)
    meter.refresh_from_db()
    assert (meter.status, meter.status_changed_at) == (MeterStatus.SCRAPPED, NOW)
    assert list(
        MeterRead.objects.filter(meter=meter).order_by("read_at").values_list("reason", flat=True)
    ) == [
        ReadReason.INSTALL,
        ReadReason.PERIODIC,
        ReadReason.REMOVAL,
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "create_metering_point",
        "register_meter",
        "install_meter",
        "record_meter_read",
        "remove_meter",
        "scrap_meter",
    ]
    install_event = AuditEvent.objects.get(action="install_meter")
    assert install_event.actor_id == world.actor.pk
    assert install_event.org_unit_id == world.station.pk
    assert install_event.object_id == str(installation.pk)
    assert install_event.changes["meter"] == "3710001000001"
    assert install_event.changes["metering_point"] == "MP0001"
    assert install_event.changes["status"] == ["in_stock", "installed"]
    assert install_event.changes["registers"]["import_active_total"] == "12.34"


# --- install ----------------------------------------------------------------------------------


def test_meter_installed_on_another_point_is_refused_naming_both_points(
    world, make_point, make_meter, install, unchanged
):
    first_point = make_point("MP0001")
    second_point = make_point("MP0002")
    meter = make_meter()
    install(meter, first_point)
    with unchanged(), pytest.raises(MeterAlreadyInstalled) as refused:
        install(meter, second_point, installed_at=at(2))
    assert refused.value.message("zh-hans") == (
        "电能表 3710001000001 已安装在计量点 MP0001 上，不能再装到计量点 MP0002；请先拆表。"
    )
    assert refused.value.message("en") == (
        "Meter 3710001000001 is already installed on metering point MP0001; it cannot also be "
        "installed on metering point MP0002. Remove it first."
    )
    assert refused.value.field == "meter"
    meter.refresh_from_db()
    assert meter.status == MeterStatus.INSTALLED
    assert list(MeterInstallation.objects.values_list("metering_point__code", flat=True)) == ["MP0001"]


def test_point_with_a_meter_refuses_a_second_meter(world, make_point, make_meter, install, unchanged):
    point = make_point()
    install(make_meter("3710001000001"), point)
    second = make_meter("3710001000002")
    with unchanged(), pytest.raises(MeteringPointOccupied) as refused:
        install(second, point, installed_at=at(2))
    assert refused.value.message("en") == (
        "Metering point MP0001 already has meter 3710001000001 installed; remove it or exchange it."
    )
    assert (
        refused.value.message("zh-hans") == "计量点 MP0001 已装有电能表 3710001000001，请先拆表或办理换表。"
    )
    second.refresh_from_db()
    assert second.status == MeterStatus.IN_STOCK


def test_scrapped_meter_cannot_be_installed(world, make_point, make_meter, install, unchanged):
    point = make_point()
    meter = make_meter()
    operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)
    with unchanged(), pytest.raises(MeterScrapped) as refused:
        install(meter, point)
    assert refused.value.message("zh-hans") == "电能表 3710001000001 已报废，不能再抄表、安装或变更。"


def test_install_in_the_future_is_refused(world, make_point, make_meter, install, unchanged):
    point = make_point()
    meter = make_meter()
    with unchanged(), pytest.raises(MomentInFuture) as refused:
        install(meter, point, installed_at=at(2, month=3))
    assert (
        refused.value.message("en")
        == "The installation time 2025-03-02 09:00:00 is later than now (2025-03-01 12:00:00)."
    )


def test_install_before_the_points_last_removal_is_refused(world, make_point, make_meter, install, unchanged):
    point = make_point()
    install(make_meter("3710001000001"), point, installed_at=at(1))
    operations.remove_meter(
        metering_point=point,
        removed_at=at(10),
        registers=kwh("10"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )
    second = make_meter("3710001000002")
    with unchanged(), pytest.raises(InstallationOverlaps) as refused:
        install(second, point, installed_at=at(5))
    assert refused.value.message("en") == (
        "The installation time 2025-02-05 09:00:00 is before the last removal from metering point MP0001 "
        "at 2025-02-10 09:00:00; installations cannot overlap."
    )


def test_reinstalling_a_removed_meter_before_its_removal_is_refused(
    world, make_point, make_meter, install, unchanged
):
    first_point = make_point("MP0001")
    second_point = make_point("MP0002")
    meter = make_meter()
    install(meter, first_point, installed_at=at(1))
    operations.remove_meter(
        metering_point=first_point,
        removed_at=at(10),
        registers=kwh("10"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )
    with unchanged(), pytest.raises(InstallationOverlaps) as refused:
        install(meter, second_point, installed_at=at(9))
    assert refused.value.message("zh-hans") == (
        "装表时间 2025-02-09 09:00:00 早于电能表 3710001000001 上次拆表的时间 2025-02-10 09:00:00，"
        "安装期不能重叠。"
    )
    # After re-verification the removed meter may go on another point.
    moved = install(meter, second_point, installed_at=at(11), registers=kwh("10"))
    meter.refresh_from_db()
    assert (meter.status, moved.metering_point_id) == (MeterStatus.INSTALLED, second_point.pk)


# --- removal ----------------------------------------------------------------------------------


def _remove(world, point, removed_at, total="10"):
    return operations.remove_meter(
        metering_point=point,
        removed_at=removed_at,
        registers=kwh(total),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )


def test_removing_from_a_point_without_meter_is_refused(world, make_point, unchanged):
    point = make_point()
    with unchanged(), pytest.raises(MeteringPointHasNoMeter) as refused:
        _remove(world, point, at(10))
    assert refused.value.message("en") == "Metering point MP0001 has no meter installed."


def test_removal_at_or_before_the_install_is_refused(world, make_point, make_meter, install, unchanged):
    point = make_point()
    meter = make_meter()
    install(meter, point, installed_at=at(5))
    for removed_at in (at(5), at(4)):
        with unchanged(), pytest.raises(RemovalNotAfterInstall):
            _remove(world, point, removed_at)
    meter.refresh_from_db()
    assert meter.status == MeterStatus.INSTALLED


def test_removal_before_reads_already_taken_is_refused(world, make_point, make_meter, install, unchanged):
    point = make_point()
    meter = make_meter()
    install(meter, point, installed_at=at(1))
    operations.record_meter_read(
        meter=meter, read_at=at(15), source=ReadSource.AMI, registers=kwh("50"), actor=world.actor, now=NOW
    )
    with unchanged(), pytest.raises(ReadsAfterRemoval) as refused:
        _remove(world, point, at(10))
    assert refused.value.message("en") == (
        "Meter 3710001000001 has reads after the removal time 2025-02-10 09:00:00 "
        "(the last at 2025-02-15 09:00:00); the removal time is wrong."
    )


def test_removal_at_the_time_of_an_existing_read_is_refused(
    world, make_point, make_meter, install, unchanged
):
    point = make_point()
    meter = make_meter()
    install(meter, point, installed_at=at(1))
    operations.record_meter_read(
        meter=meter, read_at=at(15), source=ReadSource.AMI, registers=kwh("50"), actor=world.actor, now=NOW
    )
    with unchanged(), pytest.raises(ReadTimeTaken):
        _remove(world, point, at(15), total="50")


# --- exchange (换表) ----------------------------------------------------------------------------


def test_exchange_removes_and_installs_at_the_same_moment(world, make_point, make_meter, install):
    point = make_point()
    old_meter = make_meter("3710001000001")
    install(old_meter, point, installed_at=at(1))
    new_meter = make_meter("3710001000002")
    new_installation = operations.exchange_meter(
        metering_point=point,
        new_meter=new_meter,
        exchanged_at=at(14, hour=10),
        old_meter_registers=kwh("345.67"),
        new_meter_registers=kwh("0.12"),
        source=ReadSource.MANUAL,
        actor=world.actor,
        now=NOW,
    )
    old_meter.refresh_from_db()
    new_meter.refresh_from_db()
    assert (old_meter.status, new_meter.status) == (MeterStatus.REMOVED, MeterStatus.INSTALLED)
    installations = list(
        MeterInstallation.objects.order_by("installed_at").values_list(
            "meter__asset_no", "installed_at", "removed_at"
        )
    )
    assert installations == [
        ("3710001000001", at(1), at(14, hour=10)),
        ("3710001000002", at(14, hour=10), None),
    ]
    reads = list(
        MeterRead.objects.filter(read_at=at(14, hour=10))
        .order_by("meter__asset_no")
        .values_list("meter__asset_no", "reason", "import_active_total")
    )
    assert reads == [
        ("3710001000001", ReadReason.REMOVAL, Decimal("345.67")),
        ("3710001000002", ReadReason.INSTALL, Decimal("0.12")),
    ]
    assert new_installation.install_read.import_active_total == Decimal("0.12")
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True))[-3:] == [
        "remove_meter",
        "install_meter",
        "exchange_meter",
    ]
    exchange_event = AuditEvent.objects.get(action="exchange_meter")
    assert exchange_event.changes["old_meter"] == "3710001000001"
    assert exchange_event.changes["new_meter"] == "3710001000002"


def test_refused_exchange_leaves_the_old_meter_installed(world, make_point, make_meter, install, unchanged):
    point = make_point()
    old_meter = make_meter("3710001000001")
    install(old_meter, point, installed_at=at(1))
    new_meter = make_meter("3710001000002")
    operations.scrap_meter(meter=new_meter, actor=world.actor, now=NOW)
    with unchanged(), pytest.raises(MeterScrapped):
        operations.exchange_meter(
            metering_point=point,
            new_meter=new_meter,
            exchanged_at=at(14),
            old_meter_registers=kwh("345.67"),
            new_meter_registers=kwh("0"),
            source=ReadSource.MANUAL,
            actor=world.actor,
            now=NOW,
        )
    old_meter.refresh_from_db()
    assert old_meter.status == MeterStatus.INSTALLED


# --- scrap ------------------------------------------------------------------------------------


def test_installed_meter_cannot_be_scrapped(world, make_point, make_meter, install, unchanged):
    meter = make_meter()
    install(meter, make_point())
    with unchanged(), pytest.raises(MeterStatusForbids) as refused:
        operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)
    assert (
        refused.value.message("zh-hans") == "电能表 3710001000001 当前状态为“已安装”，不能报废（请先拆表）。"
    )
    assert (
        refused.value.message("en")
        == "Meter 3710001000001 is installed: it cannot be scrapped before removal."
    )


def test_scrapping_twice_is_refused(world, make_meter, unchanged):
    meter = make_meter()
    operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)
    with unchanged(), pytest.raises(MeterScrapped):
        operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)


# --- reads ------------------------------------------------------------------------------------


def _read(world, meter, read_at, registers=None, **overrides):
    arguments = {
        "meter": meter,
        "read_at": read_at,
        "source": ReadSource.AMI,
        "registers": registers or kwh("100"),
        "actor": world.actor,
        "now": NOW,
    }
    arguments.update(overrides)
    return operations.record_meter_read(**arguments)


def test_read_on_a_scrapped_meter_is_refused_with_a_clear_message(
    world, make_point, make_meter, install, unchanged
):
    point = make_point()
    meter = make_meter()
    install(meter, point, installed_at=at(1))
    _remove(world, point, at(10))
    operations.scrap_meter(meter=meter, actor=world.actor, now=NOW)
    with unchanged(), pytest.raises(MeterScrapped) as refused:
        _read(world, meter, at(5))
    assert refused.value.message("zh-hans") == "电能表 3710001000001 已报废，不能再抄表、安装或变更。"
    assert refused.value.message("en") == (
        "Meter 3710001000001 is scrapped: it cannot be read, installed or changed any more."
    )
    assert refused.value.as_dict()["code"] == "meter_scrapped"


def test_read_on_a_meter_in_stock_is_refused(world, make_meter, unchanged):
    meter = make_meter()
    with unchanged(), pytest.raises(MeterNotInstalled) as refused:
        _read(world, meter, at(5))
    assert (
        refused.value.message("en")
        == "Meter 3710001000001 is not installed (it is in stock), so it cannot be read."
    )


def test_reads_before_install_and_after_removal_are_refused(
    world, make_point, make_meter, install, unchanged
):
    point = make_point()
    meter = make_meter()
    install(meter, point, installed_at=at(5))
    _remove(world, point, at(20))
    for read_at in (at(4), at(5, hour=8), at(20, hour=10), at(25)):
        with unchanged(), pytest.raises(MeterNotInstalledAt) as refused:
            _read(world, meter, read_at)
    assert refused.value.message("en") == (
        "Meter 3710001000001 was not installed on any metering point at 2025-02-25 09:00:00 "
        "(before its installation or after its removal)."
    )
    inside = _read(world, meter, at(19, hour=23))
    assert inside.metering_point_id == point.pk


def test_read_follows_the_meter_to_the_point_it_was_on(world, make_point, make_meter, install):
    first_point = make_point("MP0001")
    second_point = make_point("MP0002", account=world.second_account)
    meter = make_meter()
    install(meter, first_point, installed_at=at(1))
    _remove(world, first_point, at(10))
    install(meter, second_point, installed_at=at(12), registers=kwh("10"))
    assert _read(world, meter, at(5), registers=kwh("5")).metering_point_id == first_point.pk
    assert _read(world, meter, at(15), registers=kwh("15")).metering_point_id == second_point.pk


def test_second_read_at_the_same_time_is_refused(world, make_point, make_meter, install, unchanged):
    meter = make_meter()
    install(meter, make_point(), installed_at=at(1))
    _read(world, meter, at(15))
    with unchanged(), pytest.raises(ReadTimeTaken) as refused:
        _read(world, meter, at(15), registers=kwh("101"))
    assert (
        refused.value.message("zh-hans") == "电能表 3710001000001 在 2025-02-15 09:00:00 已有一条示数记录。"
    )
    # The install read holds the install moment too.
    with unchanged(), pytest.raises(ReadTimeTaken):
        _read(world, meter, at(1))


def test_install_and_removal_reasons_are_reserved(world, make_point, make_meter, install, unchanged):
    meter = make_meter()
    install(meter, make_point(), installed_at=at(1))
    for reason in (ReadReason.INSTALL, ReadReason.REMOVAL):
        with unchanged(), pytest.raises(ReadReasonReserved):
            _read(world, meter, at(15), reason=reason)
    assert _read(world, meter, at(15), reason=ReadReason.SPECIAL).reason == ReadReason.SPECIAL


@pytest.mark.parametrize(
    ("source", "status"),
    [(ReadSource.ESTIMATED, ReadStatus.VALID), (ReadSource.AMI, ReadStatus.ESTIMATED)],
)
def test_estimated_status_goes_with_the_estimated_source(
    world, make_point, make_meter, install, unchanged, source, status
):
    meter = make_meter()
    install(meter, make_point(), installed_at=at(1))
    with unchanged(), pytest.raises(ReadStatusMismatchesSource):
        _read(world, meter, at(15), source=source, status=status)
    estimated = _read(world, meter, at(15), source=ReadSource.ESTIMATED, status=ReadStatus.ESTIMATED)
    assert (estimated.source, estimated.status) == (ReadSource.ESTIMATED, ReadStatus.ESTIMATED)


def test_read_in_the_future_is_refused(world, make_point, make_meter, install, unchanged):
    meter = make_meter()
    install(meter, make_point(), installed_at=at(1))
    with unchanged(), pytest.raises(MomentInFuture):
        _read(world, meter, at(1, hour=13, month=3))
    assert _read(world, meter, NOW).read_at == NOW


def test_recorded_read_keeps_every_register_exactly(world, make_point, make_meter, install):
    meter = make_meter(
        has_time_of_use=True, has_export=True, has_reactive=True, has_demand=True, integer_digits=8
    )
    install(meter, make_point(), installed_at=at(1))
    registers = kwh(
        "12345678.91",
        import_active_sharp="1000.01",
        import_active_peak="4000.02",
        import_active_flat="5000.03",
        import_active_valley="2345.85",
        export_active_total="12.50",
        reactive_import_total="9999.99",
        reactive_export_total="0.01",
        maximum_demand_kw="1234.5678",
    )
    read = _read(world, meter, at(15), registers=registers)
    read.refresh_from_db()
    assert {name: getattr(read, name) for name in registers.as_model_fields()} == registers.as_model_fields()
    assert Meter.objects.get(pk=meter.pk).status == MeterStatus.INSTALLED
