"""Late fees charged on accounts, worked by hand (rules-cn.md §5): a payment first charges the
fees its account's overdue bills accrued since their last charge, then pays them before the
bills; accrual runs, partial payments, several bills, reversals, the minimum switch, the day
count and waivers (four-eyes)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounts_world import AccountsWorld, moment

from gridcare.customers.models import Account, UsageCategory
from gridcare.identity.errors import ApprovalByRequester
from gridcare.identity.models import ApprovalRequest, ApprovalStatus
from gridcare.identity.operations import approve_request
from gridcare.jobs.models import PeriodicJob
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, Posting
from gridcare.ledger.queries import check_ledger
from gridcare.payments.errors import LateFeeWaiverInvalid, RefundAmountInvalid
from gridcare.payments.late_fee_rules import late_fee_of_bill
from gridcare.payments.late_fees import (
    CustomerClass,
    charge_late_fees,
    last_month_end,
    request_late_fee_waiver,
)
from gridcare.payments.models import LateFeeCharge
from gridcare.payments.operations import refund_prepaid, reverse_payment
from gridcare.payments.tasks import accrue_late_fees_task

pytestmark = pytest.mark.django_db


def _charges(account: Account) -> list[tuple[str, date, date, int, Decimal, Decimal, Decimal]]:
    return [
        (c.bill_item, c.from_date, c.through_date, c.days, c.base, c.late_fee, c.minimum_added)
        for c in LateFeeCharge.objects.filter(account=account).order_by("pk")
    ]


def _balance(account: Account) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account=account)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def _income() -> Decimal:
    postings = Posting.objects.filter(ledger_account__code=ChartCode.LATE_FEE_INCOME)
    return sum((p.credit - p.debit for p in postings), Decimal("0.00"))


def test_a_residential_bill_paid_ten_days_late_pays_1_per_mille_a_day(world: AccountsWorld) -> None:
    # 100.00 due 2026-03-10, paid 2026-03-20: 11th–20th, 10 days × 0.001 × 100.00 = 1.00.
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    due = world.due(account, date(2026, 3, 20))
    assert [(b.item, b.open_amount, b.overdue_days, b.late_fee) for b in due.bills] == [
        ("billing.bill:1", Decimal("100.00"), 10, Decimal("1.00"))
    ]
    assert (due.late_fees_charged, due.late_fees_accruing, due.total) == (
        Decimal("0.00"),
        Decimal("1.00"),
        Decimal("101.00"),
    )
    world.pay(account, "101.00", date(2026, 3, 20), "r-1")
    assert _charges(account) == [
        (
            "billing.bill:1",
            date(2026, 3, 11),
            date(2026, 3, 20),
            10,
            Decimal("100.00"),
            Decimal("1.00"),
            Decimal("0.00"),
        )
    ]
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert _income() == Decimal("1.00")
    assert world.due(account, date(2026, 3, 21)).total == Decimal("0.00")
    assert check_ledger().passed


def test_a_december_bill_paid_in_january_accrues_2_then_3_per_mille(world: AccountsWorld) -> None:
    # Non-residential 1,000.00 due 2025-12-20, paid 2026-01-05: December 21–31, 11 days × 0.002 ×
    # 1,000.00 = 22.00; January 1–5, 5 days × 0.003 × 1,000.00 = 15.00; 37.00.
    account = world.account(UsageCategory.GENERAL_COMMERCIAL)
    world.bill(account, item="billing.bill:7", amount="1000.00", due=date(2025, 12, 20))
    assert world.due(account, date(2026, 1, 5)).total == Decimal("1037.00")
    world.pay(account, "1037.00", date(2026, 1, 5), "r-7")
    assert [charge[3:6] for charge in _charges(account)] == [(16, Decimal("1000.00"), Decimal("37.00"))]
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_partial_payments_charge_each_part_on_what_was_unpaid(world: AccountsWorld) -> None:
    # Non-residential 1,000.00 due 2026-03-10. On 03-15 it pays 500.00: the fee to date, 5 days ×
    # 0.002 × 1,000.00 = 10.00, first, then 490.00 of the bill (510.00 left). On 03-25: 10 days
    # × 0.002 × 510.00 = 10.20. In all 20.20, the day-by-day fee of the quote's rules.
    account = world.account(UsageCategory.LARGE_INDUSTRY)
    world.bill(account, item="billing.bill:3", amount="1000.00", due=date(2026, 3, 10))
    world.pay(account, "500.00", date(2026, 3, 15), "r-31")
    assert _balance(account) == (Decimal("510.00"), Decimal("0.00"), Decimal("0.00"))
    due = world.due(account, date(2026, 3, 25))
    assert [(b.open_amount, b.overdue_days, b.late_fee) for b in due.bills] == [
        (Decimal("510.00"), 15, Decimal("10.20"))
    ]
    assert due.total == Decimal("520.20")
    world.pay(account, "520.20", date(2026, 3, 25), "r-32")
    assert [(c[1], c[2], c[4], c[5]) for c in _charges(account)] == [
        (date(2026, 3, 11), date(2026, 3, 15), Decimal("1000.00"), Decimal("10.00")),
        (date(2026, 3, 16), date(2026, 3, 25), Decimal("510.00"), Decimal("10.20")),
    ]
    quoted = late_fee_of_bill(
        amount=Decimal("1000.00"),
        due_date=date(2026, 3, 10),
        paid_date=date(2026, 3, 25),
        customer_class=CustomerClass.NON_RESIDENTIAL,
        partial_payments=[(date(2026, 3, 15), Decimal("490.00"))],
    )
    assert quoted.late_fee == Decimal("20.20") == _income()
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_payment_of_several_overdue_bills_pays_all_their_fees_first(world: AccountsWorld) -> None:
    # Non-residential, paid 500.00 on 2026-03-02:
    # 800.00 due 2026-01-20: Jan 21–31 11 + Feb 28 + Mar 2 = 41 days × 0.002 × 800.00 = 65.60;
    # 300.00 due 2026-02-20: Feb 21–28 8 + Mar 2 = 10 days × 0.002 × 300.00 = 6.00.
    # 500.00 pays 71.60 of fees, then 428.40 of the older bill: 371.60 and 300.00 stay open.
    account = world.account(UsageCategory.GENERAL_COMMERCIAL)
    world.bill(account, item="billing.bill:21", amount="800.00", due=date(2026, 1, 20))
    world.bill(account, item="billing.bill:22", amount="300.00", due=date(2026, 2, 20))
    world.pay(account, "500.00", date(2026, 3, 2), "r-21")
    assert [(c[0], c[3], c[5]) for c in _charges(account)] == [
        ("billing.bill:21", 41, Decimal("65.60")),
        ("billing.bill:22", 10, Decimal("6.00")),
    ]
    due = world.due(account, date(2026, 3, 2))
    assert [(b.item, b.open_amount, b.late_fee) for b in due.bills] == [
        ("billing.bill:21", Decimal("371.60"), Decimal("0.00")),
        ("billing.bill:22", Decimal("300.00"), Decimal("0.00")),
    ]
    assert _balance(account) == (Decimal("671.60"), Decimal("0.00"), Decimal("0.00"))


def test_an_accrual_run_charges_to_its_day_once_and_the_payment_the_rest(world: AccountsWorld) -> None:
    # Non-residential 1,000.00 due 2026-03-10: the run through 03-31 charges 21 days × 2.00 =
    # 42.00 (a second run through the same day nothing); paid on 04-05, 5 more days: 10.00.
    account = world.account(UsageCategory.GENERAL_COMMERCIAL)
    world.bill(account, item="billing.bill:5", amount="1000.00", due=date(2026, 3, 10))
    for _run in range(2):
        charge_late_fees(
            account_ids=[account.pk], through=date(2026, 3, 31), actor=None, now=moment(date(2026, 4, 1))
        )
    assert [(c[2], c[5]) for c in _charges(account)] == [(date(2026, 3, 31), Decimal("42.00"))]
    assert _balance(account) == (Decimal("1000.00"), Decimal("42.00"), Decimal("0.00"))
    due = world.due(account, date(2026, 4, 5))
    assert (due.late_fees_charged, due.late_fees_accruing, due.total) == (
        Decimal("42.00"),
        Decimal("10.00"),
        Decimal("1052.00"),
    )
    world.pay(account, "1052.00", date(2026, 4, 5), "r-5")
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_reversed_payment_reopens_the_bill_which_accrues_again_from_the_payment_day(
    world: AccountsWorld,
) -> None:
    # Paid 101.00 on 03-20 (fee 1.00), reversed on 03-25: the bill and the fee are open again;
    # on 03-30 the bill has accrued 03-21..03-30, 10 days × 0.10 = 1.00 more: 102.00.
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    payment = world.pay(account, "101.00", date(2026, 3, 20), "r-1")
    reverse_payment(actor=world.cashier, payment=payment, reason="假币", now=moment(date(2026, 3, 25)))
    due = world.due(account, date(2026, 3, 30))
    assert (due.late_fees_charged, due.late_fees_accruing, due.total) == (
        Decimal("1.00"),
        Decimal("1.00"),
        Decimal("102.00"),
    )
    assert check_ledger().passed


@pytest.mark.parametrize(
    ("minimum", "fee", "added", "total"),
    [("", "0.10", "0.00", "50.10"), ("1.00", "1.00", "0.90", "51.00")],
)
def test_the_one_yuan_minimum_is_a_switch(
    world: AccountsWorld, settings: Any, minimum: str, fee: str, added: str, total: str
) -> None:
    # Residential 50.00 due 2026-03-10, paid 03-12: 2 days × 0.001 × 50.00 = 0.10; under the
    # 1996 rules' minimum, 1.00.
    settings.GRIDCARE_LATE_FEE_MINIMUM = minimum
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:9", amount="50.00", due=date(2026, 3, 10))
    due = world.due(account, date(2026, 3, 12))
    assert (due.minimum_added, due.total) == (Decimal(added), Decimal(total))
    world.pay(account, total, date(2026, 3, 12), "r-9")
    assert [(c[5], c[6]) for c in _charges(account)] == [(Decimal(fee), Decimal(added))]
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_the_day_count_can_stop_the_day_before_payment(world: AccountsWorld, settings: Any) -> None:
    settings.GRIDCARE_LATE_FEE_DAY_COUNT = "before_payment_date"
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    assert world.due(account, date(2026, 3, 20)).total == Decimal("100.90")


def test_a_waiver_needs_a_second_person_and_then_clears_the_fee(world: AccountsWorld) -> None:
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    on = moment(date(2026, 3, 20))
    request = request_late_fee_waiver(
        actor=world.cashier, account=account, amount=Decimal("1.00"), reason="供电方原因停电", now=on
    )
    assert LateFeeCharge.objects.count() == 0
    with pytest.raises(ApprovalByRequester):
        approve_request(request=request, reason="", actor=world.cashier, now=on)
    approve_request(request=request, reason="同意", actor=world.supervisor, now=on)
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.EXECUTED
    # Charged (1.00) and waived (1.00): only the bill is owed.
    assert _income() == Decimal("0.00")
    assert _balance(account) == (Decimal("100.00"), Decimal("0.00"), Decimal("0.00"))
    assert world.due(account, date(2026, 3, 20)).total == Decimal("100.00")
    assert check_ledger().passed


def test_a_waiver_of_more_than_is_owed_is_refused_and_files_nothing(world: AccountsWorld) -> None:
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    with pytest.raises(LateFeeWaiverInvalid) as refused:
        request_late_fee_waiver(
            actor=world.cashier,
            account=account,
            amount=Decimal("1.01"),
            reason="x",
            now=moment(date(2026, 3, 20)),
        )
    assert refused.value.message("en") == (
        '"amount": a waiver of 1.01 is invalid; it must be above 0, exact to the fen and at most the '
        "late fees owed (1.00)."
    )
    assert ApprovalRequest.objects.count() == 0


def test_a_prepaid_balance_is_refunded_and_more_than_it_is_refused(world: AccountsWorld) -> None:
    account = world.account(UsageCategory.RESIDENTIAL)
    world.pay(account, "30.00", date(2026, 3, 1), "r-1")
    with pytest.raises(RefundAmountInvalid):
        refund_prepaid(
            actor=world.cashier,
            account=account,
            amount=Decimal("30.01"),
            reason="销户",
            now=moment(date(2026, 3, 2)),
        )
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("30.00"))
    refund_prepaid(
        actor=world.cashier,
        account=account,
        amount=Decimal("30.00"),
        reason="销户",
        now=moment(date(2026, 3, 2)),
    )
    assert _balance(account) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    refunds = Posting.objects.get(ledger_account__code=ChartCode.REFUNDS_PAYABLE)
    assert (refunds.credit, refunds.customer_account_id) == (Decimal("30.00"), account.pk)


def test_the_month_end_accrual_task_charges_each_owing_account_once(world: AccountsWorld) -> None:
    # Residential 100.00 due 2026-03-10: through 03-31, 21 days × 0.10 = 2.10; the other
    # account's bill is not due until 04-15 and accrues nothing.
    overdue, current = world.account(UsageCategory.RESIDENTIAL), world.account(UsageCategory.RESIDENTIAL)
    world.bill(overdue, item="billing.bill:1", amount="100.00", due=date(2026, 3, 10))
    world.bill(current, item="billing.bill:2", amount="80.00", due=date(2026, 4, 15))
    assert PeriodicJob.objects.filter(
        name="accrue-late-fees", task_path="gridcare.payments.tasks.accrue_late_fees_task"
    ).exists()
    assert last_month_end(today=date(2026, 4, 1)) == date(2026, 3, 31)
    first = accrue_late_fees_task.call(through="2026-03-31")
    again = accrue_late_fees_task.call(through="2026-03-31")
    assert (first, again) == (
        {"through": "2026-03-31", "entries": 1},
        {"through": "2026-03-31", "entries": 0},
    )
    assert [(c[0], c[3], c[5]) for c in _charges(overdue)] == [("billing.bill:1", 21, Decimal("2.10"))]
    assert _charges(current) == []


def test_bill_by_bill_allocation_pays_each_old_bill_with_its_fee_first(
    world: AccountsWorld, settings: Any
) -> None:
    # The several-bills case under the other rule: 500.00 pays the older bill's fee 65.60, then
    # 434.40 of that bill (365.60 left); the newer bill's fee 6.00 and the bill stay open.
    settings.GRIDCARE_PAYMENT_ALLOCATION = "bill_by_bill"
    account = world.account(UsageCategory.GENERAL_COMMERCIAL)
    world.bill(account, item="billing.bill:21", amount="800.00", due=date(2026, 1, 20))
    world.bill(account, item="billing.bill:22", amount="300.00", due=date(2026, 2, 20))
    world.pay(account, "500.00", date(2026, 3, 2), "r-21")
    due = world.due(account, date(2026, 3, 2))
    assert [(b.item, b.open_amount) for b in due.bills] == [
        ("billing.bill:21", Decimal("365.60")),
        ("billing.bill:22", Decimal("300.00")),
    ]
    assert (due.late_fees_charged, due.total) == (Decimal("6.00"), Decimal("671.60"))
