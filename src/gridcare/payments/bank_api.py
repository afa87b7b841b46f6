"""The bank real-time collection API (银行代收, docs/bank-channels.md): a bank, signed as an
integration holding ``payments:bank_collection``, asks what an account owes and notifies its
payments and reversals. Integration-only: a notification's serial is the calling bank's.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from gridcare.customers.models import Account
from gridcare.identity.api_auth import SignedTokenAuth, api_caller, error_responses
from gridcare.identity.integrations import ApiScope
from gridcare.identity.models import Integration
from gridcare.kit.clock import local_date
from gridcare.kit.errors import GridCareError
from gridcare.payments.bank_collection import bank_amount_due, record_bank_payment, reverse_bank_payment
from gridcare.payments.errors import (
    BankNotificationInvalid,
    BankPaymentAlreadyReversed,
    BankSerialConflict,
)

router = Router(tags=["bank collection"])

BANK_ACCESS = [SignedTokenAuth(scope=ApiScope.PAYMENTS_BANK_COLLECTION)]
AMOUNT_PATTERN = re.compile(r"^[0-9]{1,13}\.[0-9]{2}$")
#: A serial already used otherwise, a payment reversed twice: the bank must not retry these.
CONFLICTS = (BankSerialConflict, BankPaymentAlreadyReversed)


class AmountDueOut(Schema):
    account_no: str
    #: The account name masked (``张*``).
    name_masked: str
    #: The business day (Asia/Shanghai) of the amount.
    on: str
    #: Yuan, two decimals: what pays everything owed today.
    amount_due: str


class PaymentNotificationIn(Schema):
    serial: str
    account_no: str
    #: Yuan, two decimals, as a string: "120.00".
    amount: str
    #: ISO 8601 with an offset.
    paid_at: datetime


class PaymentNotificationOut(Schema):
    serial: str
    receipt_no: str
    amount: str
    #: posted, or reversed (a reversal notice that came first was applied).
    status: str


class ReversalNotificationIn(Schema):
    serial: str
    original_serial: str
    reason: str


class ReversalNotificationOut(Schema):
    serial: str
    original_serial: str
    #: applied, or pending (the payment has not arrived yet; it is reversed when it does).
    status: str
    receipt_no: str | None


def _bank(request: HttpRequest) -> Integration:
    integration = api_caller(request).integration
    if integration is None:  # BANK_ACCESS lets in signed integrations only
        raise TypeError("A bank endpoint without a bank.")
    return integration


def _refused(refusal: GridCareError) -> Status[dict[str, Any]]:
    """409 for a conflict (retrying will not help), else 422 naming the field, as the API's
    schema errors do."""
    if isinstance(refusal, CONFLICTS):
        return Status(409, refusal.as_dict())
    problem = {"field": refusal.field or "", "message": refusal.message("en"), "type": refusal.code}
    return Status(422, {**refusal.as_dict(), "errors": [problem]})


@router.get(
    "/accounts/{account_no}/amount-due",
    response={200: AmountDueOut, **error_responses()},
    auth=BANK_ACCESS,
    url_name="bank_amount_due",
    summary="What an account owes today (bank collection)",
)
def amount_due(request: HttpRequest, account_no: str) -> dict[str, str]:
    """The amount that pays everything the account owes today; 404 for an account outside the
    bank's org units."""
    try:
        due = bank_amount_due(
            user=api_caller(request).user, account_no=account_no, on=local_date(timezone.now())
        )
    except Account.DoesNotExist:
        raise Http404 from None
    return {
        "account_no": due.account_no,
        "name_masked": due.name_masked,
        "on": due.on.isoformat(),
        "amount_due": f"{due.amount_due:.2f}",
    }


@router.post(
    "/payments",
    response={200: PaymentNotificationOut, **error_responses()},
    auth=BANK_ACCESS,
    url_name="bank_payment_notification",
    summary="A bank's payment notification (bank collection)",
)
def payment_notification(request: HttpRequest, notification: PaymentNotificationIn) -> Status[dict[str, Any]]:
    """Record the payment once: the same notification again answers the same receipt; its
    serial with another account or amount is a 409 ``bank_serial_conflict``."""
    caller = api_caller(request)
    try:
        if not AMOUNT_PATTERN.match(notification.amount):
            raise BankNotificationInvalid(
                field="amount",
                reason_zh="金额须为两位小数的元，如 120.00",
                reason_en="the amount is yuan with two decimals, e.g. 120.00",
            )
        if notification.paid_at.tzinfo is None:
            raise BankNotificationInvalid(
                field="paid_at", reason_zh="时间须带时区偏移", reason_en="the time must carry an offset"
            )
        account = Account.objects.visible_to(caller.user).filter(account_no=notification.account_no).first()
        if account is None:
            raise Http404
        payment = record_bank_payment(
            actor=caller.user,
            bank=_bank(request),
            account=account,
            serial=notification.serial,
            amount=Decimal(notification.amount),
            paid_at=notification.paid_at,
            now=timezone.now(),
        )
    except GridCareError as refusal:
        return _refused(refusal)
    return Status(
        200,
        {
            "serial": notification.serial,
            "receipt_no": payment.receipt_no,
            "amount": f"{payment.amount:.2f}",
            "status": payment.status,
        },
    )


@router.post(
    "/reversals",
    response={200: ReversalNotificationOut, **error_responses()},
    auth=BANK_ACCESS,
    url_name="bank_reversal_notification",
    summary="A bank's reversal notification, 冲正 (bank collection)",
)
def reversal_notification(
    request: HttpRequest, notification: ReversalNotificationIn
) -> Status[dict[str, Any]]:
    """Reverse the payment ``original_serial`` once; kept and applied on its arrival when the
    payment has not come yet (``status: pending``)."""
    try:
        notice = reverse_bank_payment(
            actor=api_caller(request).user,
            bank=_bank(request),
            serial=notification.serial,
            original_serial=notification.original_serial,
            reason=notification.reason,
            now=timezone.now(),
        )
    except GridCareError as refusal:
        return _refused(refusal)
    return Status(
        200,
        {
            "serial": notice.serial,
            "original_serial": notice.original_serial,
            "status": notice.status,
            "receipt_no": notice.payment.receipt_no if notice.payment else None,
        },
    )
