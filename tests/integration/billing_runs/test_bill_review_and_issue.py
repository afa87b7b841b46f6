"""Review (量费审核), issue (电费发行) and adjustment (退补电费) of a calculated run; issued bills
never change; annual tiers carried across a year's bills.

Worked examples (rules-cn.md; by hand):
- 李 (CN-BJ-RES-2012): 300 kWh → 149.49 (117.19 + 32.30). Cancelling it issues an adjustment of
  −149.49 (both lines reversed); rebilling it unchanged issues one of 0.00 (two reversed lines and
  the same two again).
- 孙 (CN-ZJ-RES-TIER, annual tiers ≤2760 / 2761–4800 / ≥4801 at 0.538 / 0.588 / 0.838): January
  2,700 kWh → 2,700 × 0.538 = 1,452.60. February 200 kWh with 2,700 already billed this year:
  60 kWh left in tier 1 → 60 × 0.538 = 32.28, 140 × 0.588 = 82.32; total 114.60.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from billing_runs_world import BILLING_NOW, FEBRUARY, JANUARY, BillingWorld

from gridcare.audit.models import AuditEvent
from gridcare.billing.errors import (
    AdjustmentReasonMissing,
    BillRunNotReviewed,
    BillStatusForbids,
    IssuedBillImmutable,
)
from gridcare.billing.models import Bill, BillKind, BillLine, BillRun, BillRunStatus, BillStatus
from gridcare.billing.operations import (
    adjust_bill,
    approve_bills,
    cancel_bill_run,
    create_bill_run,
    hold_bill,
    issue_bill_run,
    recalculate_bill,
    send_back_for_read_check,
)
from gridcare.billing.runners.local import calculate_bill_run
from gridcare.identity.errors import AccessDenied
from gridcare.ledger.models import AccountBalance, JournalEntry, JournalEntryKind, Posting
from gridcare.ledger.queries import balances_from_postings
from gridcare.payments.models import PaymentChannel
from gridcare.payments.operations import record_payment

pytestmark = pytest.mark.django_db


def _calculated_run(world: BillingWorld, period: tuple[date, date] = FEBRUARY) -> BillRun:
    run = create_bill_run(
        actor=world.clerk,
        org_unit=world.tree.station,
        period_start=period[0],
        period_end=period[1],
        now=BILLING_NOW,
    )
    return calculate_bill_run(run_id=run.pk, clock=lambda: BILLING_NOW)


def _bill(run: BillRun, name: str) -> Bill:
    return Bill.objects.exclude(status=BillStatus.WITHDRAWN).get(run=run, account__name=name)


@pytest.fixture
def reviewed_world(billing_world: BillingWorld) -> BillingWorld:
    """李 300 kWh (clean), 王 zero usage (flagged), 钱 no reads (blocked)."""
    billing_world.add_account("李")
    billing_world.read("李", 2, "150")
    billing_world.read("李", 3, "450")
    billing_world.add_account("王")
    billing_world.read("王", 2, "80")
    billing_world.read("王", 3, "80")
    billing_world.add_account("钱")
    return billing_world


def test_review_then_issue_numbers_bills_and_sets_due_dates(reviewed_world: BillingWorld) -> None:
    world = reviewed_world
    run = _calculated_run(world)

    assert approve_bills(actor=world.clerk, run=run, now=BILLING_NOW) == 1  # only 李 is clean
    with pytest.raises(BillRunNotReviewed) as refused:
        issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)
    assert refused.value.params["count"] == 2
    assert Bill.objects.filter(run=run, status=BillStatus.ISSUED).count() == 0

    # 王's zero usage is confirmed by the reviewer; 钱's blocked bill cannot be approved: hold it.
    wang, qian = _bill(run, "王"), _bill(run, "钱")
    assert approve_bills(actor=world.clerk, run=run, bills=[wang, qian], now=BILLING_NOW) == 1
    hold_bill(actor=world.clerk, bill=qian, note="表计故障待换表", now=BILLING_NOW)

    assert issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW) == 2
    run.refresh_from_db()
    assert (run.status, run.issued_by) == (BillRunStatus.ISSUED, world.clerk)
    li, wang, qian = _bill(run, "李"), _bill(run, "王"), _bill(run, "钱")
    assert (li.status, wang.status, qian.status) == ("issued", "issued", "held")
    assert (li.number, wang.number) == ("2025030000000001", "2025030000000002")
    assert li.due_date == date(2025, 3, 10) + timedelta(days=15)
    assert qian.number is None
    event = AuditEvent.objects.get(action="billing.run_issued")
    assert event.changes == {"bills": 2, "total": "149.49"}


def test_an_issued_bill_cannot_be_edited_only_adjusted(reviewed_world: BillingWorld) -> None:
    world = reviewed_world
    run = _calculated_run(world)
    approve_bills(actor=world.clerk, run=run, now=BILLING_NOW)
    for name in ("王", "钱"):
        hold_bill(actor=world.clerk, bill=_bill(run, name), note="待核实", now=BILLING_NOW)
    issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)
    li = _bill(run, "李")

    li.total = Decimal("1.00")
    with pytest.raises(IssuedBillImmutable):
        li.save()
    with pytest.raises(IssuedBillImmutable):
        Bill.objects.filter(pk=li.pk).update(total=Decimal("1.00"))
    line = li.lines.get(position=1)
    line.amount = Decimal("1.00")
    with pytest.raises(IssuedBillImmutable):
        line.save()
    with pytest.raises(IssuedBillImmutable):
        li.delete()
    with pytest.raises(BillStatusForbids):
        hold_bill(actor=world.clerk, bill=li, note="", now=BILLING_NOW)
    li.refresh_from_db()
    assert (li.total, li.status, li.lines.get(position=1).amount) == (
        Decimal("149.49"),
        "issued",
        Decimal("117.19"),
    )

    with pytest.raises(AdjustmentReasonMissing):
        adjust_bill(actor=world.clerk, bill=li, reason=" ", rebill=False, now=BILLING_NOW)
    cancel = adjust_bill(
        actor=world.clerk, bill=li, reason="户名错误，重新开票", rebill=False, now=BILLING_NOW
    )
    assert (cancel.kind, cancel.status, cancel.adjusts, cancel.total) == (
        BillKind.ADJUSTMENT,
        BillStatus.ISSUED,
        li,
        Decimal("-149.49"),
    )
    assert cancel.energy_kwh == Decimal("-300")
    assert [(line.code, line.quantity, line.amount) for line in cancel.lines.order_by("position")] == [
        ("energy.tier1", Decimal("-240"), Decimal("-117.19")),
        ("energy.tier2", Decimal("-60"), Decimal("-32.30")),
    ]
    rebill = adjust_bill(actor=world.clerk, bill=li, reason="恢复", rebill=True, now=BILLING_NOW)
    # The cancel left nothing in force, so the rebill reverses nothing and bills 300 kWh again.
    assert (rebill.total, rebill.energy_kwh) == (Decimal("149.49"), Decimal("300"))
    again = adjust_bill(actor=world.clerk, bill=li, reason="复核无误", rebill=True, now=BILLING_NOW)
    assert [(line.code, line.amount) for line in again.lines.order_by("position")] == [
        ("energy.tier1", Decimal("-117.19")),
        ("energy.tier2", Decimal("-32.30")),
        ("energy.tier1", Decimal("117.19")),
        ("energy.tier2", Decimal("32.30")),
    ]
    assert (again.total, again.energy_kwh) == (Decimal("0.00"), Decimal("0"))
    li.refresh_from_db()
    assert (li.total, li.status, BillLine.objects.filter(bill=li).count()) == (Decimal("149.49"), "issued", 2)


def test_send_back_and_recalculate_replaces_the_draft(reviewed_world: BillingWorld) -> None:
    world = reviewed_world
    run = _calculated_run(world)
    wang = _bill(run, "王")
    send_back_for_read_check(actor=world.clerk, bill=wang, note="零电量请现场核实", now=BILLING_NOW)
    assert _bill(run, "王").status == BillStatus.READ_CHECK
    with pytest.raises(BillRunNotReviewed):
        issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)

    world.terms("王", large_household=True)  # what the check found: nothing in the reads
    new = recalculate_bill(actor=world.clerk, bill=wang, now=BILLING_NOW)

    wang.refresh_from_db()
    assert (wang.status, new.status, new.run) == (BillStatus.WITHDRAWN, BillStatus.CALCULATED, run)
    assert Bill.objects.filter(run=run, account__name="王").count() == 2
    assert Bill.objects.filter(run=run, account__name="王").exclude(status="withdrawn").get() == new


def test_a_clerk_outside_the_station_cannot_review_its_bills(reviewed_world: BillingWorld) -> None:
    world = reviewed_world
    run = _calculated_run(world)
    li = _bill(run, "李")
    with pytest.raises(AccessDenied):
        hold_bill(actor=world.other_clerk, bill=li, note="", now=BILLING_NOW)
    with pytest.raises(AccessDenied):
        cancel_bill_run(actor=world.other_clerk, run=run, reason="", now=BILLING_NOW)
    assert (_bill(run, "李").status, BillRun.objects.get(pk=run.pk).status) == ("calculated", "in_review")


def test_cancelling_a_run_withdraws_its_bills_and_frees_the_period(reviewed_world: BillingWorld) -> None:
    world = reviewed_world
    run = _calculated_run(world)
    cancel_bill_run(actor=world.clerk, run=run, reason="抄表段划分错误", now=BILLING_NOW)
    assert set(Bill.objects.filter(run=run).values_list("status", flat=True)) == {"withdrawn"}
    second = _calculated_run(world)
    assert Bill.objects.filter(run=second).exclude(status="withdrawn").count() == 3


def test_annual_tiers_count_the_years_earlier_bills(billing_world: BillingWorld) -> None:
    world = billing_world
    world.add_account("孙", tariff_code="CN-ZJ-RES-TIER")
    world.read("孙", 2, "2700")
    world.read("孙", 3, "2900")
    january = _calculated_run(world, JANUARY)
    february = _calculated_run(world, FEBRUARY)

    assert _bill(january, "孙").total == Decimal("1452.60")
    bill = _bill(february, "孙")
    assert [(line.code, line.quantity, line.amount) for line in bill.lines.order_by("position")] == [
        ("energy.tier1", Decimal("60"), Decimal("32.28")),
        ("energy.tier2", Decimal("140"), Decimal("82.32")),
    ]
    assert (bill.total, bill.usage["inputs"]["tier_year_kwh_before"]) == (Decimal("114.60"), "2700.000")


def _ledger(account_id: int) -> list[tuple[str, str, Decimal, Decimal]]:
    return [
        (entry_kind, code, debit, credit)
        for entry_kind, code, debit, credit in Posting.objects.filter(customer_account_id=account_id)
        .order_by("id")
        .values_list("entry__kind", "ledger_account__code", "debit", "credit")
    ]


def test_issuing_and_adjusting_post_each_bill_to_the_receivables_ledger_once(
    reviewed_world: BillingWorld,
) -> None:
    world = reviewed_world
    run = _calculated_run(world)
    approve_bills(actor=world.clerk, run=run, bills=[_bill(run, "李"), _bill(run, "王")], now=BILLING_NOW)
    hold_bill(actor=world.clerk, bill=_bill(run, "钱"), note="待核实", now=BILLING_NOW)
    issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)
    li, wang = _bill(run, "李"), _bill(run, "王")

    # 王's bill is 0.00: nothing to post. 李's: the receivable against electricity sales.
    (entry,) = JournalEntry.objects.filter(kind=JournalEntryKind.BILL_ISSUED)
    assert (entry.source, entry.idempotency_key, entry.entry_date) == (
        f"billing.bill:{li.pk}",
        f"billing.bill:{li.pk}:issued",
        date(2025, 3, 10),
    )
    assert [
        (p.ledger_account.code, p.debit, p.credit, p.item, p.due_date) for p in entry.postings.order_by("id")
    ] == [
        ("receivable.energy", Decimal("149.49"), Decimal("0.00"), f"billing.bill:{li.pk}", li.due_date),
        ("revenue.energy", Decimal("0.00"), Decimal("149.49"), "", None),
    ]
    assert _ledger(wang.account_id) == []
    assert AccountBalance.objects.get(customer_account_id=li.account_id).energy_owed == Decimal("149.49")

    adjust_bill(actor=world.clerk, bill=li, reason="户名错误，重新开票", rebill=False, now=BILLING_NOW)
    adjust_bill(actor=world.clerk, bill=li, reason="恢复", rebill=True, now=BILLING_NOW)
    adjust_bill(actor=world.clerk, bill=li, reason="复核无误", rebill=True, now=BILLING_NOW)  # 0.00

    assert _ledger(li.account_id) == [
        ("bill_issued", "receivable.energy", Decimal("149.49"), Decimal("0.00")),
        ("bill_adjusted", "receivable.energy", Decimal("0.00"), Decimal("149.49")),
        ("bill_adjusted", "receivable.energy", Decimal("149.49"), Decimal("0.00")),
    ]
    assert AccountBalance.objects.get(customer_account_id=li.account_id).energy_owed == Decimal("149.49")
    assert balances_from_postings() == {
        li.account_id: {
            "energy_owed": Decimal("149.49"),
            "late_fees_owed": Decimal("0.00"),
            "prepaid": Decimal("0.00"),
        }
    }


def test_a_prepaid_balance_pays_the_bill_when_it_is_issued(reviewed_world: BillingWorld) -> None:
    """李 pays 200.00 before the run is issued (nothing open: all prepaid); issuing 李's 149.49
    applies 149.49 of it, leaving 50.51 prepaid and nothing owed."""
    world = reviewed_world
    run = _calculated_run(world)
    li = _bill(run, "李")
    record_payment(
        actor=None,
        account=li.account,
        amount=Decimal("200.00"),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key="counter-li-1",
        received_at=BILLING_NOW,
        now=BILLING_NOW,
    )
    approve_bills(actor=world.clerk, run=run, bills=[li, _bill(run, "王")], now=BILLING_NOW)
    hold_bill(actor=world.clerk, bill=_bill(run, "钱"), note="待核实", now=BILLING_NOW)

    issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)

    balance = AccountBalance.objects.get(customer_account_id=li.account_id)
    assert (balance.energy_owed, balance.prepaid) == (Decimal("0.00"), Decimal("50.51"))
    (allocation,) = JournalEntry.objects.filter(kind=JournalEntryKind.ALLOCATION)
    assert [
        (p.ledger_account.code, p.debit, p.credit, p.item) for p in allocation.postings.order_by("id")
    ] == [
        ("prepaid.energy", Decimal("149.49"), Decimal("0.00"), ""),
        ("receivable.energy", Decimal("0.00"), Decimal("149.49"), f"billing.bill:{li.pk}"),
    ]


def test_cancelling_a_paid_bill_keeps_the_refund_as_prepaid(reviewed_world: BillingWorld) -> None:
    """李's 149.49 is issued and paid; cancelling it (−149.49) finds nothing open on the bill, so
    the refund is 李's prepaid balance, not a stranded credit on the adjustment's own item."""
    world = reviewed_world
    run = _calculated_run(world)
    li = _bill(run, "李")
    approve_bills(actor=world.clerk, run=run, bills=[li, _bill(run, "王")], now=BILLING_NOW)
    hold_bill(actor=world.clerk, bill=_bill(run, "钱"), note="待核实", now=BILLING_NOW)
    issue_bill_run(actor=world.clerk, run=run, now=BILLING_NOW)
    record_payment(
        actor=None,
        account=li.account,
        amount=Decimal("149.49"),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key="counter-li-2",
        received_at=BILLING_NOW,
        now=BILLING_NOW,
    )

    cancel = adjust_bill(actor=world.clerk, bill=li, reason="重复开票", rebill=False, now=BILLING_NOW)

    assert list(
        Posting.objects.filter(entry__source=f"billing.bill:{cancel.pk}")
        .order_by("id")
        .values_list("ledger_account__code", "debit", "credit")
    ) == [
        ("prepaid.energy", Decimal("0.00"), Decimal("149.49")),
        ("revenue.energy", Decimal("149.49"), Decimal("0.00")),
    ]
    balance = AccountBalance.objects.get(customer_account_id=li.account_id)
    assert (balance.energy_owed, balance.prepaid) == (Decimal("0.00"), Decimal("149.49"))
