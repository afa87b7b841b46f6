"""Every state change of payments (docs/payments.md): recording a payment — allocated to the
account's late fees first, then its bills oldest first, the rest kept as prepaid — reversing
one, and applying prepaid balances to newly issued bills. Each posts to the receivables ledger
in the same transaction and audits itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_date
from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries, reverse_journal_entry
from gridcare.ledger.queries import OpenItem, open_items
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.errors import PaymentAlreadyReversed, PaymentAmountInvalid, PaymentReasonMissing
from gridcare.payments.models import Payment, PaymentChannel, PaymentStatus

_ZERO = Decimal("0.00")

#: The ledger account each channel's money arrives in: cash at the counter and from door-to-door
#: collectors; everything else is in transit from a bank or provider until the statement says so.
CHANNEL_ACCOUNTS: dict[str, ChartCode] = {
    PaymentChannel.COUNTER_CASH: ChartCode.CASH,
    PaymentChannel.DOOR_TO_DOOR: ChartCode.CASH,
    PaymentChannel.COUNTER_CARD: ChartCode.BANK_IN_TRANSIT,
    PaymentChannel.BANK_REALTIME: ChartCode.BANK_IN_TRANSIT,
    PaymentChannel.BANK_DEBIT: ChartCode.BANK_IN_TRANSIT,
    PaymentChannel.PROVIDER: ChartCode.BANK_IN_TRANSIT,
}

#: What a payment pays, in order: late fees (电费违约金) before the electricity charges they
#: accrue on, so a payment stops the accrual only once the fees are paid; then bills by due
#: date, oldest first (ties by the day they were posted, then by item).
ALLOCATION_ORDER = (ChartCode.RECEIVABLE_LATE_FEE, ChartCode.RECEIVABLE_ENERGY)


def allocation(*, amount: Decimal, items: list[OpenItem]) -> tuple[list[tuple[OpenItem, Decimal]], Decimal]:
    """How ``amount`` pays ``items`` (late fees first, then bills oldest first), and the rest."""
    rank: dict[str, int] = {str(code): index for index, code in enumerate(ALLOCATION_ORDER)}
    ordered = sorted(
        items,
        key=lambda item: (
            rank[item.code],
            item.due_date or item.first_entry_date,
            item.first_entry_date,
            item.item,
        ),
    )
    left = amount
    paid = []
    for item in ordered:
        if left == 0:
            break
        part = min(left, item.open_amount)
        paid.append((item, part))
        left -= part
    return paid, left


@denials_audited
@transaction.atomic
def record_payment(
    *,
    actor: User | None,
    account: Account,
    amount: Decimal,
    channel: PaymentChannel,
    idempotency_key: str,
    received_at: datetime,
    now: datetime,
) -> Payment:
    """Record a payment of ``amount`` for ``account`` and post it: Dr the channel's cash or bank
    account / Cr the late fees and bills it pays (:func:`allocation`) and Cr 预收电费 with the rest.

    A payment whose ``idempotency_key`` (the channel's serial number) is already recorded is
    not recorded again: the payment already there is returned, also when both arrive at once."""
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=account.org_unit,
        operation="record_payment",
    )
    if amount <= 0 or round_to_fen(amount) != amount:
        raise PaymentAmountInvalid(amount=amount)
    existing: Payment | None = Payment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    # The account's row, locked: two payments of one account allocate one after the other, each
    # seeing what the other paid (the second would otherwise pay the same bills again).
    Account.objects.select_for_update().filter(pk=account.pk).first()
    items = open_items(customer_account_id=account.pk, codes=ALLOCATION_ORDER)
    paid, rest = allocation(amount=amount, items=items)
    lines = [PostingLine(code=CHANNEL_ACCOUNTS[channel], debit=amount)]
    lines += [
        PostingLine(
            code=item.code,
            credit=part,
            customer_account_id=account.pk,
            item=item.item,
            due_date=item.due_date,
        )
        for item, part in paid
    ]
    if rest:
        lines.append(PostingLine(code=ChartCode.PREPAID_ENERGY, credit=rest, customer_account_id=account.pk))
    (number,) = reserve_sequence_numbers(name="receipt", count=1)
    on = local_date(received_at)
    receipt_no = f"R{on:%Y%m%d}{number:08d}"
    try:
        with transaction.atomic():
            (entry,) = post_journal_entries(
                entries=[
                    NewEntry(
                        org_unit_id=account.org_unit_id,
                        kind=JournalEntryKind.PAYMENT,
                        entry_date=on,
                        description=f"收费 {receipt_no} {PaymentChannel(channel).label}",
                        source=f"payments.payment:{receipt_no}",
                        lines=lines,
                        idempotency_key=f"payments.payment:{idempotency_key}",
                    )
                ],
                actor=actor,
                now=now,
            )
            payment = Payment.objects.create(
                org_unit_id=account.org_unit_id,
                account=account,
                receipt_no=receipt_no,
                channel=channel,
                amount=amount,
                received_at=received_at,
                idempotency_key=idempotency_key,
                journal_entry=entry,
                recorded_by=actor,
                recorded_at=now,
            )
    except IntegrityError:
        # The same serial number recorded by another transaction since we looked.
        recorded: Payment = Payment.objects.get(idempotency_key=idempotency_key)
        return recorded
    record_audit_event(
        actor=actor,
        action="payments.payment_recorded",
        target=payment,
        occurred_at=now,
        changes={
            "receipt_no": receipt_no,
            "amount": str(amount),
            "channel": channel,
            "paid": {item.item: str(part) for item, part in paid},
            "prepaid": str(rest),
        },
    )
    return payment


@denials_audited
@transaction.atomic
def reverse_payment(*, actor: User | None, payment: Payment, reason: str, now: datetime) -> Payment:
    """Reverse a payment (a bounced debit, a cashier's error): its journal entry is reversed,
    which re-opens every late fee and bill it paid and takes back what it prepaid."""
    locked: Payment = (
        Payment.objects.select_for_update().select_related("account__org_unit").get(pk=payment.pk)
    )
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=locked.account.org_unit,
        operation="reverse_payment",
    )
    if not reason.strip():
        raise PaymentReasonMissing()
    if locked.status == PaymentStatus.REVERSED:
        raise PaymentAlreadyReversed(receipt_no=locked.receipt_no)
    reversal = reverse_journal_entry(
        entry=locked.journal_entry, reason=reason, entry_date=local_date(now), actor=actor, now=now
    )
    locked.status = PaymentStatus.REVERSED
    locked.reversal_entry = reversal
    locked.reversal_reason = reason[:200]
    locked.save(update_fields=["status", "reversal_entry", "reversal_reason"])
    record_audit_event(
        actor=actor,
        action="payments.payment_reversed",
        target=locked,
        occurred_at=now,
        changes={"receipt_no": locked.receipt_no, "amount": str(locked.amount), "reason": reason},
    )
    return locked


def apply_prepaid(*, account_ids: Iterable[int], actor: User | None, now: datetime) -> int:
    """Apply the prepaid balance (预收电费) of each of ``account_ids`` to its open late fees and
    bills (:data:`ALLOCATION_ORDER`), in the caller's transaction — run when bills are issued, so
    an overpayment pays the next bill. Posts one allocation entry per account that has both;
    returns how many."""
    ids = sorted(set(account_ids))
    with_prepaid = []
    for start in range(0, len(ids), 5000):
        with_prepaid += list(
            AccountBalance.objects.filter(customer_account_id__in=ids[start : start + 5000], prepaid__gt=0)
            .order_by("customer_account_id")
            .values_list("customer_account_id", flat=True)
        )
    entries = []
    for account_id in with_prepaid:
        account = Account.objects.select_for_update().get(pk=account_id)
        prepaid = AccountBalance.objects.get(customer_account_id=account_id).prepaid
        items = open_items(customer_account_id=account_id, codes=ALLOCATION_ORDER)
        paid, rest = allocation(amount=prepaid, items=items)
        if not paid:
            continue
        used = prepaid - rest
        entries.append(
            NewEntry(
                org_unit_id=account.org_unit_id,
                kind=JournalEntryKind.ALLOCATION,
                entry_date=local_date(now),
                description=f"预收冲抵 {account.account_no}",
                source=f"customers.account:{account_id}",
                lines=[
                    PostingLine(code=ChartCode.PREPAID_ENERGY, debit=used, customer_account_id=account_id),
                    *(
                        PostingLine(
                            code=item.code,
                            credit=part,
                            customer_account_id=account_id,
                            item=item.item,
                            due_date=item.due_date,
                        )
                        for item, part in paid
                    ),
                ],
            )
        )
    post_journal_entries(entries=entries, actor=actor, now=now)
    return len(entries)
