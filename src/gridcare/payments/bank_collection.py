"""Bank real-time collection (银行代收, docs/bank-channels.md): what an account owes today, and
the bank's payment and reversal (冲正) notifications, each posted exactly once.

A payment's key is the channel and the bank's serial, the reference its statement line carries
(reconciliation matches by it); a reversal notice is the bank's own. Every notification of one
bank takes the bank's row lock first, so a payment and its reversal arriving at once are
applied one after the other: the reversal finds the payment, or the payment finds the reversal
waiting for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import Integration, IntegrationKind, User
from gridcare.identity.permissions import Permission
from gridcare.kit.masking import mask_person_name
from gridcare.payments.errors import (
    BankNotificationInvalid,
    BankPaymentAlreadyReversed,
    BankSerialConflict,
    PaymentSerialConflict,
)
from gridcare.payments.models import BankReversal, BankReversalStatus, Payment, PaymentChannel, PaymentStatus
from gridcare.payments.models.bankchannels import BANK_SERIAL_LENGTH
from gridcare.payments.operations import payment_key, record_payment, reverse_payment
from gridcare.payments.queries import amount_due

SERIAL_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{BANK_SERIAL_LENGTH}}}$")


@dataclass(frozen=True, kw_only=True)
class BankAmountDue:
    account_no: str
    name_masked: str
    on: date
    amount_due: Decimal


def bank_amount_due(*, user: Any, account_no: str, on: date) -> BankAmountDue:
    """What the account ``account_no`` owes on ``on`` (:func:`amount_due`: open bills and late
    fees to the day), for a bank (org-scoped: an account ``user`` may not see raises
    ``Account.DoesNotExist``); the name masked."""
    account: Account = Account.objects.visible_to(user).get(account_no=account_no)
    due = amount_due(user=user, account=account, on=on)
    return BankAmountDue(
        account_no=account.account_no,
        name_masked=mask_person_name(account.name),
        on=on,
        amount_due=due.total,
    )


def hold_bank(bank: Integration) -> None:
    """Lock ``bank``'s integration row until the transaction ends: the bank's notifications,
    and its debit runs, are applied one after the other."""
    Integration.objects.select_for_update().filter(pk=bank.pk).values_list("pk").first()


def _check_serial(*, field: str, serial: str) -> None:
    if not SERIAL_PATTERN.match(serial):
        raise BankNotificationInvalid(
            field=field,
            reason_zh=f"流水号须为 1–{BANK_SERIAL_LENGTH} 位字母、数字、_ 或 -",
            reason_en=f"a serial is 1–{BANK_SERIAL_LENGTH} letters, digits, _ or -",
        )


def _check_bank(bank: Integration) -> None:
    if bank.kind != IntegrationKind.BANK:
        raise BankNotificationInvalid(
            field="bank", reason_zh="调用方不是银行接口", reason_en="the caller is not a bank integration"
        )


@denials_audited
@transaction.atomic
def record_bank_payment(
    *,
    actor: User | None,
    bank: Integration,
    account: Account,
    serial: str,
    amount: Decimal,
    paid_at: datetime,
    now: datetime,
) -> Payment:
    """Record ``bank``'s payment notification ``serial`` (:func:`record_payment`, channel bank
    real-time): the same notification again returns the payment recorded; the serial with
    another account or amount is refused (:class:`BankSerialConflict`). A reversal notice that
    arrived before the payment (pending) reverses it at once."""
    _check_bank(bank)
    _check_serial(field="serial", serial=serial)
    hold_bank(bank)
    pending: BankReversal | None = (
        BankReversal.objects.select_for_update()
        .filter(bank=bank, original_serial=serial, status=BankReversalStatus.PENDING)
        .first()
    )
    try:
        payment = record_payment(
            actor=actor,
            account=account,
            amount=amount,
            channel=PaymentChannel.BANK_REALTIME,
            idempotency_key=serial,
            received_at=paid_at,
            now=now,
            # Reversed below, in this transaction: it must not reconnect or close a dunning case.
            settles_supply=pending is None,
        )
    except PaymentSerialConflict as conflict:
        # Told as a bank notification's conflict, in its field ``serial``.
        receipt_no = conflict.params["receipt_no"]
        raise BankSerialConflict(
            serial=serial,
            what_zh=f"收费 {receipt_no}，户号或金额不同",
            what_en=f"payment {receipt_no}, another account or amount",
        ) from conflict
    if pending is None:
        return payment
    applied = _apply_reversal(actor=actor, notice=pending, payment=payment, now=now).payment
    # The reversal just applied names the payment it reversed.
    assert applied is not None  # noqa: S101
    return applied


@denials_audited
@transaction.atomic
def reverse_bank_payment(
    *, actor: User | None, bank: Integration, serial: str, original_serial: str, reason: str, now: datetime
) -> BankReversal:
    """Record ``bank``'s reversal notice ``serial`` of its payment ``original_serial`` and
    reverse the payment (:func:`reverse_payment`); kept pending, and applied when the payment
    arrives, if the payment is not recorded yet. The same notice again changes nothing; the
    serial with another payment, or a second notice for a reversed payment, is refused."""
    _check_bank(bank)
    _check_serial(field="serial", serial=serial)
    _check_serial(field="original_serial", serial=original_serial)
    if not reason.strip():
        raise BankNotificationInvalid(
            field="reason", reason_zh="冲正须写明原因", reason_en="a reversal needs a reason"
        )
    ensure_changeable(
        user=actor,
        permission=Permission.COLLECT_PAYMENTS,
        org_unit=bank.org_unit,
        operation="reverse_bank_payment",
    )
    hold_bank(bank)
    same_serial: BankReversal | None = BankReversal.objects.filter(bank=bank, serial=serial).first()
    if same_serial is not None:
        if same_serial.original_serial != original_serial:
            raise BankSerialConflict(
                serial=serial,
                what_zh=f"冲正原流水 {same_serial.original_serial}",
                what_en=f"the reversal of {same_serial.original_serial}",
            )
        return same_serial
    same_payment: BankReversal | None = BankReversal.objects.filter(
        bank=bank, original_serial=original_serial
    ).first()
    if same_payment is not None:
        raise BankPaymentAlreadyReversed(original_serial=original_serial, reversal_serial=same_payment.serial)
    notice: BankReversal = BankReversal.objects.create(
        org_unit_id=bank.org_unit_id,
        bank=bank,
        serial=serial,
        original_serial=original_serial,
        reason=reason[:200],
        status=BankReversalStatus.PENDING,
        received_at=now,
    )
    key = payment_key(channel=PaymentChannel.BANK_REALTIME, serial=original_serial)
    # Only a payment of the bank's org units: another bank's payment is not this bank's to reverse.
    payments = Payment.objects.all() if actor is None else Payment.objects.visible_to(actor)
    payment: Payment | None = payments.filter(idempotency_key=key).first()
    if payment is None:
        record_audit_event(
            actor=actor,
            action="payments.bank_reversal_pending",
            target=notice,
            occurred_at=now,
            changes={"serial": serial, "original_serial": original_serial, "reason": reason},
        )
        return notice
    return _apply_reversal(actor=actor, notice=notice, payment=payment, now=now)


def _apply_reversal(
    *, actor: User | None, notice: BankReversal, payment: Payment, now: datetime
) -> BankReversal:
    """Reverse ``payment`` by ``notice`` (unless someone reversed it already) and mark the
    notice applied, in the caller's transaction."""
    if payment.status == PaymentStatus.POSTED:
        payment = reverse_payment(
            actor=actor, payment=payment, reason=f"银行冲正 {notice.serial}：{notice.reason}", now=now
        )
    notice.status = BankReversalStatus.APPLIED
    notice.payment = payment
    notice.applied_at = now
    notice.save(update_fields=["status", "payment", "applied_at"])
    record_audit_event(
        actor=actor,
        action="payments.bank_reversal_applied",
        target=notice,
        occurred_at=now,
        changes={
            "serial": notice.serial,
            "original_serial": notice.original_serial,
            "receipt_no": payment.receipt_no,
            "reason": notice.reason,
        },
    )
    return notice
