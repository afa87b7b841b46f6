"""Cashier shifts (docs/cashier.md): opening a shift at a counter or in the field, taking
payments in it (坐收: cash or card; 走收: cash collected door to door), reversing a payment taken
in error while the shift is open, and closing the shift by counting the cash.

Each operation validates, changes rows, records payments through
:func:`gridcare.payments.operations.record_payment` (which posts them to the ledger) and audits
itself, in one transaction.
"""

from __future__ import annotations

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
from gridcare.organization.models import OrgUnit
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.cashier_queries import expected_cash
from gridcare.payments.errors import (
    CounterPaymentAlreadyReversed,
    PaymentAmountInvalid,
    ReceivedOutsideShift,
    ShiftAlreadyOpen,
    ShiftAmountInvalid,
    ShiftDifferenceReasonMissing,
    ShiftKindWrong,
    ShiftNotAwaitingReview,
    ShiftNotOpen,
    ShiftNotYours,
    ShiftReviewBySelf,
    ShiftReviewNoteMissing,
    ShiftSubmissionConflict,
    TenderedTooLittle,
)
from gridcare.payments.models import (
    CashierShift,
    PaymentChannel,
    ShiftKind,
    ShiftPayment,
    ShiftStatus,
    TenderMethod,
)
from gridcare.payments.operations import record_payment, reverse_payment

_COUNTER_CHANNELS = {
    TenderMethod.CASH: PaymentChannel.COUNTER_CASH,
    TenderMethod.CARD: PaymentChannel.COUNTER_CARD,
}
#: How a shift's kind is named in the two languages' messages.
_KIND_WORDS = {ShiftKind.COUNTER: ("坐收", "counter"), ShiftKind.FIELD: ("走收", "door-to-door")}


def _is_fen(amount: Decimal) -> bool:
    return round_to_fen(amount) == amount


@denials_audited
@transaction.atomic
def open_shift(
    *, actor: User, counter: OrgUnit, kind: ShiftKind, opening_float: Decimal, now: datetime
) -> CashierShift:
    """Open ``actor``'s shift at ``counter`` with ``opening_float`` of cash in the drawer (a
    field shift: the change the collector carries). A cashier has one open shift at a time."""
    ensure_changeable(
        user=actor, permission=Permission.COLLECT_PAYMENTS, org_unit=counter, operation="open_shift"
    )
    if opening_float < 0 or not _is_fen(opening_float):
        raise ShiftAmountInvalid(field="opening_float", amount=opening_float)
    already = CashierShift.objects.filter(cashier=actor, status=ShiftStatus.OPEN).first()
    if already is not None:
        raise ShiftAlreadyOpen(number=already.number)
    (sequence,) = reserve_sequence_numbers(name="cashier_shift", count=1)
    try:
        with transaction.atomic():
            shift = CashierShift.objects.create(
                org_unit=counter,
                number=f"BC{local_date(now):%Y%m%d}{sequence:06d}",
                kind=kind,
                cashier=actor,
                opening_float=opening_float,
                opened_at=now,
            )
    except IntegrityError:
        # Another shift of the cashier opened since we looked (the unique index decides).
        other = CashierShift.objects.filter(cashier=actor, status=ShiftStatus.OPEN).first()
        if other is None:
            raise
        raise ShiftAlreadyOpen(number=other.number) from None
    record_audit_event(
        actor=actor,
        action="payments.shift_opened",
        target=shift,
        occurred_at=now,
        changes={"number": shift.number, "kind": kind, "opening_float": str(opening_float)},
    )
    return shift


def _held_shift(*, shift: CashierShift, actor: User, kind: ShiftKind | None) -> CashierShift:
    """``shift``'s row, locked until the transaction ends, when it is open, ``actor``'s and of
    ``kind`` (``None``: either kind)."""
    locked: CashierShift = CashierShift.objects.select_for_update().select_related("cashier").get(pk=shift.pk)
    if locked.cashier_id != actor.pk:
        raise ShiftNotYours(
            number=locked.number, cashier=locked.cashier.get_full_name() or locked.cashier.username
        )
    if locked.status != ShiftStatus.OPEN:
        raise ShiftNotOpen(number=locked.number)
    if kind is not None and locked.kind != kind:
        kind_zh, kind_en = _KIND_WORDS[ShiftKind(locked.kind)]
        raise ShiftKindWrong(number=locked.number, kind_zh=kind_zh, kind_en=kind_en)
    return locked


def _take(
    *,
    actor: User,
    shift: CashierShift,
    account: Account,
    amount: Decimal,
    channel: PaymentChannel,
    method: TenderMethod,
    tendered: Decimal | None,
    received_at: datetime,
    submission: str,
    now: datetime,
) -> ShiftPayment:
    """Record the payment under the shift's next serial number and link it to the shift; a
    ``submission`` already taken in the shift returns its payment (the same form sent twice)."""
    if submission:
        already: ShiftPayment | None = (
            ShiftPayment.objects.select_related("payment").filter(shift=shift, submission=submission).first()
        )
        if already is not None:
            if already.payment.account_id != account.pk or already.payment.amount != amount:
                raise ShiftSubmissionConflict(receipt_no=already.payment.receipt_no)
            return already
    shift.last_sequence += 1
    shift.save(update_fields=["last_sequence"])
    serial = f"{shift.number}-{shift.last_sequence:04d}"
    payment = record_payment(
        actor=actor,
        account=account,
        amount=amount,
        channel=channel,
        idempotency_key=serial,
        received_at=received_at,
        now=now,
    )
    change = None if tendered is None else tendered - amount
    link = ShiftPayment.objects.create(
        shift=shift,
        payment=payment,
        sequence=shift.last_sequence,
        method=method,
        tendered=tendered,
        change_given=change,
        submission=submission,
    )
    record_audit_event(
        actor=actor,
        action="payments.shift_payment_taken",
        target=payment,
        occurred_at=now,
        changes={
            "shift": shift.number,
            "serial": serial,
            "receipt_no": payment.receipt_no,
            "amount": str(amount),
            "method": method,
            "tendered": None if tendered is None else str(tendered),
            "change": None if change is None else str(change),
        },
    )
    return link


def _check_amounts(*, amount: Decimal, tendered: Decimal | None) -> None:
    if amount <= 0 or not _is_fen(amount):
        raise PaymentAmountInvalid(amount=amount)
    if tendered is not None:
        if not _is_fen(tendered):
            raise ShiftAmountInvalid(field="tendered", amount=tendered)
        if tendered < amount:
            raise TenderedTooLittle(tendered=tendered, amount=amount)


@denials_audited
@transaction.atomic
def take_counter_payment(
    *,
    actor: User,
    shift: CashierShift,
    account: Account,
    amount: Decimal,
    method: TenderMethod,
    tendered: Decimal | None,
    now: datetime,
    submission: str = "",
) -> ShiftPayment:
    """Take a payment of ``amount`` for ``account`` at the counter in ``actor``'s open counter
    shift: in cash (``tendered`` handed over, the change ``tendered − amount`` given back; no
    ``tendered`` means the exact amount) or by bank card (no cash, no change). ``submission``,
    the paying form's token, makes the same form sent twice take the payment once."""
    # The account's scope first, so a refusal is recorded by this operation after it rolled back.
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=account.org_unit,
        operation="take_counter_payment",
    )
    method = TenderMethod(method)
    if method == TenderMethod.CARD:
        tendered = None
    elif tendered is None:
        tendered = amount
    _check_amounts(amount=amount, tendered=tendered)
    locked = _held_shift(shift=shift, actor=actor, kind=ShiftKind.COUNTER)
    return _take(
        actor=actor,
        shift=locked,
        account=account,
        amount=amount,
        channel=_COUNTER_CHANNELS[method],
        method=method,
        tendered=tendered,
        received_at=now,
        submission=submission,
        now=now,
    )


@denials_audited
@transaction.atomic
def take_door_to_door_payment(
    *,
    actor: User,
    shift: CashierShift,
    account: Account,
    amount: Decimal,
    received_at: datetime,
    now: datetime,
    submission: str = "",
) -> ShiftPayment:
    """Record cash a collector took door to door (走收) for ``account`` in their open field
    shift, at ``received_at`` (between the shift's opening and ``now``: collectors enter the
    day's receipts as they go or when back)."""
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=account.org_unit,
        operation="take_door_to_door_payment",
    )
    _check_amounts(amount=amount, tendered=None)
    locked = _held_shift(shift=shift, actor=actor, kind=ShiftKind.FIELD)
    if not locked.opened_at <= received_at <= now:
        raise ReceivedOutsideShift(
            received_at=received_at.isoformat(), opened_at=locked.opened_at.isoformat()
        )
    return _take(
        actor=actor,
        shift=locked,
        account=account,
        amount=amount,
        channel=PaymentChannel.DOOR_TO_DOOR,
        method=TenderMethod.CASH,
        tendered=amount,
        received_at=received_at,
        submission=submission,
        now=now,
    )


@denials_audited
@transaction.atomic
def reverse_counter_payment(
    *, actor: User, shift_payment: ShiftPayment, reason: str, now: datetime
) -> ShiftPayment:
    """Reverse a payment taken in error, in its own shift while that is open, by its cashier:
    the payment is reversed (re-opening what it paid) and, for cash, the money handed back
    leaves the shift's expected cash. Once the shift has closed, its count stands: a later
    reversal is :func:`~gridcare.payments.operations.reverse_payment`'s, outside any shift."""
    link: ShiftPayment = ShiftPayment.objects.select_related("payment__account__org_unit", "shift").get(
        pk=shift_payment.pk
    )
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=link.payment.account.org_unit,
        operation="reverse_counter_payment",
    )
    _held_shift(shift=link.shift, actor=actor, kind=None)
    if link.reversed_at is not None:
        raise CounterPaymentAlreadyReversed(receipt_no=link.payment.receipt_no)
    payment = reverse_payment(actor=actor, payment=link.payment, reason=reason, now=now)
    link.payment = payment
    link.reversed_at = now
    link.save(update_fields=["reversed_at"])
    record_audit_event(
        actor=actor,
        action="payments.shift_payment_reversed",
        target=payment,
        occurred_at=now,
        changes={"shift": link.shift.number, "receipt_no": payment.receipt_no, "amount": str(payment.amount)},
    )
    return link


@denials_audited
@transaction.atomic
def close_shift(
    *, actor: User, shift: CashierShift, counted_cash: Decimal, reason: str, now: datetime
) -> CashierShift:
    """Close ``actor``'s open shift with the cash counted in the drawer (or the collector's bag).

    The expected cash is the opening float plus the cash taken minus the cash handed back by
    reversals in the shift. The difference (counted − expected) closes the shift balanced at
    zero; otherwise (长款 above zero, 短款 below) only with a ``reason``, and the shift is
    flagged for a supervisor's review."""
    if counted_cash < 0 or not _is_fen(counted_cash):
        raise ShiftAmountInvalid(field="counted_cash", amount=counted_cash)
    locked: CashierShift = CashierShift.objects.select_for_update().select_related("cashier").get(pk=shift.pk)
    ensure_changeable(
        user=actor, permission=Permission.COLLECT_PAYMENTS, org_unit=locked.org_unit, operation="close_shift"
    )
    if locked.cashier_id != actor.pk:
        raise ShiftNotYours(
            number=locked.number, cashier=locked.cashier.get_full_name() or locked.cashier.username
        )
    if locked.status != ShiftStatus.OPEN:
        raise ShiftNotOpen(number=locked.number)
    expected = expected_cash(shift=locked)
    difference = counted_cash - expected
    reason = reason.strip()
    if difference and not reason:
        over = difference > 0
        raise ShiftDifferenceReasonMissing(
            difference=abs(difference),
            kind_zh="长款" if over else "短款",
            kind_en="overage" if over else "shortage",
        )
    locked.status = ShiftStatus.CLOSED
    locked.closed_at = now
    locked.expected_cash = expected
    locked.counted_cash = counted_cash
    locked.difference = difference
    locked.close_reason = reason[:300] if difference else ""
    locked.needs_review = difference != 0
    locked.save(
        update_fields=[
            "status",
            "closed_at",
            "expected_cash",
            "counted_cash",
            "difference",
            "close_reason",
            "needs_review",
        ]
    )
    record_audit_event(
        actor=actor,
        action="payments.shift_closed",
        target=locked,
        occurred_at=now,
        changes={
            "number": locked.number,
            "expected_cash": str(expected),
            "counted_cash": str(counted_cash),
            "difference": str(difference),
            "reason": locked.close_reason,
            "needs_review": locked.needs_review,
        },
    )
    return locked


@denials_audited
@transaction.atomic
def review_shift(*, actor: User, shift: CashierShift, note: str, now: datetime) -> CashierShift:
    """A supervisor's review of a shift closed with a difference (长款/短款): what was decided
    (a found error, income, the cashier's liability) is the ``note``; the shift leaves the
    review list. Needs ``approvals.approve`` over the counter, and someone other than its
    cashier."""
    locked: CashierShift = (
        CashierShift.objects.select_for_update().select_related("org_unit").get(pk=shift.pk)
    )
    ensure_changeable(
        user=actor, permission=Permission.APPROVE, org_unit=locked.org_unit, operation="review_shift"
    )
    if locked.cashier_id == actor.pk:
        raise ShiftReviewBySelf(number=locked.number)
    if locked.status != ShiftStatus.CLOSED or not locked.needs_review:
        raise ShiftNotAwaitingReview(number=locked.number)
    note = note.strip()
    if not note:
        raise ShiftReviewNoteMissing()
    locked.needs_review = False
    locked.reviewed_by = actor
    locked.reviewed_at = now
    locked.review_note = note[:300]
    locked.save(update_fields=["needs_review", "reviewed_by", "reviewed_at", "review_note"])
    record_audit_event(
        actor=actor,
        action="payments.shift_reviewed",
        target=locked,
        occurred_at=now,
        changes={"number": locked.number, "difference": str(locked.difference), "note": locked.review_note},
    )
    return locked
