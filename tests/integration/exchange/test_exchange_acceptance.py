"""Issue 2's acceptance case: 1,000 reads with 3 bad rows report exactly those rows and import
nothing; with --partial the 997 good rows go in and the report still lists the 3."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from exchange_world import SHANGHAI, World, csv_bytes, install, make_meter, make_point

from gridcare.audit.models import AuditEvent
from gridcare.exchange.errors import ReferenceNotFound
from gridcare.exchange.models import ExchangeBatch
from gridcare.kit.energy import EnergyInvalid
from gridcare.metering.errors import MeterScrapped
from gridcare.metering.models import MeterRead, MeterStatus

METERS = 20
MONTHS = 50
SCRAPPED_ROW, NEGATIVE_ROW, UNKNOWN_METER_ROW = 102, 502, 902


def _read_at(month: int) -> datetime:
    """The first of each month from February 2020, midnight Beijing time."""
    year, month_index = divmod(month + 1, 12)
    return datetime(2020 + year, month_index + 1, 1, tzinfo=SHANGHAI)


@pytest.fixture
def reads_file(world: World, tmp_path: Path) -> Path:
    """1,000 monthly reads (20 meters × 50 months) with 3 bad rows: a read on a scrapped meter
    (row 102), a negative register (row 502) and an unknown meter (row 902)."""
    asset_nos = []
    for number in range(METERS):
        meter = make_meter(f"A{number:04d}", world.station, status=MeterStatus.INSTALLED)
        install(meter, make_point(f"P{number:04d}", world.account))
        asset_nos.append(meter.asset_no)
    rows = [["asset_no", "read_at", "source", "import_active_total"]]
    for month in range(MONTHS):
        for asset_no in asset_nos:
            rows.append(
                [asset_no, _read_at(month).strftime("%Y-%m-%dT%H:%M:%S"), "ami", f"{1000 + 10 * month}.00"]
            )
    rows[SCRAPPED_ROW - 1][0] = world.scrapped_meter.asset_no
    rows[NEGATIVE_ROW - 1][3] = "-5.00"
    rows[UNKNOWN_METER_ROW - 1][0] = "NO-SUCH-METER"
    path = tmp_path / "reads.csv"
    path.write_bytes(csv_bytes(rows))
    return path


def _expected_report() -> list[list[str]]:
    expected = [
        (SCRAPPED_ROW, "asset_no", "M0003", MeterScrapped(asset_no="M0003")),
        (
            NEGATIVE_ROW,
            "import_active_total",
            "-5.00",
            EnergyInvalid(value="-5.00", reason_zh="不能为负数", reason_en="it is negative"),
        ),
        (
            UNKNOWN_METER_ROW,
            "asset_no",
            "NO-SUCH-METER",
            ReferenceNotFound(label_zh="电能表", label_en="Meter", value="NO-SUCH-METER"),
        ),
    ]
    return [
        [str(row), column, value, error.message("zh-hans"), error.message("en")]
        for row, column, value, error in expected
    ]


def _report_lines(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as report:
        return list(csv.reader(report))


def test_a_file_with_three_bad_rows_reports_them_and_imports_nothing(
    world: World, reads_file: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.csv"
    reads_before = MeterRead.objects.count()

    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import", "reads", str(reads_file), "--report", str(report_path), stdout=io.StringIO())

    assert _report_lines(report_path) == [
        ["row", "column", "value", "reason_zh", "reason_en"],
        *_expected_report(),
    ]
    assert MeterRead.objects.count() == reads_before == 0
    assert ExchangeBatch.objects.count() == 0
    assert AuditEvent.objects.filter(action="import_reads").count() == 0


def test_a_partial_import_takes_the_997_good_rows_and_reports_the_3_bad_ones(
    world: World, reads_file: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.csv"

    call_command(
        "import", "reads", str(reads_file), "--partial", "--report", str(report_path), stdout=io.StringIO()
    )

    assert _report_lines(report_path)[1:] == _expected_report()
    assert MeterRead.objects.count() == 997
    assert MeterRead.objects.filter(
        meter__asset_no="A0001", read_at=_read_at(0)
    ).get().import_active_total == (Decimal("1000.00"))
    batch = ExchangeBatch.objects.get()
    assert (batch.kind, batch.rows_read, batch.rows_imported, batch.rows_rejected) == ("reads", 1000, 997, 3)
    # Neither --user nor --org-unit: the batch covers the whole tree, so it belongs to its root.
    assert batch.org_unit == world.province
    event = AuditEvent.objects.get(action="import_reads")
    assert (event.object_id, event.org_unit) == (str(batch.pk), world.province)
    assert event.changes == {
        "file_name": "reads.csv",
        "partial": True,
        "rows_read": 1000,
        "rows_imported": 997,
        "rows_rejected": 3,
        "org_unit": "37",
    }
