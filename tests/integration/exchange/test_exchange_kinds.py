"""Each kind imports a good file, as CSV and as XLSX, into exactly the records it describes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from exchange_world import (
    NOW,
    SHANGHAI,
    Table,
    World,
    account_no,
    credit_code,
    csv_bytes,
    id_number,
    run_import,
    xlsx_bytes,
)

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, AccountStatusChange, Contact, Customer
from gridcare.exchange.kinds import KINDS
from gridcare.exchange.models import ExchangeBatch, ExchangeDirection, ExchangeKind
from gridcare.exchange.operations import ImportReport
from gridcare.metering.models import Meter, MeteringPoint, MeterInstallation, MeterRead

Writer = Callable[[Table], bytes]
FORMATS = [pytest.param(csv_bytes, "file.csv", id="csv"), pytest.param(xlsx_bytes, "file.xlsx", id="xlsx")]


def _import(world: World, kind: str, rows: Table, write: Writer, file_name: str) -> ImportReport:
    report = run_import(kind, write(rows), scope=world.scope(), file_name=file_name)
    assert report.problems == []
    return report


@pytest.mark.parametrize(("write", "file_name"), FORMATS)
def test_customers_import_with_their_primary_contacts(world: World, write: Writer, file_name: str) -> None:
    rows = [
        [
            "customer_no",
            "kind",
            "name",
            "id_number",
            "credit_code",
            "org_unit",
            "contact_name",
            "mobile",
            "landline",
            "consents_to_sms",
            "consents_to_phone",
        ],
        [
            "C100",
            "person",
            "王芳",
            id_number(10).lower(),
            "",
            "37010201",
            "",
            "+86 139 0000 1111",
            "",
            "true",
            "是",
        ],
        [
            "C101",
            "enterprise",
            "泉城软件有限公司",
            "",
            credit_code(10),
            "",
            "刘强",
            "",
            "0531-88886666",
            "0",
            "yes",
        ],
    ]

    report = _import(world, "customers", rows, write, file_name)

    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (2, 2, 0)
    person = Customer.objects.get(customer_no="C100")
    assert (person.kind, person.name, person.id_number, person.credit_code, person.org_unit) == (
        "person",
        "王芳",
        id_number(10),
        None,
        world.station,
    )
    assert person.created_at == NOW
    enterprise = Customer.objects.get(customer_no="C101")
    assert (enterprise.credit_code, enterprise.id_number, enterprise.org_unit) == (
        credit_code(10),
        None,
        world.county,
    )
    contacts = {
        contact.customer.customer_no: (
            contact.name,
            contact.is_primary,
            contact.mobile,
            contact.landline,
            contact.consents_to_sms,
            contact.consents_to_phone,
        )
        for contact in Contact.objects.filter(customer__customer_no__in=["C100", "C101"])
    }
    assert contacts == {
        "C100": ("王芳", True, "13900001111", "", True, True),
        "C101": ("刘强", True, "", "0531-88886666", False, True),
    }


@pytest.mark.parametrize(("write", "file_name"), FORMATS)
def test_accounts_import_with_their_status_history(world: World, write: Writer, file_name: str) -> None:
    rows = [
        [
            "account_no",
            "customer_no",
            "org_unit",
            "name",
            "service_address",
            "usage_category",
            "industry_code",
            "voltage_level",
            "contract_capacity_kva",
            "tariff_code",
            "payment_method",
            "reading_route",
            "reading_day",
            "status",
            "status_effective_date",
            "opened_date",
            "is_key_account",
        ],
        [
            account_no(10),
            "C000000001",
            "37010201",
            "张伟",
            "泉城路 8 号",
            "residential",
            "",
            "220V",
            "6",
            "RES-1",
            "",
            "R0101",
            "5",
            "",
            "",
            "2024-05-01",
            "",
        ],
        [
            account_no(11),
            "C000000002",
            "37010202",
            "明湖机械二车间",
            "解放路 9 号",
            "large_industry",
            "c34",
            "10kV",
            "1,250.5",
            "LI-1",
            "bank_debit",
            "",
            "20",
            "suspended",
            "2024-09-01",
            "2024-01-15",
            "true",
        ],
    ]

    _import(world, "accounts", rows, write, file_name)

    home = Account.objects.get(account_no=account_no(10))
    assert (home.customer, home.org_unit, home.reading_route, home.reading_day, home.status) == (
        world.person,
        world.station,
        world.route,
        5,
        "normal",
    )
    assert (
        home.contract_capacity_kva,
        home.payment_method,
        home.opened_date,
        home.status_effective_date,
    ) == (Decimal("6.00"), "postpaid", date(2024, 5, 1), date(2024, 5, 1))
    workshop = Account.objects.get(account_no=account_no(11))
    assert (workshop.industry_code, workshop.contract_capacity_kva, workshop.is_key_account) == (
        "C34",
        Decimal("1250.50"),
        True,
    )
    history = AccountStatusChange.objects.filter(account=workshop).order_by("effective_date")
    assert [(change.status, change.effective_date, change.recorded_by) for change in history] == [
        ("normal", date(2024, 1, 15), world.county_clerk),
        ("suspended", date(2024, 9, 1), world.county_clerk),
    ]
    assert list(AccountStatusChange.objects.filter(account=home).values_list("status", "effective_date")) == [
        ("normal", date(2024, 5, 1))
    ]


@pytest.mark.parametrize(("write", "file_name"), FORMATS)
def test_metering_points_import_with_a_parent_on_an_earlier_row(
    world: World, write: Writer, file_name: str
) -> None:
    rows = [
        [
            "code",
            "account_no",
            "name",
            "metering_arrangement",
            "ct_ratio",
            "pt_ratio",
            "transformer_capacity_kva",
            "transformer_no_load_loss_kw",
            "line_loss_percent",
            "parent",
            "child_relation",
            "transformer_area",
        ],
        ["MP0100", account_no(1), "总表", "hv_lv", "40", "1", "400", "0.57", "1.5", "", "", "T0101"],
        ["MP0101", account_no(1), "分表", "lv_lv", "", "", "", "", "", "MP0100", "subtract", ""],
        ["MP0102", account_no(1), "分分表", "lv_lv", "", "", "", "", "", "MP0101", "informational", ""],
    ]

    _import(world, "metering_points", rows, write, file_name)

    main = MeteringPoint.objects.get(code="MP0100")
    assert (main.org_unit, main.multiplier, main.transformer_capacity_kva, main.line_loss_percent) == (
        world.station,
        40,
        Decimal("400.00"),
        Decimal("1.50"),
    )
    assert (main.transformer_area, main.feeder, main.transformer_no_load_loss_kw) == (
        world.area,
        world.feeder,
        Decimal("0.570"),
    )
    child = MeteringPoint.objects.get(code="MP0101")
    assert (child.parent, child.child_relation, child.multiplier, child.line_loss_percent) == (
        main,
        "subtract",
        1,
        Decimal("0.00"),
    )
    assert MeteringPoint.objects.get(code="MP0102").parent == child


@pytest.mark.parametrize(("write", "file_name"), FORMATS)
def test_meters_import_in_stock_and_installed(world: World, write: Writer, file_name: str) -> None:
    rows = [
        [
            "asset_no",
            "meter_type",
            "manufacturer",
            "accuracy_class",
            "has_time_of_use",
            "integer_digits",
            "decimal_digits",
            "status",
            "org_unit",
            "metering_point",
            "installed_at",
        ],
        ["M0100", "three_phase", "林洋能源", "1", "false", "", "", "", "", "", ""],
        [
            "M0101",
            "single_phase",
            "威胜集团",
            "2",
            "true",
            "8",
            "1",
            "installed",
            "37010201",
            "MP0003",
            "2025-01-01T08:00:00",
        ],
    ]

    _import(world, "meters", rows, write, file_name)

    in_stock = Meter.objects.get(asset_no="M0100")
    assert (in_stock.status, in_stock.org_unit, in_stock.integer_digits, in_stock.decimal_digits) == (
        "in_stock",
        world.county,
        6,
        2,
    )
    assert in_stock.status_changed_at == NOW
    installed = Meter.objects.get(asset_no="M0101")
    installed_at = datetime(2025, 1, 1, 8, 0, tzinfo=SHANGHAI)
    assert (
        installed.status,
        installed.has_time_of_use,
        installed.integer_digits,
        installed.decimal_digits,
    ) == ("installed", True, 8, 1)
    assert installed.status_changed_at == installed_at
    installation = MeterInstallation.objects.get(meter=installed)
    assert (installation.metering_point, installation.org_unit, installation.installed_at) == (
        world.free_point,
        world.station,
        installed_at,
    )
    assert installation.removed_at is None


@pytest.mark.parametrize(("write", "file_name"), FORMATS)
def test_reads_import_on_the_point_the_meter_was_installed_on(
    world: World, write: Writer, file_name: str
) -> None:
    rows = [
        [
            "asset_no",
            "read_at",
            "source",
            "status",
            "import_active_total",
            "import_active_sharp",
            "import_active_peak",
            "import_active_flat",
            "import_active_valley",
        ],
        ["M0001", "2025-02-01T00:00:00", "ami", "", "1200.50", "100", "400.25", "500", "200.25"],
        ["M0002", "2025-02-01T08:30:00+08:00", "estimated", "estimated", "88", "", "", "", ""],
    ]

    report = _import(world, "reads", rows, write, file_name)

    assert report.rows_imported == 2
    read = MeterRead.objects.get(meter=world.meter)
    assert (read.metering_point, read.org_unit, read.read_at, read.source, read.status, read.reason) == (
        world.point,
        world.station,
        datetime(2025, 2, 1, tzinfo=SHANGHAI),
        "ami",
        "valid",
        "periodic",
    )
    assert (read.import_active_total, read.import_active_sharp, read.import_active_peak) == (
        Decimal("1200.50"),
        Decimal("100.00"),
        Decimal("400.25"),
    )
    assert (read.import_active_flat, read.import_active_valley, read.export_active_total) == (
        Decimal("500.00"),
        Decimal("200.25"),
        None,
    )
    estimated = MeterRead.objects.get(meter=world.other_meter)
    assert (estimated.metering_point, estimated.org_unit, estimated.status) == (
        world.other_point,
        world.other_station,
        "estimated",
    )
    batch = ExchangeBatch.objects.get()
    assert (batch.direction, batch.kind, batch.file_name, batch.actor, batch.occurred_at) == (
        ExchangeDirection.IMPORT,
        "reads",
        file_name,
        world.county_clerk,
        NOW,
    )
    event = AuditEvent.objects.get(action="import_reads")
    assert (event.actor, event.object_type, event.object_id) == (
        world.county_clerk,
        "exchange.exchangebatch",
        str(batch.pk),
    )


def test_every_kind_has_its_batch_choice() -> None:
    assert list(KINDS) == ExchangeKind.values
