"""A meter file's installations follow install_meter's rules: no install before the metering
point's last removal (installations of a point never overlap), none after now."""

from __future__ import annotations

from datetime import datetime

from exchange_world import SHANGHAI, World, csv_bytes, make_meter, problems_of, run_import

from gridcare.metering.errors import InstallationOverlaps
from gridcare.metering.models import Meter, MeterInstallation, MeterStatus

HEADER = [
    "asset_no",
    "meter_type",
    "manufacturer",
    "accuracy_class",
    "status",
    "metering_point",
    "installed_at",
]
REMOVED_AT = datetime(2024, 6, 1, 8, 0, tzinfo=SHANGHAI)


def _meter_row(asset_no: str, installed_at: str) -> list[str]:
    return [asset_no, "single_phase", "威胜集团", "2", "installed", "MP0003", installed_at]


def _free_point_emptied_on_1_june_2024(world: World) -> None:
    removed = make_meter("M0009", world.station, status=MeterStatus.REMOVED)
    MeterInstallation.objects.create(
        org_unit=world.station,
        meter=removed,
        metering_point=world.free_point,
        installed_at=datetime(2021, 3, 1, 8, 0, tzinfo=SHANGHAI),
        removed_at=REMOVED_AT,
    )


def test_a_meter_installed_before_the_points_last_removal_is_refused(world: World) -> None:
    _free_point_emptied_on_1_june_2024(world)

    report = run_import(
        "meters", csv_bytes([HEADER, _meter_row("M0300", "2024-05-31T08:00:00")]), scope=world.scope()
    )

    assert problems_of(report) == [(2, "installed_at", "2024-05-31T08:00:00", "installation_overlaps")]
    assert report.problems[0].message_en == InstallationOverlaps(
        moment="2024-05-31 08:00:00",
        subject_zh="计量点 MP0003 ",
        subject_en="metering point MP0003",
        last_removed_at="2024-06-01 08:00:00",
    ).message("en")
    assert not Meter.objects.filter(asset_no="M0300").exists()
    assert MeterInstallation.objects.filter(metering_point=world.free_point).count() == 1


def test_a_meter_installed_at_the_points_last_removal_goes_in(world: World) -> None:
    _free_point_emptied_on_1_june_2024(world)

    report = run_import(
        "meters", csv_bytes([HEADER, _meter_row("M0301", "2024-06-01T08:00:00")]), scope=world.scope()
    )

    assert (report.problems, report.rows_imported) == ([], 1)
    installation = MeterInstallation.objects.get(metering_point=world.free_point, removed_at__isnull=True)
    assert (installation.meter.asset_no, installation.installed_at) == ("M0301", REMOVED_AT)


def test_a_meter_installed_after_now_is_refused(world: World) -> None:
    report = run_import(
        "meters", csv_bytes([HEADER, _meter_row("M0302", "2025-03-16T08:00:00")]), scope=world.scope()
    )

    assert problems_of(report) == [(2, "installed_at", "2025-03-16T08:00:00", "moment_in_future")]
    assert not Meter.objects.filter(asset_no="M0302").exists()
