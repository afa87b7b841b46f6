"""An unmasked export (the server operator's ``--unmask-pii``) imports back unchanged: export
every kind, empty the customer file, import the files in dependency order, and export again —
the files are identical. That holds with meters that were installed and removed (their install
and removal reads are not exported) and with text a spreadsheet would take for a formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from exchange_world import NOW, SHANGHAI, World, install, make_meter, make_point, run_import

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, AccountStatusChange, Contact, Customer
from gridcare.exchange.files import FileFormat
from gridcare.exchange.models import ExchangeBatch, ExchangeDirection
from gridcare.exchange.operations import export_file
from gridcare.exchange.queries import ExchangeScope
from gridcare.metering.models import (
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    MeterStatus,
    ReadSource,
)
from gridcare.metering.operations import install_meter, record_meter_read, remove_meter
from gridcare.metering.rules import RegisterValues

KINDS_IN_ORDER = ("customers", "accounts", "metering_points", "meters", "reads")
EVERYTHING = ExchangeScope(user=None)


def _richer_file(world: World) -> None:
    """Values of every shape: a parent point, losses, demand, an estimated read, a comma."""
    world.enterprise.postal_address = "济南市历下区解放路 9 号, 2 号楼"
    world.enterprise.save()
    Contact.objects.create(
        customer=world.enterprise,
        name="=财务部",
        is_primary=True,
        email="finance@example.cn",
        landline="0531-88886666",
    )
    parent = make_point(
        "MP0900",
        world.other_account,
        metering_arrangement="hv_lv",
        ct_ratio=40,
        transformer_capacity_kva=Decimal("400.00"),
        transformer_no_load_loss_kw=Decimal("0.570"),
        line_loss_percent=Decimal("1.25"),
    )
    world.other_point.parent = parent
    world.other_point.child_relation = "subtract"
    world.other_point.save()
    demand_meter = make_meter("M0900", world.other_station, status=MeterStatus.INSTALLED, has_demand=True)
    install(demand_meter, parent, at=datetime(2024, 6, 1, 9, 30, 15, tzinfo=SHANGHAI))
    reads = [
        (
            world.meter,
            world.point,
            datetime(2025, 1, 1, tzinfo=SHANGHAI),
            {"import_active_sharp": Decimal("1.50")},
        ),
        (world.other_meter, world.other_point, datetime(2025, 2, 1, 8, tzinfo=SHANGHAI), {}),
        (
            demand_meter,
            parent,
            datetime(2025, 2, 1, tzinfo=SHANGHAI),
            {"maximum_demand_kw": Decimal("123.4567")},
        ),
    ]
    for meter, point, read_at, registers in reads:
        MeterRead.objects.create(
            org_unit=point.org_unit,
            meter=meter,
            metering_point=point,
            read_at=read_at,
            source="estimated" if meter == world.other_meter else "ami",
            status="estimated" if meter == world.other_meter else "valid",
            import_active_total=Decimal("1234.50"),
            **registers,
        )


def _export_all(file_format: FileFormat) -> dict[str, bytes]:
    files = {}
    for kind in KINDS_IN_ORDER:
        stream = io.BytesIO()
        export_file(
            kind=kind,
            stream=stream,
            file_format=file_format,
            file_name=f"{kind}.{file_format}",
            scope=EVERYTHING,
            now=NOW,
            chunk_size=2,
            unmask_pii=True,
        )
        files[kind] = stream.getvalue()
    return files


def _empty_the_customer_file() -> None:
    MeterInstallation.objects.all().delete()  # first: it holds its install and removal reads
    MeterRead.objects.all().delete()
    Meter.objects.all().delete()
    MeteringPoint.objects.filter(parent__isnull=False).delete()
    MeteringPoint.objects.all().delete()
    AccountStatusChange.objects.all().delete()
    Account.objects.all().delete()
    Contact.objects.all().delete()
    Customer.objects.all().delete()


def _cells(content: bytes, file_format: FileFormat) -> list[list[str]]:
    if file_format is FileFormat.CSV:
        return [line.split(",") for line in content.decode("utf-8-sig").splitlines()]
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [[cell or "" for cell in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", [FileFormat.CSV, FileFormat.XLSX])
def test_every_kind_round_trips_through_export_and_import(world: World, file_format: FileFormat) -> None:
    _richer_file(world)
    exported = _export_all(file_format)
    _empty_the_customer_file()

    for kind in KINDS_IN_ORDER:
        report = run_import(kind, exported[kind], scope=EVERYTHING, file_name=f"{kind}.{file_format}")
        assert (kind, report.problems) == (kind, [])

    again = _export_all(file_format)
    for kind in KINDS_IN_ORDER:
        assert (kind, _cells(again[kind], file_format)) == (kind, _cells(exported[kind], file_format))
    if file_format is FileFormat.CSV:
        assert again == exported


def test_the_exported_files_hold_what_the_import_reads(world: World) -> None:
    _richer_file(world)

    exported = _export_all(FileFormat.CSV)

    reads = exported["reads"].decode("utf-8-sig").splitlines()
    assert reads[0] == (
        "asset_no,read_at,source,status,reason,import_active_total,import_active_sharp,import_active_peak,"
        "import_active_flat,import_active_valley,export_active_total,reactive_import_total,"
        "reactive_export_total,maximum_demand_kw"
    )
    assert reads[1:] == [
        "M0001,2025-01-01T00:00:00+08:00,ami,valid,periodic,1234.50,1.50,,,,,,,",
        "M0002,2025-02-01T08:00:00+08:00,estimated,estimated,periodic,1234.50,,,,,,,,",
        "M0900,2025-02-01T00:00:00+08:00,ami,valid,periodic,1234.50,,,,,,,,123.4567",
    ]
    meters = exported["meters"].decode("utf-8-sig").splitlines()
    assert meters[1] == (
        "M0001,single_phase,威胜集团,,2,true,false,false,false,6,2,installed,2020-01-01T08:00:00+08:00,"
        "37010201,MP0001,2020-01-01T08:00:00+08:00"
    )
    assert meters[3] == (
        "M0003,single_phase,威胜集团,,2,false,false,false,false,6,2,scrapped,2020-01-01T08:00:00+08:00,"
        "37010201,,"
    )
    assert exported["customers"].startswith("\ufeff".encode())
    exports = ExchangeBatch.objects.filter(direction=ExchangeDirection.EXPORT).order_by("pk")
    assert [(batch.kind, batch.rows_exported) for batch in exports] == [
        ("customers", 3),
        ("accounts", 3),
        ("metering_points", 5),
        ("meters", 6),
        ("reads", 3),
    ]
    assert AuditEvent.objects.filter(action="export_reads").get().changes == {
        "file_name": "reads.csv",
        "rows_exported": 3,
        "org_unit": "37",
        "pii_masked": False,
    }


def test_an_export_holds_only_the_users_org_units(world: World) -> None:
    stream = io.BytesIO()

    result = export_file(
        kind="meters",
        stream=stream,
        file_format=FileFormat.CSV,
        file_name="meters.csv",
        scope=world.scope(world.station_clerk),
        now=NOW,
    )

    lines = stream.getvalue().decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["M0001", "M0003", "M0004"]
    assert result.rows_exported == 3
    assert result.batch.actor == world.station_clerk


def _meter_history(world: World) -> None:
    """M0004 installed on MP0003 and removed again (install and removal reads), then a new
    meter installed there with a periodic read: the install reads stay in the database."""
    registers = RegisterValues(import_active_total=Decimal("10.00"))
    install_meter(
        meter=world.stock_meter,
        metering_point=world.free_point,
        installed_at=datetime(2024, 12, 1, 9, tzinfo=SHANGHAI),
        registers=registers,
        source=ReadSource.MANUAL,
        actor=None,
        now=NOW,
    )
    remove_meter(
        metering_point=world.free_point,
        removed_at=datetime(2025, 1, 10, 9, tzinfo=SHANGHAI),
        registers=RegisterValues(import_active_total=Decimal("55.50")),
        source=ReadSource.MANUAL,
        actor=None,
        now=NOW,
    )
    new_meter = make_meter("M0901", world.station, status=MeterStatus.IN_STOCK)
    install_meter(
        meter=new_meter,
        metering_point=world.free_point,
        installed_at=datetime(2025, 1, 20, 9, tzinfo=SHANGHAI),
        registers=registers,
        source=ReadSource.MANUAL,
        actor=None,
        now=NOW,
    )
    record_meter_read(
        meter=new_meter,
        read_at=datetime(2025, 3, 1, tzinfo=SHANGHAI),
        source=ReadSource.AMI,
        registers=RegisterValues(import_active_total=Decimal("30.00")),
        actor=None,
        now=NOW,
    )


def test_install_and_removal_reads_stay_out_of_the_reads_export_so_it_imports_back(world: World) -> None:
    _meter_history(world)
    assert MeterRead.objects.filter(reason__in=["install", "removal"]).count() == 3

    exported = _export_all(FileFormat.CSV)
    assert exported["reads"].decode("utf-8-sig").splitlines()[1:] == [
        "M0901,2025-03-01T00:00:00+08:00,ami,valid,periodic,30.00,,,,,,,,",
    ]
    _empty_the_customer_file()
    for kind in KINDS_IN_ORDER:
        report = run_import(kind, exported[kind], scope=EVERYTHING, file_name=f"{kind}.csv")
        assert (kind, report.problems) == (kind, [])

    assert _export_all(FileFormat.CSV) == exported
    installations = MeterInstallation.objects.order_by("meter__asset_no")
    assert list(installations.values_list("meter__asset_no", "metering_point__code")) == [
        ("M0001", "MP0001"),
        ("M0002", "MP0002"),
        ("M0005", "MP0004"),
        ("M0901", "MP0003"),
    ]
    assert Meter.objects.get(asset_no="M0004").status == MeterStatus.REMOVED


FORMULA_LIKE = ('=HYPERLINK("http://evil.example","x")', "+86 531 8888", "@SUM(1+1)", "'=已有引号", "-李")


def test_formula_like_text_is_guarded_in_csv_and_imports_back_exactly(world: World) -> None:
    world.person.name, world.enterprise.name, world.far_customer.name = FORMULA_LIKE[:3]
    world.person.postal_address, world.enterprise.postal_address = FORMULA_LIKE[3:]
    for customer in (world.person, world.enterprise, world.far_customer):
        customer.save()

    exported = _export_all(FileFormat.CSV)
    rows = list(csv.reader(io.StringIO(exported["customers"].decode("utf-8-sig"))))
    name, postal_address = rows[0].index("name"), rows[0].index("postal_address")
    assert [(row[name], row[postal_address]) for row in rows[1:]] == [
        ('\'=HYPERLINK("http://evil.example","x")', "''=已有引号"),
        ("'+86 531 8888", "'-李"),
        ("'@SUM(1+1)", ""),
    ]
    _empty_the_customer_file()
    for kind in KINDS_IN_ORDER:
        report = run_import(kind, exported[kind], scope=EVERYTHING, file_name=f"{kind}.csv")
        assert (kind, report.problems) == (kind, [])

    assert list(Customer.objects.order_by("customer_no").values_list("name", "postal_address")) == [
        (FORMULA_LIKE[0], FORMULA_LIKE[3]),
        (FORMULA_LIKE[1], FORMULA_LIKE[4]),
        (FORMULA_LIKE[2], ""),
    ]
    assert _export_all(FileFormat.CSV) == exported
    xlsx = _cells(_export_all(FileFormat.XLSX)["customers"], FileFormat.XLSX)
    # XLSX cells are typed as text, never formulas: they hold the text as it is.
    assert [row[name] for row in xlsx[1:]] == list(FORMULA_LIKE[:3])
