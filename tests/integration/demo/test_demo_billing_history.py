"""The demo's money history: two periods per reading day billed and issued, most of the first
paid, the rest overdue — a consistent ledger that the cashier, the portal and the reports read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gridcare.billing.models import Bill, BillRun, BillRunStatus, BillStatus
from gridcare.customers.models import ReadingRoute
from gridcare.demo.billing_history import DEMO_BILLING_USERNAME, seed_demo_billing
from gridcare.demo.operations import SeedSummary
from gridcare.identity.models import User
from gridcare.kit.clock import local_date
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.queries import check_ledger, open_items_by_account
from gridcare.payments.models import Payment, PaymentStatus

#: The seed options of conftest.py's ``seeded`` utility.
SEED, END_MONTH = 7, date(2026, 10, 1)
SEEDED_AT = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_last_two_periods_are_issued_and_most_of_the_first_is_paid(seeded: SeedSummary) -> None:
    history = seed_demo_billing(
        actor=User.objects.get(username=DEMO_BILLING_USERNAME), end_month=END_MONTH, now=SEEDED_AT, seed=SEED
    )
    reading_days = set(ReadingRoute.objects.values_list("reading_day", flat=True))
    runs = BillRun.objects.order_by("period_end", "pk")
    assert history.runs == runs.count() == 2 * len(reading_days)
    assert set(runs.values_list("status", flat=True)) == {BillRunStatus.ISSUED}
    assert history.bills_issued == Bill.objects.filter(status=BillStatus.ISSUED).count()
    assert history.bills_held == Bill.objects.filter(status=BillStatus.HELD).count()
    assert history.payments == Payment.objects.filter(status=PaymentStatus.POSTED).count()

    first_period = [run for run in runs if run.period_end.month != END_MONTH.month]
    first_bills = Bill.objects.filter(run__in=first_period, status=BillStatus.ISSUED, total__gt=0)
    # About three in four pay (65 % in full, 10 % half), within 14 days of the issue.
    assert 0.6 * first_bills.count() < history.payments < 0.9 * first_bills.count()
    for payment in Payment.objects.select_related("account"):
        bill = first_bills.get(account=payment.account)
        assert bill.issued_at + timedelta(days=1) <= payment.received_at <= SEEDED_AT
        assert payment.idempotency_key.endswith(f":DEMO{bill.number}")
    # Those who did not pay in full still owe (part of) their first bill, overdue by now.
    paid_in_full = {
        p.account_id for p in Payment.objects.all() if p.amount == first_bills.get(account=p.account).total
    }
    first_items = {f"billing.bill:{bill.pk}": bill for bill in first_bills}
    still_owing = {
        account_id
        for account_id, items in open_items_by_account(
            customer_account_ids=[bill.account_id for bill in first_items.values()],
            codes=[ChartCode.RECEIVABLE_ENERGY],
        ).items()
        for item in items
        if item.item in first_items and item.due_date < local_date(SEEDED_AT)
    }
    assert still_owing == {bill.account_id for bill in first_items.values()} - paid_in_full
    check = check_ledger()
    assert check.unbalanced_entries == []
    assert check.balance_mismatches == []
