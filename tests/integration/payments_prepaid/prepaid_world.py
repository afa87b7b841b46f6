"""A prepaid world: residential accounts on the Beijing tariff (CN-BJ-RES-2012, first tier
0.4883 yuan/kWh) at the station, each with a contact reachable by SMS and WeChat; helpers to
post a bill, take a counter payment and read a meter, at fixed moments in March 2025."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gridcare.customers.models import Account, Contact, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.identity.models import User
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.metering import operations as metering
from gridcare.metering.models import Meter, MeteringArrangement, MeterType, ReadSource
from gridcare.metering.rules import RegisterValues
from gridcare.payments.models import Payment, PaymentChannel
from gridcare.payments.operations import record_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 8, *, month: int = 3) -> datetime:
    """``day`` March 2025 at ``hour`` Beijing time."""
    return datetime.combine(date(2025, month, day), time(hour), tzinfo=SHANGHAI)


def id_number(sequence: int) -> str:
    """A valid 身份证号 (GB 11643 check digit), one per sequence number."""
    base = f"11010519600101{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return base + "10X98765432"[sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11]


def make_account(org_unit: Any, *, sequence: int, is_key_account: bool = False) -> Account:
    customer = Customer.objects.create(
        org_unit=org_unit,
        customer_no=f"C{sequence:010d}",
        kind=CustomerKind.PERSON,
        name=f"用户{sequence}",
        id_number=id_number(sequence),
        created_at=at(1),
    )
    Contact.objects.create(
        customer=customer,
        name=f"联系人{sequence}",
        is_primary=True,
        mobile=f"1390000{sequence:04d}",
        wechat_openid=f"openid-{sequence}",
        consents_to_sms=True,
        consents_to_wechat=True,
    )
    return Account.objects.create(
        org_unit=org_unit,
        account_no=make_account_number(sequence=sequence),
        customer=customer,
        name=f"用户{sequence}",
        service_address=f"济南市历下区泉城路 {sequence} 号",
        usage_category=UsageCategory.RESIDENTIAL,
        is_key_account=is_key_account,
        voltage_level=VoltageLevel.V220,
        contract_capacity_kva=Decimal(8),
        tariff_code="CN-BJ-RES-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )


def post_bill(account: Account, *, amount: str, due: date, item: str) -> None:
    """Post an issued bill of ``amount`` due on ``due`` to the ledger, as issuing does."""
    post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=account.org_unit_id,
                kind=JournalEntryKind.BILL_ISSUED,
                entry_date=date(2025, 2, 5),
                description=item,
                source=item,
                lines=[
                    PostingLine(
                        code=ChartCode.RECEIVABLE_ENERGY,
                        debit=Decimal(amount),
                        customer_account_id=account.pk,
                        item=item,
                        due_date=due,
                    ),
                    PostingLine(code=ChartCode.ENERGY_REVENUE, credit=Decimal(amount)),
                ],
            )
        ],
        actor=None,
        now=at(1),
    )


def pay(account: Account, cashier: User, amount: str, moment: datetime, serial: str) -> Payment:
    return record_payment(
        actor=cashier,
        account=account,
        amount=Decimal(amount),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key=serial,
        received_at=moment,
        now=moment,
    )


def prepaid_balance(account: Account) -> Decimal:
    return AccountBalance.objects.get(customer_account_id=account.pk).prepaid


def install_meter(account: Account, *, sequence: int, installed_at: datetime) -> Meter:
    """One metering point with a single-phase meter installed at ``installed_at`` at zero."""
    point = metering.create_metering_point(
        account=account,
        code=f"MP{sequence:04d}",
        name=f"计量点 {sequence}",
        metering_arrangement=MeteringArrangement.LV_SUPPLY_LV_METERING,
        ct_ratio=1,
        pt_ratio=1,
        actor=None,
        now=installed_at,
    )
    meter = metering.register_meter(
        org_unit=account.org_unit,
        asset_no=f"37100020{sequence:05d}",
        meter_type=MeterType.SINGLE_PHASE,
        manufacturer="威胜集团",
        accuracy_class="2",
        actor=None,
        now=installed_at,
    )
    metering.install_meter(
        meter=meter,
        metering_point=point,
        installed_at=installed_at,
        registers=RegisterValues(import_active_total=Decimal(0)),
        source=ReadSource.MANUAL,
        actor=None,
        now=installed_at,
    )
    return meter


def read_meter(meter: Meter, *, read_at: datetime, total: str) -> None:
    """A daily frozen read (AMI) of ``total`` kWh at ``read_at``."""
    metering.record_meter_read(
        meter=meter,
        read_at=read_at,
        source=ReadSource.AMI,
        registers=RegisterValues(import_active_total=Decimal(total)),
        actor=None,
        now=read_at,
    )
