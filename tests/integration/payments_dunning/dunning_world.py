"""A dunning world: accounts at the station, each with one bill of 100.00 posted to the ledger
and due on :data:`DUE` (day 1 overdue is the day after), a contact reachable by SMS and WeChat,
an account manager at the station, and helpers to run the daily dunning on day N."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from gridcare.customers.models import Account, Contact, Customer, CustomerKind, UsageCategory, VoltageLevel
from gridcare.kit.ids import make_account_number
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.notifications.letters import print_letter_batch, record_letter_served
from gridcare.notifications.models import OutboxMessage, ServiceMethod
from gridcare.payments.dunning import DunningRunSummary, run_dunning
from gridcare.payments.models import DunningStepTaken

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = date(2025, 1, 20)
BILL = Decimal("100.00")


def day(number: int) -> date:
    """Day ``number`` overdue (day 1 is the day after the due date)."""
    return DUE + timedelta(days=number)


def at(number: int, hour: int = 8) -> datetime:
    return datetime.combine(day(number), time(hour), tzinfo=SHANGHAI)


def id_number(sequence: int) -> str:
    """A valid 身份证号 (GB 11643 check digit), one per sequence number."""
    base = f"11010519491231{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return (
        base
        + "10X98765432"[sum(int(digit) * weight for digit, weight in zip(base, weights, strict=True)) % 11]
    )


def make_account(
    org_unit: Any,
    *,
    sequence: int,
    usage_category: str = UsageCategory.RESIDENTIAL,
    industry_code: str = "",
    is_key_account: bool = False,
    now: datetime,
) -> Account:
    customer = Customer.objects.create(
        org_unit=org_unit,
        customer_no=f"C{sequence:010d}",
        kind=CustomerKind.PERSON,
        name=f"用户{sequence}",
        id_number=id_number(sequence),
        created_at=now,
    )
    Contact.objects.create(
        customer=customer,
        name=f"联系人{sequence}",
        is_primary=True,
        mobile=f"1380000{sequence:04d}",
        wechat_openid=f"openid-{sequence}",
        consents_to_sms=True,
        consents_to_wechat=True,
    )
    account = Account.objects.create(
        org_unit=org_unit,
        account_no=make_account_number(sequence=sequence),
        customer=customer,
        name=f"用户{sequence}",
        service_address=f"济南市历下区泉城路 {sequence} 号",
        usage_category=usage_category,
        industry_code=industry_code,
        is_key_account=is_key_account,
        voltage_level=VoltageLevel.V220 if usage_category == UsageCategory.RESIDENTIAL else VoltageLevel.KV10,
        contract_capacity_kva=Decimal(8),
        tariff_code="CN-BJ-RES-2012",
        reading_day=1,
        status_effective_date=date(2024, 1, 1),
        opened_date=date(2024, 1, 1),
    )
    item = f"billing.bill:{sequence}"
    post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=org_unit.pk,
                kind=JournalEntryKind.BILL_ISSUED,
                entry_date=date(2025, 1, 5),
                description=item,
                source=item,
                lines=[
                    PostingLine(
                        code=ChartCode.RECEIVABLE_ENERGY,
                        debit=BILL,
                        customer_account_id=account.pk,
                        item=item,
                        due_date=DUE,
                    ),
                    PostingLine(code=ChartCode.ENERGY_REVENUE, credit=BILL),
                ],
            )
        ],
        actor=None,
        now=now,
    )
    return account


def run_day(number: int, **kwargs: Any) -> DunningRunSummary:
    return run_dunning(on=day(number), now=at(number), **kwargs)


def serve_notice(*, account: Account, actor: Any, org_unit: Any, number: int) -> None:
    """Print the account's disconnection notice letter and record it served in person on day
    ``number``, the way staff do."""
    print_letter_batch(actor=actor, org_unit=org_unit, now=at(number, 9))
    letter = OutboxMessage.objects.get(
        event="arrears_notice", channel="letter", recipient_key=f"account:{account.pk}"
    )
    record_letter_served(
        actor=actor,
        message=letter,
        method=ServiceMethod.IN_PERSON,
        receiver_name="户主",
        served_at=at(number, 10),
        note="",
        now=at(number, 10),
    )


def steps_by_day(account: Account) -> list[tuple[int, str, str]]:
    """(day overdue, step code, outcome) of every step taken for ``account``, in order."""
    return [
        ((step.taken_on - DUE).days, step.step_code, step.outcome)
        for step in DunningStepTaken.objects.filter(case__account=account).order_by("taken_on", "id")
    ]
