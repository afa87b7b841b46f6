"""Recording and reversing payments: allocated to the late fee first, then the bills oldest first,
the rest prepaid; posted once per serial number; reversed as a whole, re-opening what it paid.

The world (payments_world.py): January's bill 100.00 due 2025-03-12, February's 80.00 due
2025-03-20, a late fee of 1.50 on January's; 181.50 owed in all."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from payments_world import FEBRUARY_BILL, JANUARY_BILL, LATE_FEE, PaymentsWorld, receivable_entry

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntry, JournalEntryKind
from gridcare.ledger.operations import post_journal_entries
from gridcare.ledger.queries import check_ledger, open_items
from gridcare.payments.errors import PaymentAlreadyReversed, PaymentAmountInvalid, PaymentSerialConflict
from gridcare.payments.models import Payment, PaymentChannel, PaymentStatus
from gridcare.payments.operations import ALLOCATION_ORDER, apply_prepaid, record_payment, reverse_payment

pytestmark = pytest.mark.django_db


def _open(world: PaymentsWorld) -> dict[str, Decimal]:
    return {
        item.item: item.open_amount
        for item in open_items(customer_account_id=world.account.pk, codes=ALLOCATION_ORDER)
    }


def _balances(world: PaymentsWorld) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account=world.account)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def _pay(world: PaymentsWorld, amount: str, key: str, now: datetime, **others: object) -> Payment:
    return record_payment(
        actor=world.cashier,
        account=world.account,
        amount=Decimal(amount),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key=key,
        received_at=now,
        now=now,
        **others,  # type: ignore[arg-type]
    )


def test_a_payment_pays_the_late_fee_then_the_oldest_bill_then_the_next(
    payments_world: PaymentsWorld, now: datetime
) -> None:
    # 120.00: the late fee 1.50, January's 100.00, then 18.50 of February's 80.00.
    payment = _pay(payments_world, "120.00", "counter-0001", now)

    assert (payment.receipt_no, payment.status, payment.amount) == (
        "R2025031000000001",
        "posted",
        Decimal("120.00"),
    )
    assert [
        (p.ledger_account.code, p.debit, p.credit, p.item)
        for p in payment.journal_entry.postings.order_by("id")
    ] == [
        ("cash.on_hand", Decimal("120.00"), Decimal("0.00"), ""),
        ("receivable.late_fee", Decimal("0.00"), Decimal("1.50"), LATE_FEE),
        ("receivable.energy", Decimal("0.00"), Decimal("100.00"), JANUARY_BILL),
        ("receivable.energy", Decimal("0.00"), Decimal("18.50"), FEBRUARY_BILL),
    ]
    assert _open(payments_world) == {FEBRUARY_BILL: Decimal("61.50")}
    assert _balances(payments_world) == (Decimal("61.50"), Decimal("0.00"), Decimal("0.00"))
    event = AuditEvent.objects.get(action="payments.payment_recorded")
    assert event.changes["paid"] == {LATE_FEE: "1.50", JANUARY_BILL: "100.00", FEBRUARY_BILL: "18.50"}


def test_an_overpayment_becomes_prepaid(payments_world: PaymentsWorld, now: datetime) -> None:
    payment = _pay(payments_world, "200.00", "counter-0002", now)

    assert list(payment.journal_entry.postings.order_by("id").values_list("ledger_account__code", "credit"))[
        -1
    ] == (
        "prepaid.energy",
        Decimal("18.50"),
    )
    assert _open(payments_world) == {}
    assert _balances(payments_world) == (Decimal("0.00"), Decimal("0.00"), Decimal("18.50"))


def test_the_same_serial_number_records_one_payment(payments_world: PaymentsWorld, now: datetime) -> None:
    first = _pay(payments_world, "50.00", "bank-20250310-77", now)
    again = _pay(payments_world, "50.00", "bank-20250310-77", now)

    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert JournalEntry.objects.filter(kind=JournalEntryKind.PAYMENT).count() == 1
    assert _balances(payments_world) == (Decimal("131.50"), Decimal("0.00"), Decimal("0.00"))


def test_a_reversal_reopens_what_the_payment_paid_once(payments_world: PaymentsWorld, now: datetime) -> None:
    payment = _pay(payments_world, "200.00", "counter-0003", now)

    reversed_payment = reverse_payment(actor=payments_world.cashier, payment=payment, reason="假币", now=now)

    assert (reversed_payment.status, reversed_payment.reversal_reason) == (PaymentStatus.REVERSED, "假币")
    assert _open(payments_world) == {
        LATE_FEE: Decimal("1.50"),
        JANUARY_BILL: Decimal("100.00"),
        FEBRUARY_BILL: Decimal("80.00"),
    }
    assert _balances(payments_world) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    with pytest.raises(PaymentAlreadyReversed):
        reverse_payment(actor=payments_world.cashier, payment=payment, reason="again", now=now)
    assert check_ledger().passed


def test_refusals_change_nothing(payments_world: PaymentsWorld, now: datetime) -> None:
    for amount in ("0.00", "-5.00", "10.005"):
        with pytest.raises(PaymentAmountInvalid):
            _pay(payments_world, amount, f"bad-{amount}", now)
    with pytest.raises(AccessDenied):
        record_payment(
            actor=payments_world.meter_reader,
            account=payments_world.account,
            amount=Decimal("10.00"),
            channel=PaymentChannel.COUNTER_CASH,
            idempotency_key="reader-1",
            received_at=now,
            now=now,
        )

    assert Payment.objects.count() == 0
    assert _balances(payments_world) == (Decimal("180.00"), Decimal("1.50"), Decimal("0.00"))
    assert AuditEvent.objects.filter(action="deny_permission").count() == 1


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database other connections can open"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_cashiers_paying_one_account_at_once_leave_its_balance_right(
    ledger_chart: None, payments_world: PaymentsWorld, now: datetime
) -> None:
    start, errors = threading.Barrier(20), []

    def pay(index: int) -> None:
        try:
            start.wait(30)
            _pay(payments_world, "10.00", f"counter-{index:04d}", now)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # 200.00 against 181.50 owed: everything paid once, 18.50 prepaid, nothing paid twice.
    assert errors == []
    assert Payment.objects.count() == 20
    assert _open(payments_world) == {}
    assert _balances(payments_world) == (Decimal("0.00"), Decimal("0.00"), Decimal("18.50"))
    assert check_ledger().passed


def test_a_serial_number_reused_for_another_payment_is_refused_not_swallowed(
    payments_world: PaymentsWorld, now: datetime
) -> None:
    first = _pay(payments_world, "50.00", "bank-20250310-88", now)

    with pytest.raises(PaymentSerialConflict) as refused:
        _pay(payments_world, "60.00", "bank-20250310-88", now)
    other_channel = record_payment(
        actor=payments_world.cashier,
        account=payments_world.account,
        amount=Decimal("60.00"),
        channel=PaymentChannel.BANK_REALTIME,
        idempotency_key="bank-20250310-88",
        received_at=now,
        now=now,
    )

    assert refused.value.params["receipt_no"] == first.receipt_no
    assert other_channel.pk != first.pk
    # 181.50 owed − 50.00 − 60.00 (the late fee 1.50 paid first) = 71.50 of electricity charges.
    assert _balances(payments_world) == (Decimal("71.50"), Decimal("0.00"), Decimal("0.00"))


def test_reversing_a_payment_whose_prepaid_already_paid_a_bill_makes_that_owed_again(
    payments_world: PaymentsWorld, now: datetime
) -> None:
    # 200.00 pays the 181.50 owed and leaves 18.50 prepaid; a new 30.00 bill takes the 18.50.
    payment = _pay(payments_world, "200.00", "counter-0009", now)
    post_journal_entries(
        entries=[
            receivable_entry(
                payments_world.tree,
                payments_world.account,
                code=ChartCode.RECEIVABLE_ENERGY,
                income=ChartCode.ENERGY_REVENUE,
                amount="30.00",
                item="billing.bill:3",
                due=date(2025, 4, 20),
            )
        ],
        actor=None,
        now=now,
    )
    assert apply_prepaid(account_ids=[payments_world.account.pk], actor=None, now=now) == 1
    assert _balances(payments_world) == (Decimal("11.50"), Decimal("0.00"), Decimal("0.00"))

    reverse_payment(actor=payments_world.cashier, payment=payment, reason="退票", now=now)

    # Owed again: 181.50 re-opened, and the 18.50 of prepaid that paid the new bill as an item
    # of its own; the prepaid balance is back to zero, not below.
    assert _open(payments_world) == {
        LATE_FEE: Decimal("1.50"),
        JANUARY_BILL: Decimal("100.00"),
        FEBRUARY_BILL: Decimal("80.00"),
        "billing.bill:3": Decimal("11.50"),
        f"payments.payment:{payment.receipt_no}:reversed": Decimal("18.50"),
    }
    assert _balances(payments_world) == (Decimal("210.00"), Decimal("1.50"), Decimal("0.00"))
    assert check_ledger().passed
