"""An issued bill for the portal payment tests (HTTP and browser): a one-line bill in an issued
run, posted to the receivables ledger the way issuing posts it (billing.receivables)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from gridcare.billing.models import Bill, BillLine, BillRun, BillRunStatus, BillStatus
from gridcare.billing.receivables import post_issued_bills
from gridcare.customers.models import Account
from gridcare.identity.models import User

#: The number of the bill the fixtures issue.
BILL_NUMBER = "0000000001"


def issue_bill(
    *, account: Account, clerk: User, number: str, amount: str, due_date: date, now: datetime
) -> Bill:
    """Bill ``number`` of ``amount`` for February 2025 issued to ``account`` at ``now``."""
    run = BillRun.objects.create(
        org_unit=account.org_unit,
        number=f"HS{number}",
        period_start=date(2025, 2, 1),
        period_end=date(2025, 3, 1),
        status=BillRunStatus.ISSUED,
        accounts_total=1,
        accounts_done=1,
        created_by=clerk,
        created_at=now,
        calculated_at=now,
    )
    bill = Bill.objects.create(
        org_unit=account.org_unit,
        run=run,
        account=account,
        status=BillStatus.ISSUED,
        number=number,
        period_start=run.period_start,
        period_end=run.period_end,
        tariff_code="CN-BJ-RES-2012",
        energy_kwh=Decimal("200"),
        total=Decimal(amount),
        calculated_at=now,
        issued_at=now,
        due_date=due_date,
    )
    BillLine.objects.create(
        bill=bill,
        position=1,
        code="energy.tier1",
        name_zh="电度电费（第1档）",
        name_en="Energy charge (tier 1)",
        quantity=Decimal("200"),
        unit="kWh",
        unit_price=Decimal("0.4883"),
        amount=Decimal(amount),
        rule="tier",
        inputs={},
    )
    post_issued_bills(bills=[bill], actor=None, now=now)
    return bill
