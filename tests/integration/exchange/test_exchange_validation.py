"""Every row is checked with the operations' rules; a file with bad rows imports nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from exchange_world import SHANGHAI, World, account_no, csv_bytes, id_number, problems_of, run_import

from gridcare.customers.errors import (
    AccountNumberTaken,
    IdNumberAlreadyRegistered,
    IdNumberInvalid,
    PersonIdentityRequired,
)
from gridcare.customers.models import Account, Customer
from gridcare.exchange.errors import (
    ColumnMissing,
    ColumnUnknown,
    DuplicateOfRow,
    NumberInvalid,
    NumberNegative,
    NumberTooPrecise,
    ReferenceNotFound,
    ValueRequired,
)
from gridcare.exchange.models import ExchangeBatch
from gridcare.exchange.queries import ExchangeScope
from gridcare.kit.ids import AccountNumberInvalid
from gridcare.metering.errors import (
    MeteringPointOccupied,
    MeterNotInstalledAt,
    ReadTimeTaken,
    RegisterNotOnMeter,
)
from gridcare.metering.models import Meter, MeteringPoint, MeterInstallation, MeterRead

ACCOUNT_HEADER = [
    "account_no", "customer_no", "org_unit", "name", "service_address", "usage_category", "voltage_level",
    "contract_capacity_kva", "tariff_code", "reading_day", "opened_date",
]  # fmt: skip
READ_HEADER = ["asset_no", "read_at", "source", "import_active_total"]


def _account_row(number: str, **cells: str) -> list[str]:
    row = {
        "account_no": number,
        "customer_no": "C000000001",
        "org_unit": "37010201",
        "name": "张伟",
        "service_address": "泉城路 8 号",
        "usage_category": "residential",
        "voltage_level": "220V",
        "contract_capacity_kva": "6",
        "tariff_code": "RES-1",
        "reading_day": "5",
        "opened_date": "2024-05-01",
        **cells,
    }
    return [row[column] for column in ACCOUNT_HEADER]


def _messages(report_problem_errors: list[tuple[int, str, str, object]]) -> list[tuple[int, str, str, str]]:
    """(row, column, value, English reason) from (row, column, value, error)."""
    return [(row, column, value, error.message("en")) for row, column, value, error in report_problem_errors]  # type: ignore[attr-defined]


def test_a_duplicate_account_number_within_the_file_is_refused(world: World) -> None:
    number = account_no(10)
    rows = [ACCOUNT_HEADER, _account_row(number), _account_row(account_no(11)), _account_row(number)]

    report = run_import("accounts", csv_bytes(rows), scope=world.scope())

    duplicate = DuplicateOfRow(other_row=2, label_zh="户号", label_en="Account number", value=number)
    assert [
        (problem.row, problem.column, problem.value, problem.message_en) for problem in report.problems
    ] == [(4, "account_no", number, duplicate.message("en"))]
    assert report.problems[0].message_zh == f"与第 2 行重复（户号 {number}）。"
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (3, 0, 1)
    assert not Account.objects.filter(account_no__in=[number, account_no(11)]).exists()


def test_an_account_number_already_in_the_database_is_refused(world: World) -> None:
    rows = [ACCOUNT_HEADER, _account_row(account_no(1))]

    report = run_import("accounts", csv_bytes(rows), scope=world.scope())

    taken = AccountNumberTaken(account_no=account_no(1))
    assert [
        (problem.row, problem.column, problem.code, problem.message_zh) for problem in report.problems
    ] == [(2, "account_no", "account_no_taken", taken.message("zh-hans"))]
    assert Account.objects.count() == 3


def test_an_account_number_with_a_bad_check_digit_is_refused(world: World) -> None:
    good = account_no(10)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    rows = [ACCOUNT_HEADER, _account_row(bad), _account_row(account_no(11))]

    report = run_import("accounts", csv_bytes(rows), scope=world.scope())

    invalid = AccountNumberInvalid(
        account_no=bad, reason_zh="校验位错误", reason_en="the check digit does not match"
    )
    assert [
        (problem.row, problem.column, problem.value, problem.message_en) for problem in report.problems
    ] == [(2, "account_no", bad, invalid.message("en"))]
    assert Account.objects.count() == 3


def test_an_invalid_resident_id_number_is_refused(world: World) -> None:
    valid = id_number(20)
    invalid = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    rows = [
        ["customer_no", "kind", "name", "id_number"],
        ["C200", "person", "赵敏", invalid],
        ["C201", "person", "钱进", id_number(21)],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope())

    error = IdNumberInvalid(value=invalid, reason_zh="校验码错误", reason_en="the checksum does not match")
    assert [
        (problem.row, problem.column, problem.value, problem.message_zh) for problem in report.problems
    ] == [(2, "id_number", invalid, error.message("zh-hans"))]
    assert not Customer.objects.filter(customer_no__in=["C200", "C201"]).exists()


def test_customer_identities_follow_the_registration_rules(world: World) -> None:
    rows = [
        ["customer_no", "kind", "name", "id_number", "credit_code"],
        ["C300", "person", "孙丽", id_number(1), ""],
        ["C301", "person", "周杰", "", ""],
        ["C000000002", "person", "吴昊", id_number(30), ""],
        ["C302", "person", "郑爽", id_number(31), ""],
        ["C303", "person", "王五", id_number(31), ""],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope())

    assert [(problem.row, problem.column, problem.code) for problem in report.problems] == [
        (2, "id_number", "id_number_already_registered"),
        (3, "id_number", PersonIdentityRequired.code),
        (4, "customer_no", "value_taken"),
        (6, "id_number", "duplicate_of_row"),
    ]
    assert report.problems[0].message_en == IdNumberAlreadyRegistered(
        value=id_number(1), customer_no="C000000001"
    ).message("en")
    assert report.problems[2].message_en == "Customer number C000000002 already exists."
    assert Customer.objects.count() == 3


def test_references_outside_the_users_org_units_are_refused(world: World) -> None:
    rows = [
        ACCOUNT_HEADER,
        _account_row(account_no(10), customer_no="C000000003"),
        _account_row(account_no(11), org_unit="37010301"),
        _account_row(account_no(12), org_unit="37010202", customer_no="C000000002"),
    ]

    county_report = run_import("accounts", csv_bytes(rows), scope=world.scope())
    station_report = run_import("accounts", csv_bytes(rows), scope=world.scope(world.station_clerk))

    far_customer = ReferenceNotFound(label_zh="客户编号", label_en="Customer number", value="C000000003")
    far_unit = ReferenceNotFound(label_zh="供电单位", label_en="Org unit", value="37010301")
    assert [(problem.row, problem.column, problem.message_en) for problem in county_report.problems] == [
        (2, "customer_no", far_customer.message("en")),
        (3, "org_unit", far_unit.message("en")),
    ]
    assert [(problem.row, problem.column, problem.value) for problem in station_report.problems] == [
        (2, "customer_no", "C000000003"),
        # The station clerk cannot see the county's customers either.
        (3, "customer_no", "C000000001"),
        (3, "org_unit", "37010301"),
        (4, "customer_no", "C000000002"),
        (4, "org_unit", "37010202"),
    ]
    assert Account.objects.count() == 3


def test_the_org_unit_option_narrows_the_scope_and_is_the_default_org_unit(world: World) -> None:
    rows = [
        ["customer_no", "kind", "name", "id_number", "org_unit"],
        ["C400", "person", "冯乐", id_number(40), ""],
        ["C401", "person", "陈晨", id_number(41), "37010202"],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope(org_unit=world.station), partial=True)

    assert problems_of(report) == [(3, "org_unit", "37010202", "reference_not_found")]
    assert Customer.objects.get(customer_no="C400").org_unit == world.station
    assert not Customer.objects.filter(customer_no="C401").exists()
    assert ExchangeBatch.objects.get().org_unit == world.station


def test_reads_of_meters_outside_the_users_org_units_are_refused(world: World) -> None:
    rows = [READ_HEADER, ["M0005", "2025-02-01T00:00:00", "ami", "10"]]

    report = run_import("reads", csv_bytes(rows), scope=world.scope())

    assert problems_of(report) == [(2, "asset_no", "M0005", "reference_not_found")]
    assert MeterRead.objects.filter(meter=world.far_meter).count() == 0

    # Without --user the command line is not limited.
    command_line_report = run_import("reads", csv_bytes(rows), scope=ExchangeScope(user=None))

    assert command_line_report.problems == []
    assert MeterRead.objects.filter(meter=world.far_meter).count() == 1


def test_bad_numbers_are_refused_never_rounded(world: World) -> None:
    rows = [
        ACCOUNT_HEADER,
        _account_row(account_no(10), contract_capacity_kva="1e3"),
        _account_row(account_no(11), contract_capacity_kva="12.345"),
        _account_row(account_no(12), contract_capacity_kva="-5"),
        _account_row(account_no(13), contract_capacity_kva="NaN"),
        _account_row(account_no(14), contract_capacity_kva=""),
        _account_row(account_no(15), contract_capacity_kva="0.1"),
    ]

    report = run_import("accounts", csv_bytes(rows), scope=world.scope(), partial=True)

    assert [(problem.row, problem.value, problem.message_en) for problem in report.problems] == [
        (2, "1e3", NumberInvalid(value="1e3").message("en")),
        (3, "12.345", NumberTooPrecise(value="12.345", decimal_places=2).message("en")),
        (4, "-5", NumberNegative(value="-5").message("en")),
        (5, "NaN", NumberInvalid(value="NaN").message("en")),
        (6, "", ValueRequired().message("en")),
    ]
    assert Account.objects.get(account_no=account_no(15)).contract_capacity_kva == Decimal("0.10")


def test_unknown_and_missing_columns_reject_the_file(world: World) -> None:
    rows = [["asset_no", "read_time", "source"], ["M0001", "2025-02-01", "ami"]]

    report = run_import("reads", csv_bytes(rows), scope=world.scope(), partial=True)

    assert [(problem.row, problem.column, problem.code) for problem in report.problems] == [
        (1, "read_time", ColumnUnknown.code),
        (1, "read_at", ColumnMissing.code),
        (1, "import_active_total", ColumnMissing.code),
    ]
    assert report.rows_read == 0
    assert not report.is_committed
    assert MeterRead.objects.count() == 0


def test_read_times_without_an_offset_are_beijing_time(world: World) -> None:
    rows = [
        READ_HEADER,
        ["M0001", "2025-02-01 08:00", "ami", "10"],
        ["M0001", "2025-02-02T00:00:00Z", "ami", "11"],
    ]

    run_import("reads", csv_bytes(rows), scope=world.scope())

    assert list(MeterRead.objects.order_by("read_at").values_list("read_at", flat=True)) == [
        datetime(2025, 2, 1, 8, 0, tzinfo=SHANGHAI),
        datetime(2025, 2, 2, 8, 0, tzinfo=SHANGHAI),
    ]


def test_reads_follow_the_metering_rules(world: World) -> None:
    MeterRead.objects.create(
        org_unit=world.station,
        meter=world.meter,
        metering_point=world.point,
        read_at=datetime(2025, 1, 1, tzinfo=SHANGHAI),
        source="ami",
        import_active_total=Decimal("100.00"),
    )
    rows = [
        [*READ_HEADER, "export_active_total"],
        ["M0001", "2019-12-31T23:59:59", "ami", "10", ""],
        ["M0001", "2025-01-01T00:00:00", "ami", "10", ""],
        ["M0001", "2025-02-01T00:00:00", "ami", "10", "5"],
        ["M0001", "2025-03-01T00:00:00", "ami", "10", ""],
        ["M0001", "2025-03-01T00:00:00+08:00", "ami", "12", ""],
        ["M0004", "2025-03-01T00:00:00", "ami", "12", ""],
        ["M0001", "2025-03-20T00:00:00", "ami", "12", ""],
        ["M0001", "2025-03-02T00:00:00", "estimated", "12", ""],
    ]

    report = run_import("reads", csv_bytes(rows), scope=world.scope(), partial=True)

    assert problems_of(report) == [
        (2, "read_at", "2019-12-31T23:59:59", "meter_not_installed_at"),
        (3, "read_at", "2025-01-01T00:00:00", "read_time_taken"),
        (4, "export_active_total", "5", "register_not_on_meter"),
        (6, "read_at", "2025-03-01T00:00:00+08:00", "duplicate_of_row"),
        (7, "asset_no", "M0004", "meter_not_installed"),
        (8, "read_at", "2025-03-20T00:00:00", "moment_in_future"),
        (9, "status", "", "read_status_mismatches_source"),
    ]
    assert report.problems[0].message_en == MeterNotInstalledAt(
        asset_no="M0001", moment="2019-12-31 23:59:59"
    ).message("en")
    assert report.problems[1].message_en == ReadTimeTaken(
        asset_no="M0001", read_at="2025-01-01 00:00:00"
    ).message("en")
    assert report.problems[2].message_en == RegisterNotOnMeter(
        asset_no="M0001", register_zh="反向有功总", register_en="export active total", value=Decimal("5.00")
    ).message("en")
    assert list(MeterRead.objects.order_by("read_at").values_list("import_active_total", flat=True)) == [
        Decimal("100.00"),
        Decimal("10.00"),
    ]


def test_meters_cannot_be_installed_on_an_occupied_metering_point(world: World) -> None:
    rows = [
        [
            "asset_no",
            "meter_type",
            "manufacturer",
            "accuracy_class",
            "status",
            "metering_point",
            "installed_at",
        ],
        ["M0200", "single_phase", "威胜集团", "2", "installed", "MP0001", "2025-01-01T08:00:00"],
        ["M0201", "single_phase", "威胜集团", "2", "installed", "MP0003", "2025-01-01T08:00:00"],
        ["M0202", "single_phase", "威胜集团", "2", "installed", "MP0003", "2025-01-02T08:00:00"],
        ["M0203", "single_phase", "威胜集团", "2", "installed", "", ""],
        ["M0204", "single_phase", "威胜集团", "3", "", "", ""],
    ]

    report = run_import("meters", csv_bytes(rows), scope=world.scope(), partial=True)

    assert problems_of(report) == [
        (2, "metering_point", "MP0001", "metering_point_occupied"),
        (4, "metering_point", "MP0003", "duplicate_of_row"),
        (5, "metering_point", "", "installation_columns_mismatch"),
        (6, "accuracy_class", "3", "accuracy_class_unknown"),
    ]
    assert report.problems[0].message_en == MeteringPointOccupied(
        point_code="MP0001", asset_no="M0001"
    ).message("en")
    assert list(Meter.objects.filter(asset_no__startswith="M02").values_list("asset_no", flat=True)) == [
        "M0201"
    ]
    assert MeterInstallation.objects.get(metering_point=world.free_point).meter.asset_no == "M0201"


def test_a_parent_metering_point_must_exist_or_come_on_an_earlier_row(world: World) -> None:
    rows = [
        ["code", "account_no", "name", "metering_arrangement", "parent", "child_relation"],
        ["MP0300", account_no(1), "分表", "lv_lv", "MP0301", "subtract"],
        ["MP0301", account_no(1), "总表", "lv_lv", "", ""],
        ["MP0302", account_no(1), "分表二", "lv_lv", "MP0301", ""],
        ["MP0303", account_no(2), "外户分表", "lv_lv", "MP0301", "subtract"],
    ]

    report = run_import("metering_points", csv_bytes(rows), scope=world.scope(), partial=True)

    assert problems_of(report) == [
        (2, "parent", "MP0301", "reference_not_found"),
        (4, "child_relation", "", "parent_metering_point_invalid"),
        (5, "parent", "MP0301", "parent_metering_point_invalid"),
    ]
    assert list(MeteringPoint.objects.filter(code__startswith="MP03").values_list("code", flat=True)) == [
        "MP0301"
    ]


def test_blank_rows_are_skipped_but_keep_their_row_numbers(world: World) -> None:
    rows = [READ_HEADER, ["", "", "", ""], ["M0001", "2025-02-01", "ami", "abc"]]

    report = run_import("reads", csv_bytes(rows), scope=world.scope())

    assert problems_of(report) == [(3, "import_active_total", "abc", "energy_invalid")]
    assert report.rows_read == 1


@pytest.mark.parametrize(
    ("cell", "code"),
    [("2025-13-01", "datetime_invalid"), ("yesterday", "datetime_invalid"), ("", "value_required")],
)
def test_unreadable_read_times_are_refused(world: World, cell: str, code: str) -> None:
    report = run_import("reads", csv_bytes([READ_HEADER, ["M0001", cell, "ami", "1"]]), scope=world.scope())

    assert problems_of(report) == [(2, "read_at", cell, code)]
