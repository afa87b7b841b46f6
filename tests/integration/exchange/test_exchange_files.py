"""Files as Excel and WPS users save them: UTF-8 with a BOM, GB18030, typed XLSX cells."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from exchange_world import SHANGHAI, World, account_no, csv_bytes, id_number, run_import

from gridcare.customers.models import Account, Customer
from gridcare.exchange.errors import FileTypeUnsupported, FileUnreadable
from gridcare.exchange.files import csv_encoding
from gridcare.metering.models import MeterRead

CUSTOMERS = [
    ["customer_no", "kind", "name", "postal_address", "id_number"],
    ["C600", "person", "欧阳娜娜", "济南市历下区泉城路 18 号", id_number(60)],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_files_are_read_in_utf8_with_or_without_bom_and_in_gb18030(world: World, encoding: str) -> None:
    content = csv_bytes(CUSTOMERS, encoding=encoding)

    report = run_import("customers", content, scope=world.scope())

    assert report.problems == []
    customer = Customer.objects.get(customer_no="C600")
    assert (customer.name, customer.postal_address) == ("欧阳娜娜", "济南市历下区泉城路 18 号")


def test_the_encoding_is_told_from_the_whole_file() -> None:
    # GB18030 bytes that happen to be valid UTF-8 for the first megabyte still read as GB18030.
    content = b"a" * (3 << 20) + "户号".encode("gb18030")
    stream = io.BytesIO(content)

    assert csv_encoding(stream) == "gb18030"
    assert stream.tell() == 0
    assert csv_encoding(io.BytesIO("户号".encode())) == "utf-8-sig"


def test_typed_xlsx_cells_are_read_as_their_text(world: World) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["asset_no", "read_at", "source", "import_active_total", "import_active_peak"])
    sheet.append(["M0001", datetime(2025, 2, 1, 8, 0), "ami", 1200.5, 3])
    sheet.append([])
    sheet.append(["M0001", datetime(2025, 3, 1), "ami", 1300, 4.25])
    content = io.BytesIO()
    workbook.save(content)

    report = run_import("reads", content.getvalue(), scope=world.scope(), file_name="reads.XLSX")

    assert report.problems == []
    assert list(
        MeterRead.objects.order_by("read_at").values_list(
            "read_at", "import_active_total", "import_active_peak"
        )
    ) == [
        (datetime(2025, 2, 1, 8, 0, tzinfo=SHANGHAI), Decimal("1200.50"), Decimal("3.00")),
        (datetime(2025, 3, 1, 0, 0, tzinfo=SHANGHAI), Decimal("1300.00"), Decimal("4.25")),
    ]


def test_xlsx_date_cells_fill_date_columns(world: World) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([
        "account_no", "customer_no", "org_unit", "name", "service_address", "usage_category", "voltage_level",
        "contract_capacity_kva", "tariff_code", "reading_day", "opened_date",
    ])  # fmt: skip
    # Numbers as numbers (the org unit code too) and the opening date as a date cell.
    opened = datetime(2024, 5, 1)
    sheet.append(
        [
            account_no(60),
            "C000000001",
            37010201,
            "张伟",
            "泉城路",
            "residential",
            "220V",
            8,
            "RES-1",
            5,
            opened,
        ]
    )
    content = io.BytesIO()
    workbook.save(content)

    report = run_import("accounts", content.getvalue(), scope=world.scope(), file_name="accounts.xlsx")

    assert report.problems == []
    account = Account.objects.get(account_no=account_no(60))
    assert (account.opened_date, account.org_unit, account.contract_capacity_kva) == (
        date(2024, 5, 1),
        world.station,
        Decimal("8.00"),
    )


def test_a_file_of_another_type_is_refused(world: World) -> None:
    with pytest.raises(FileTypeUnsupported) as refused:
        run_import("customers", csv_bytes(CUSTOMERS), scope=world.scope(), file_name="customers.xls")

    assert (
        refused.value.message("en")
        == "The format of customers.xls is not supported: use a .csv or .xlsx file."
    )


def test_a_broken_xlsx_file_is_refused_and_imports_nothing(world: World) -> None:
    with pytest.raises(FileUnreadable):
        run_import("customers", csv_bytes(CUSTOMERS), scope=world.scope(), file_name="customers.xlsx")

    assert not Customer.objects.filter(customer_no="C600").exists()


def test_an_empty_file_is_reported(world: World) -> None:
    report = run_import("customers", b"", scope=world.scope())

    assert [(problem.row, problem.code) for problem in report.problems] == [(1, "file_empty")]
    assert not report.is_committed


def test_unnamed_columns_are_ignored(world: World) -> None:
    rows = [
        ["customer_no", "", "kind", "name", "", "id_number"],
        ["C610", "note", "person", "韩梅", "", id_number(61)],
    ]

    report = run_import("customers", csv_bytes(rows), scope=world.scope())

    assert report.problems == []
    assert Customer.objects.get(customer_no="C610").name == "韩梅"
