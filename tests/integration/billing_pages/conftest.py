"""A bill run in review for the billing pages: written directly (the calculation reads usage
through gridcare.billing.usage, tested elsewhere), with lines computed by the reference engine
from the catalog's Beijing residential tariff, as the calculation stores them.

泉城路供电所 (the station) has run HS202502000001 for February 2025 with four bills:

- 张三's 200 kWh, no exception: 200 × 0.4883 = 97.66;
- 李四's 0 kWh, flagged ``zero_usage``: no line, 0.00;
- 王五's 500 kWh, flagged ``usage_outside_band`` (average 150 kWh): 240 × 0.4883 = 117.192 →
  117.19, 160 × 0.5383 = 86.128 → 86.13, 100 × 0.7883 = 78.83; total 282.15;
- 赵六's bill with a blocking ``missing_read``: no line, 0.00.

解放路供电所 (the other station) has run HS202502000002 with one clean bill of 钱七 (100 kWh,
48.83). A portal login is bound to 张三.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from gridcare.billing.engine.reference import RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import parse_tariff_document
from gridcare.billing.models import Bill, BillLine, BillRun, BillRunStatus, BillStatus
from gridcare.billing.review import exception
from gridcare.customers.models import (
    Account,
    CustomerKind,
    PaymentMethod,
    PortalLink,
    UsageCategory,
    VoltageLevel,
)
from gridcare.customers.operations import add_contact, open_account, register_customer
from gridcare.identity.models import Role, User, UserKind
from gridcare.organization.models import OrgUnit
from gridcare.tariffs.models import TariffVersion

TARIFF_CODE = "CN-BJ-RES-2012"
PERIOD_START = date(2025, 2, 1)
PERIOD_END = date(2025, 3, 1)
#: Valid 18-character 身份证号 (check digits computed) for the four customers of the station.
ID_NUMBERS = ("110101199003074514", "110101199003075816", "110101199003076712", "11010119900307715X")


@dataclass(frozen=True)
class BillingScene:
    station: OrgUnit
    other_station: OrgUnit
    clerk: User
    other_clerk: User
    cashier: User
    manager: User
    auditor: User
    portal_user: User
    run: BillRun
    other_run: BillRun
    clean: Bill
    zero: Bill
    high: Bill
    blocked: Bill
    other_bill: Bill


def _account(*, org_unit: OrgUnit, name: str, number: int, id_number: str, now: datetime) -> Account:
    customer = register_customer(
        org_unit=org_unit, kind=CustomerKind.PERSON, name=name, id_number=id_number, actor=None, now=now
    )
    return open_account(
        customer=customer,
        org_unit=org_unit,
        name=name,
        service_address=f"济南市历下区泉城路{number}号",
        usage_category=UsageCategory.RESIDENTIAL,
        voltage_level=VoltageLevel.V220,
        contract_capacity_kva=Decimal("8"),
        tariff_code=TARIFF_CODE,
        payment_method=PaymentMethod.POSTPAID,
        reading_day=5,
        opened_date=date(2024, 1, 2),
        actor=None,
        now=now,
    )


def _version() -> TariffVersion:
    return TariffVersion.objects.select_related("tariff").get(tariff__code=TARIFF_CODE)


def _bill(
    *,
    run: BillRun,
    account: Account,
    kwh: str | None,
    exceptions: list[dict[str, object]],
    now: datetime,
    average: str = "",
) -> Bill:
    """A calculated bill of ``run`` with the reference engine's lines for ``kwh`` (none when
    ``kwh`` is None: a bill that could not be calculated)."""
    version = _version()
    lines = ()
    energy = Decimal(kwh or "0")
    if kwh is not None:
        engine_bill = calculate_register_bill(
            bill=RegisterBillInput(
                tariff=parse_tariff_document(version.document),
                period_start=run.period_start,
                period_end=run.period_end,
                energy_kwh={"total": energy},
            )
        )
        lines = engine_bill.lines
    bill = Bill.objects.create(
        org_unit=account.org_unit,
        run=run,
        account=account,
        period_start=run.period_start,
        period_end=run.period_end,
        tariff_code=TARIFF_CODE,
        tariff_version=version,
        energy_kwh=energy,
        total=sum((line.amount for line in lines), Decimal("0.00")),
        usage={
            "usage": {
                "energy_kwh": {"total": str(energy)},
                "points": [
                    {
                        "code": f"MP-{account.account_no}",
                        "multiplier": 1,
                        "reads": [
                            {
                                "id": 1,
                                "read_at": "2025-02-01T09:00:00+08:00",
                                "import_active_total": "1000.00",
                            },
                            {
                                "id": 2,
                                "read_at": "2025-03-01T09:00:00+08:00",
                                "import_active_total": "1200.00",
                            },
                        ],
                        "line_loss_kwh": "0.000",
                    }
                ],
                "flags": [item["code"] for item in exceptions],
            },
            "inputs": {"tier_year_kwh_before": "0", "average_kwh_12_months": average},
        },
        exceptions=exceptions,
        calculated_at=now,
    )
    BillLine.objects.bulk_create(
        BillLine(
            bill=bill,
            position=position,
            code=line.code,
            name_zh=line.name_zh,
            name_en=line.name_en,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            amount=line.amount,
            rule=line.rule,
            inputs=dict(line.inputs),
            tariff_version=version,
        )
        for position, line in enumerate(lines, start=1)
    )
    return bill


def _run(
    *, org_unit: OrgUnit, number: str, creator: User, accounts: int, flagged: int, now: datetime
) -> BillRun:
    return BillRun.objects.create(
        org_unit=org_unit,
        number=number,
        period_start=PERIOD_START,
        period_end=PERIOD_END,
        status=BillRunStatus.IN_REVIEW,
        accounts_total=accounts,
        accounts_done=accounts,
        bills_flagged=flagged,
        created_by=creator,
        created_at=now,
        calculated_at=now,
    )


@pytest.fixture
def billing_scene(org_tree: Any, staff_user_factory: Callable[..., User], now: datetime) -> BillingScene:
    station, other_station = org_tree.station, org_tree.other_station
    clerk = staff_user_factory(username="clerk", org_unit=station, roles=[Role.BILLING_CLERK])
    other_clerk = staff_user_factory(
        username="other_clerk", org_unit=other_station, roles=[Role.BILLING_CLERK]
    )
    cashier = staff_user_factory(username="cashier", org_unit=station, roles=[Role.CASHIER])
    manager = staff_user_factory(username="manager", org_unit=station, roles=[Role.ACCOUNT_MANAGER])
    auditor = staff_user_factory(username="auditor", org_unit=org_tree.province, roles=[Role.AUDITOR])
    zhang = _account(org_unit=station, name="张三", number=1, id_number=ID_NUMBERS[0], now=now)
    add_contact(
        customer=zhang.customer, name="张三", mobile="13812345678", is_primary=True, actor=None, now=now
    )
    li = _account(org_unit=station, name="李四", number=2, id_number=ID_NUMBERS[1], now=now)
    wang = _account(org_unit=station, name="王五", number=3, id_number=ID_NUMBERS[2], now=now)
    zhao = _account(org_unit=station, name="赵六", number=4, id_number=ID_NUMBERS[3], now=now)
    qian = _account(org_unit=other_station, name="钱七", number=5, id_number="110101199003078013", now=now)
    run = _run(org_unit=station, number="HS202502000001", creator=clerk, accounts=4, flagged=3, now=now)
    other_run = _run(
        org_unit=other_station, number="HS202502000002", creator=other_clerk, accounts=1, flagged=0, now=now
    )
    portal_user = User(username="zhang_portal", kind=UserKind.PORTAL)
    portal_user.set_unusable_password()
    portal_user.save()
    PortalLink.objects.create(user=portal_user, customer=zhang.customer)
    return BillingScene(
        station=station,
        other_station=other_station,
        clerk=clerk,
        other_clerk=other_clerk,
        cashier=cashier,
        manager=manager,
        auditor=auditor,
        portal_user=portal_user,
        run=run,
        other_run=other_run,
        clean=_bill(run=run, account=zhang, kwh="200", exceptions=[], now=now, average="190.000"),
        zero=_bill(
            run=run,
            account=li,
            kwh="0",
            exceptions=[exception("zero_usage").as_data()],
            now=now,
            average="180.000",
        ),
        high=_bill(
            run=run,
            account=wang,
            kwh="500",
            exceptions=[exception("usage_outside_band", average="150.000", band="3").as_data()],
            now=now,
            average="150.000",
        ),
        blocked=_bill(
            run=run, account=zhao, kwh=None, exceptions=[exception("missing_read").as_data()], now=now
        ),
        other_bill=_bill(run=other_run, account=qian, kwh="100", exceptions=[], now=now, average="100.000"),
    )


@pytest.fixture
def client_of(log_in: Any) -> Callable[[User], Client]:
    """``client_of(user)`` → a test client logged in as ``user`` (MFA verified when needed)."""
    return lambda user: log_in(Client(), user)


def issue_directly(*bills: Bill, number_prefix: str = "2025030000000", now: datetime) -> None:
    """Mark ``bills`` issued as issuing would (numbers, due date 2025-03-25), for pages that
    show issued bills without walking the review first."""
    for index, bill in enumerate(bills, start=1):
        Bill.objects.filter(pk=bill.pk).update(
            status=BillStatus.ISSUED,
            number=f"{number_prefix}{index}",
            issued_at=now,
            due_date=date(2025, 3, 25),
        )
        bill.refresh_from_db()


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (objects may sit in object streams)."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(inflated)
