"""The third-party payment provider channel (docs/provider-payments.md): a portal customer's
payment order, the signed request that sends the customer to the provider's gateway, and the
provider's signed asynchronous notification, which records the payment — once, however often it
arrives.

Only the notification moves money: the page the customer's browser comes back to shows the
order's status, never changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.customers.queries import accounts_of_portal_user
from gridcare.identity.access import denials_audited
from gridcare.identity.models import User
from gridcare.kit.clock import SHANGHAI, local_date, to_local
from gridcare.kit.money import round_to_fen
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.errors import (
    NothingToPay,
    ProviderNotConfigured,
    ProviderNotificationRefused,
    ProviderOrderAccountNotOwned,
    ProviderOrderAmountInvalid,
)
from gridcare.payments.models import PaymentChannel, ProviderOrder, ProviderOrderPurpose, ProviderOrderStatus
from gridcare.payments.operations import record_payment
from gridcare.payments.provider_protocol import (
    ensure_private_key_file,
    load_private_key,
    load_public_key,
    signature_is_valid,
    signed,
)

#: What one online payment may be: at least a fen, at most this (a sane ceiling for a portal
#: payment; larger sums go through the bank).
ORDER_MINIMUM = Decimal("0.01")
ORDER_MAXIMUM = Decimal("50000.00")
#: The provider's trade statuses (Alipay's words): paid, paid and no longer refundable, closed
#: unpaid, waiting for the buyer.
TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED, WAIT_BUYER_PAY = (
    "TRADE_SUCCESS",
    "TRADE_FINISHED",
    "TRADE_CLOSED",
    "WAIT_BUYER_PAY",
)
PAID_STATUSES = frozenset({TRADE_SUCCESS, TRADE_FINISHED})
#: How the provider writes a moment: Beijing time, to the second.
PROVIDER_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The merchant name the provider shows the customer.
MERCHANT_NAME = "国网示范供电公司"
#: The one permission-like name a portal customer's refusal is recorded under.
PORTAL_ACCOUNT_HOLDER = "portal.account_holder"


@dataclass(frozen=True)
class ProviderConfig:
    """Who we are at the provider and the keys of both sides."""

    app_id: str
    gateway_url: str
    private_key: rsa.RSAPrivateKey
    provider_public_key: rsa.RSAPublicKey


def provider_config() -> ProviderConfig:
    """The provider configuration of ``settings.PAYMENT_PROVIDER``; with the sandbox on, its keys
    and ours are made on first use. :class:`ProviderNotConfigured` when anything is missing."""
    configured = settings.PAYMENT_PROVIDER
    if configured["SANDBOX"]:
        key_dir = Path(str(configured["SANDBOX_KEY_DIR"]))
        ensure_private_key_file(key_dir / "merchant.pem")
        ensure_private_key_file(key_dir / "provider.pem")
    app_id, gateway_url = str(configured["APP_ID"]), str(configured["GATEWAY_URL"])
    private_key_file = str(configured["PRIVATE_KEY_FILE"])
    public_key_file = str(configured["PROVIDER_PUBLIC_KEY_FILE"])
    if not (app_id and gateway_url and private_key_file and public_key_file):
        raise ProviderNotConfigured()
    return ProviderConfig(
        app_id=app_id,
        gateway_url=gateway_url,
        private_key=load_private_key(Path(private_key_file)),
        provider_public_key=load_public_key(Path(public_key_file)),
    )


def provider_time(moment: datetime) -> str:
    """``moment`` as the provider writes it (Beijing time)."""
    return to_local(moment).strftime(PROVIDER_TIME_FORMAT)


# --- orders ------------------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def create_provider_order(
    *, actor: User, account: Account, amount: Decimal, purpose: ProviderOrderPurpose, now: datetime
) -> ProviderOrder:
    """A new payment order of ``amount`` for ``account``, one of the accounts the portal
    customer ``actor`` is bound to (any other is refused and the refusal audited)."""
    if not accounts_of_portal_user(user=actor).filter(pk=account.pk).exists():
        raise ProviderOrderAccountNotOwned(
            actor=actor,
            operation="create_provider_order",
            permission=PORTAL_ACCOUNT_HOLDER,
            account_no=account.account_no,
        )
    if purpose == ProviderOrderPurpose.PAY_BILLS and amount == 0:
        raise NothingToPay(account_no=account.account_no)
    if not ORDER_MINIMUM <= amount <= ORDER_MAXIMUM or round_to_fen(amount) != amount:
        raise ProviderOrderAmountInvalid(minimum=ORDER_MINIMUM, maximum=ORDER_MAXIMUM)
    (number,) = reserve_sequence_numbers(name="provider_order", count=1)
    order = ProviderOrder.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        out_trade_no=f"GC{local_date(now):%Y%m%d}{number:010d}",
        purpose=purpose,
        amount=amount,
        created_by=actor,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.provider_order_created",
        target=order,
        occurred_at=now,
        changes={
            "out_trade_no": order.out_trade_no,
            "account_no": account.account_no,
            "amount": str(amount),
            "purpose": purpose,
        },
    )
    return order


def order_subject(order: ProviderOrder) -> str:
    """What the provider shows the customer the order is for."""
    if order.purpose == ProviderOrderPurpose.TOP_UP:
        return f"电费预存 户号{order.account.account_no}"
    return f"电费缴纳 户号{order.account.account_no}"


def payment_request(
    *, order: ProviderOrder, config: ProviderConfig, notify_url: str, return_url: str, now: datetime
) -> dict[str, str]:
    """The parameters, signed with our key, that send the customer's browser to the provider's
    gateway to pay ``order`` (Alipay's page-pay request: the order is in ``biz_content``)."""
    biz_content = {
        "out_trade_no": order.out_trade_no,
        "total_amount": f"{order.amount:.2f}",
        "subject": order_subject(order),
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    return signed(
        {
            "app_id": config.app_id,
            "method": "trade.page.pay",
            "charset": "utf-8",
            "version": "1.0",
            "timestamp": provider_time(now),
            "notify_url": notify_url,
            "return_url": return_url,
            "biz_content": json.dumps(biz_content, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        },
        private_key=config.private_key,
    )


# --- the provider's notification ---------------------------------------------------------------


def accept_provider_notification(*, parameters: Mapping[str, str], now: datetime) -> ProviderOrder:
    """Act on the provider's asynchronous notification ``parameters`` (docs/provider-payments.md)
    and return its order.

    Refused with :class:`ProviderNotificationRefused` — audited (``payments.provider_notification_
    refused``), nothing else changed — unless the signature verifies with the provider's public
    key, the app id is ours, the order is ours and the amount is the order's. A paid trade
    records the payment (serial number: the provider's ``trade_no``) and marks the order paid; the
    same notification again finds the order paid by that trade and changes nothing. A closed
    trade closes an order still awaiting payment, and is ignored for a paid one; a paid trade of
    an order closed before is still recorded (the money has moved at the provider)."""
    try:
        return _accept_notification(parameters=parameters, now=now)
    except ProviderNotificationRefused as refusal:
        _record_refusal(refusal=refusal, parameters=parameters, now=now)
        raise


@transaction.atomic
def _accept_notification(*, parameters: Mapping[str, str], now: datetime) -> ProviderOrder:
    out_trade_no = parameters.get("out_trade_no", "")
    config = provider_config()
    if not signature_is_valid(parameters, public_key=config.provider_public_key):
        raise ProviderNotificationRefused(reason="bad_signature", out_trade_no=out_trade_no)
    if parameters.get("app_id") != config.app_id:
        raise ProviderNotificationRefused(reason="wrong_app_id", out_trade_no=out_trade_no)
    # Locked: the same notification twice at once is handled one after the other.
    order: ProviderOrder | None = (
        ProviderOrder.objects.select_for_update()
        .select_related("account")
        .filter(out_trade_no=out_trade_no)
        .first()
    )
    if order is None:
        raise ProviderNotificationRefused(reason="unknown_order", out_trade_no=out_trade_no)
    if _amount(parameters.get("total_amount", "")) != order.amount:
        raise ProviderNotificationRefused(reason="amount_mismatch", out_trade_no=out_trade_no)
    trade_status = parameters.get("trade_status", "")
    if trade_status in PAID_STATUSES:
        return _paid(order=order, parameters=parameters, now=now)
    if trade_status == TRADE_CLOSED:
        return _closed(order=order, now=now)
    if trade_status == WAIT_BUYER_PAY:
        return order
    raise ProviderNotificationRefused(reason="unknown_trade_status", out_trade_no=out_trade_no)


def _amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and round_to_fen(amount) == amount else None


def _paid(*, order: ProviderOrder, parameters: Mapping[str, str], now: datetime) -> ProviderOrder:
    trade_no = parameters.get("trade_no", "")
    if not trade_no:
        raise ProviderNotificationRefused(reason="trade_no_missing", out_trade_no=order.out_trade_no)
    if order.status == ProviderOrderStatus.PAID:
        if order.trade_no != trade_no:
            # Another trade for an order already paid: a second payment a person must look at.
            raise ProviderNotificationRefused(reason="trade_no_conflict", out_trade_no=order.out_trade_no)
        return order
    received_at = _provider_moment(parameters.get("gmt_payment", "")) or now
    payment = record_payment(
        actor=None,
        account=order.account,
        amount=order.amount,
        channel=PaymentChannel.PROVIDER,
        idempotency_key=trade_no,
        received_at=received_at,
        now=now,
    )
    was_closed = order.status == ProviderOrderStatus.CLOSED
    order.status, order.trade_no, order.payment, order.paid_at = (
        ProviderOrderStatus.PAID,
        trade_no,
        payment,
        now,
    )
    order.save(update_fields=["status", "trade_no", "payment", "paid_at"])
    record_audit_event(
        actor=None,
        action="payments.provider_order_paid",
        target=order,
        occurred_at=now,
        changes={
            "out_trade_no": order.out_trade_no,
            "trade_no": trade_no,
            "receipt_no": payment.receipt_no,
            "amount": str(order.amount),
            "notify_id": parameters.get("notify_id", ""),
            "was_closed": was_closed,
        },
    )
    return order


def _closed(*, order: ProviderOrder, now: datetime) -> ProviderOrder:
    if order.status != ProviderOrderStatus.CREATED:
        return order  # closed already, or paid: a late "closed" changes nothing
    order.status, order.closed_at = ProviderOrderStatus.CLOSED, now
    order.save(update_fields=["status", "closed_at"])
    record_audit_event(
        actor=None,
        action="payments.provider_order_closed",
        target=order,
        occurred_at=now,
        changes={"out_trade_no": order.out_trade_no},
    )
    return order


def _provider_moment(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, PROVIDER_TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


@transaction.atomic
def _record_refusal(
    *, refusal: ProviderNotificationRefused, parameters: Mapping[str, str], now: datetime
) -> None:
    """Audit a refused notification, after its own transaction rolled back."""
    order = ProviderOrder.objects.filter(out_trade_no=refusal.out_trade_no).first()
    record_audit_event(
        actor=None,
        action="payments.provider_notification_refused",
        target=None,
        object_type="payments.providerorder",
        object_id=refusal.out_trade_no[:64],
        org_unit_id=order.org_unit_id if order is not None else None,
        occurred_at=now,
        changes={
            "reason": refusal.reason,
            **{
                name: parameters.get(name, "")[:100]
                for name in ("app_id", "trade_no", "total_amount", "trade_status", "notify_id")
            },
        },
    )


def return_is_authentic(*, parameters: Mapping[str, str]) -> bool:
    """Whether the parameters the provider sent the customer's browser back with are signed by
    the provider for our app id (the return page shows an order only then)."""
    config = provider_config()
    return (
        signature_is_valid(parameters, public_key=config.provider_public_key)
        and parameters.get("app_id") == config.app_id
    )
