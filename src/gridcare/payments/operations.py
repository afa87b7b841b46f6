"""Every state change of payments (docs/payments.md): recording a payment — allocated to the
account's late fees first, then its bills oldest first, the rest kept as prepaid — reversing
one, and applying prepaid balances to newly issued bills. Each posts to the receivables ledger
in the same transaction and audits itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
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
from gridcare.ledger.queries import OpenItem, open_items, open_items_by_account
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.errors import (
    PaymentAlreadyReversed,
    PaymentAmountInvalid,
    PaymentReasonMissing,
    PaymentSerialConflict,
    RefundAmountInvalid,
)
from gridcare.payments.late_fees import (
    LATE_FEE_ITEM_PREFIX,
    charge_late_fees,
    last_day_charged_for_payment,
    rules_in_force,
)
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

#: The ledger accounts a payment pays: late fees (电费违约金) and electricity charges.
ALLOCATION_ORDER = (ChartCode.RECEIVABLE_LATE_FEE, ChartCode.RECEIVABLE_ENERGY)


class AllocationRule(StrEnum):
    """In which order a payment pays what is open (the setting GRIDCARE_PAYMENT_ALLOCATION)."""

    #: Every late fee first (oldest first), then the bills by due date, oldest first: a payment
    #: stops the accrual only once the fees are paid. The default.
    LATE_FEES_FIRST = "late_fees_first"
    #: Bill by bill, oldest due first, each bill's late fee before the bill itself (先违约金后电费,
    #: bill by bill): a partial payment clears whole old bills with their fees.
    BILL_BY_BILL = "bill_by_bill"


def allocation_rule() -> AllocationRule:
    """The allocation rule the settings choose."""
    return AllocationRule(settings.GRIDCARE_PAYMENT_ALLOCATION)


def hold_accounts(*, account_ids: Iterable[int]) -> None:
    """Lock the rows of ``account_ids`` until the transaction ends, in id order. Every operation
    that moves an account's money (a payment, its reversal, a bill issue and the prepaid it
    applies) takes them first, so two of them on one account run one after the other, each
    seeing what the other did, and in the same order, so they cannot deadlock."""
    ids = sorted(set(account_ids))
    for start in range(0, len(ids), 2000):
        list(
            Account.objects.select_for_update()
            .filter(pk__in=ids[start : start + 2000])
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def payment_key(*, channel: str, serial: str) -> str:
    """A payment's unique key: its channel's serial number, qualified by the channel (a bank's
    serial and a provider's may coincide). Within one channel the serials must be unique: banks
    sharing a channel are told to prefix theirs (docs/bank-channels.md)."""
    return f"{channel}:{serial}"


def allocation(
    *, amount: Decimal, items: list[OpenItem], rule: AllocationRule | None = None
) -> tuple[list[tuple[OpenItem, Decimal]], Decimal]:
    """How ``amount`` pays ``items`` in the order of ``rule`` (default: the settings'), and the
    rest. Ties fall to the day an item was first posted, then to its name."""
    rule = rule or allocation_rule()
    rank: dict[str, int] = {str(code): index for index, code in enumerate(ALLOCATION_ORDER)}

    def own_date(item: OpenItem) -> date:
        return item.due_date or item.first_entry_date

    if rule is AllocationRule.LATE_FEES_FIRST:
        ordered = sorted(
            items, key=lambda item: (rank[item.code], own_date(item), item.first_entry_date, item.item)
        )
    else:
        # A late-fee item is named after its bill (payments.late_fee:<bill item>): it goes just
        # before that bill, or by its own date when the bill is paid already.
        bill_dates = {item.item: own_date(item) for item in items if item.code == ChartCode.RECEIVABLE_ENERGY}

        def bill_of(item: OpenItem) -> str:
            return (
                item.item.removeprefix(LATE_FEE_ITEM_PREFIX)
                if item.code == ChartCode.RECEIVABLE_LATE_FEE
                else item.item
            )

        ordered = sorted(
            items,
            key=lambda item: (
                bill_dates.get(bill_of(item), own_date(item)),
                bill_of(item),
                rank[item.code],
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
    settles_supply: bool = True,
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
    key = payment_key(channel=channel, serial=idempotency_key)
    existing: Payment | None = Payment.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _same_payment(existing=existing, account=account, amount=amount, serial=idempotency_key)
    # The account's row, locked: two payments of one account allocate one after the other, each
    # seeing what the other paid (the second would otherwise pay the same bills again).
    hold_accounts(account_ids=[account.pk])
    # The late fees accrued up to the day the money was received are charged first, on what
    # was unpaid until then, so the payment pays them before the bills (docs/late-fees.md).
    rules = rules_in_force()
    charge_late_fees(
        account_ids=[account.pk],
        through=last_day_charged_for_payment(paid_on=local_date(received_at), rules=rules),
        actor=actor,
        now=now,
        collecting=True,
        rules=rules,
    )
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
    # The entry belongs to the day it is recorded (a day's trial balance never changes after
    # it); the payment keeps when the money was received.
    on = local_date(now)
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
                        idempotency_key=f"payments.payment:{key}",
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
                idempotency_key=key,
                journal_entry=entry,
                recorded_by=actor,
                recorded_at=now,
            )
    except IntegrityError:
        # The same serial number recorded by another transaction since we looked.
        recorded: Payment | None = Payment.objects.filter(idempotency_key=key).first()
        if recorded is None:
            raise
        return _same_payment(existing=recorded, account=account, amount=amount, serial=idempotency_key)
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
    if not settles_supply:
        # The caller reverses the payment in this same transaction (a bank's reversal notice that
        # came first): no money arrived, so nothing about the supply changes.
        return payment
    # dunning (docs/dunning.md): arrears cleared → cancel the disconnection order, close the
    # case and, when the supply is off, create the reconnection order at once. Imported here
    # so the whole hook is this one block.
    from gridcare.payments.dunning import reconnect_if_cleared

    reconnect_if_cleared(account_ids=[account.pk], actor=actor, now=now)
    # prepaid (docs/prepaid.md): refresh the available balance; back above the cut-off → reconnect at once.
    from gridcare.payments.prepaid import reconnect_prepaid_if_topped_up

    reconnect_prepaid_if_topped_up(account_ids=[account.pk], actor=actor, now=now)
    return payment


def _same_payment(*, existing: Payment, account: Account, amount: Decimal, serial: str) -> Payment:
    """``existing``, the payment already recorded under a serial number, when the new one is the
    same payment again; refused when the serial number comes with another account or amount."""
    if existing.account_id != account.pk or existing.amount != amount:
        raise PaymentSerialConflict(serial=serial, receipt_no=existing.receipt_no)
    return existing


@denials_audited
@transaction.atomic
def reverse_payment(*, actor: User | None, payment: Payment, reason: str, now: datetime) -> Payment:
    """Reverse a payment (a bounced debit, a cashier's error): its journal entry is reversed,
    which re-opens every late fee and bill it paid and takes back what it prepaid."""
    hold_accounts(account_ids=[payment.account_id])
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
    _owe_what_prepaid_already_paid(payment=locked, actor=actor, now=now)
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


def _owe_what_prepaid_already_paid(*, payment: Payment, actor: User | None, now: datetime) -> None:
    """After a reversal, a prepaid balance below zero is money the payment left as prepaid that
    has since paid bills: it is owed again, as an open item of its own due today (the bills
    it paid stay paid; this item is what is chased)."""
    balance = AccountBalance.objects.get(customer_account_id=payment.account_id)
    if balance.prepaid >= 0:
        return
    owed = -balance.prepaid
    post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=payment.org_unit_id,
                kind=JournalEntryKind.ALLOCATION,
                entry_date=local_date(now),
                description=f"冲正收费 {payment.receipt_no}：已冲抵的预收转应收",
                source=f"payments.payment:{payment.receipt_no}",
                lines=[
                    PostingLine(
                        code=ChartCode.RECEIVABLE_ENERGY,
                        debit=owed,
                        customer_account_id=payment.account_id,
                        item=f"payments.payment:{payment.receipt_no}:reversed",
                        due_date=local_date(now),
                    ),
                    PostingLine(
                        code=ChartCode.PREPAID_ENERGY, credit=owed, customer_account_id=payment.account_id
                    ),
                ],
            )
        ],
        actor=actor,
        now=now,
    )


def apply_prepaid(*, account_ids: Iterable[int], actor: User | None, now: datetime) -> int:
    """Apply the prepaid balance (预收电费) of each of ``account_ids`` to its open late fees and
    bills (:data:`ALLOCATION_ORDER`), in the caller's transaction — run when bills are issued, so
    an overpayment pays the next bill. Posts one allocation entry per account that has both,
    a few queries per 2,000 accounts; returns how many."""
    ids = sorted(set(account_ids))
    posted = 0
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        hold_accounts(account_ids=chunk)
        prepaid = dict(
            AccountBalance.objects.filter(customer_account_id__in=chunk, prepaid__gt=0).values_list(
                "customer_account_id", "prepaid"
            )
        )
        if not prepaid:
            continue
        # Prepaid paying an overdue bill is a payment today: the fees accrued so far first.
        rules = rules_in_force()
        charge_late_fees(
            account_ids=list(prepaid),
            through=last_day_charged_for_payment(paid_on=local_date(now), rules=rules),
            actor=actor,
            now=now,
            collecting=True,
            rules=rules,
        )
        accounts = dict(Account.objects.filter(pk__in=list(prepaid)).values_list("pk", "org_unit_id"))
        items = open_items_by_account(customer_account_ids=list(prepaid), codes=ALLOCATION_ORDER)
        entries = []
        for account_id in sorted(prepaid):
            paid, rest = allocation(amount=prepaid[account_id], items=items.get(account_id, []))
            if not paid:
                continue
            entries.append(
                NewEntry(
                    org_unit_id=accounts[account_id],
                    kind=JournalEntryKind.ALLOCATION,
                    entry_date=local_date(now),
                    description="预收冲抵",
                    source=f"customers.account:{account_id}",
                    lines=[
                        PostingLine(
                            code=ChartCode.PREPAID_ENERGY,
                            debit=prepaid[account_id] - rest,
                            customer_account_id=account_id,
                        ),
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
        posted += len(entries)
    return posted


@denials_audited
@transaction.atomic
def refund_prepaid(
    *, actor: User | None, account: Account, amount: Decimal, reason: str, now: datetime
) -> None:
    """Refund ``amount`` of ``account``'s prepaid balance (退费) to the customer: Dr 预收电费 /
    Cr 应退电费, the refund owed until the money is paid out. Refused above the prepaid balance."""
    ensure_changeable(
        user=actor,
        permission=Permission.REFUND_PAYMENTS,
        org_unit=account.org_unit,
        operation="refund_prepaid",
    )
    if not reason.strip():
        raise PaymentReasonMissing()
    hold_accounts(account_ids=[account.pk])
    prepaid = (
        AccountBalance.objects.filter(customer_account_id=account.pk)
        .values_list("prepaid", flat=True)
        .first()
        or _ZERO
    )
    if amount <= 0 or round_to_fen(amount) != amount or amount > prepaid:
        raise RefundAmountInvalid(amount=amount, prepaid=prepaid)
    (entry,) = post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=account.org_unit_id,
                kind=JournalEntryKind.REFUND,
                entry_date=local_date(now),
                description=f"退费 {account.account_no}",
                source=f"customers.account:{account.pk}",
                lines=[
                    PostingLine(code=ChartCode.PREPAID_ENERGY, debit=amount, customer_account_id=account.pk),
                    PostingLine(
                        code=ChartCode.REFUNDS_PAYABLE, credit=amount, customer_account_id=account.pk
                    ),
                ],
            )
        ],
        actor=actor,
        now=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.prepaid_refunded",
        target=account,
        occurred_at=now,
        changes={"amount": str(amount), "reason": reason, "journal_entry": entry.pk},
    )
