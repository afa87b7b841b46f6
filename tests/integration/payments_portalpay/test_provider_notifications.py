"""The provider's notification: a paid trade records the payment once, however often it comes;
a bad signature, another app id, an unknown order or another amount is refused, audited, and
posts nothing; a closed trade closes an unpaid order; a paid trade of a closed order is still
recorded (the money moved at the provider).

The world (conftest.py): a bill of 97.66 on the first account, not yet due."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from portalpay_world import BILL_AMOUNT, BILL_ITEM, TRADE_NO, Notify, PortalPayWorld

from gridcare.audit.models import AuditEvent
from gridcare.kit.clock import SHANGHAI
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntry
from gridcare.ledger.queries import check_ledger, open_items
from gridcare.payments.errors import ProviderNotificationRefused
from gridcare.payments.models import (
    Payment,
    PaymentChannel,
    ProviderOrder,
    ProviderOrderPurpose,
    ProviderOrderStatus,
)
from gridcare.payments.provider import accept_provider_notification, create_provider_order
from gridcare.payments.provider_protocol import signed

pytestmark = pytest.mark.django_db


def _order(
    world: PortalPayWorld, now: datetime, amount: Decimal = BILL_AMOUNT, **others: object
) -> ProviderOrder:
    return create_provider_order(
        actor=world.portal_user,
        account=others.pop("account", world.account),  # type: ignore[arg-type]
        amount=amount,
        purpose=others.pop("purpose", ProviderOrderPurpose.PAY_BILLS),  # type: ignore[arg-type]
        now=now,
    )


def _balance(world: PortalPayWorld) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account=world.account)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def _refusals() -> list[tuple[str, str, object]]:
    return [
        (event.object_id, event.changes["reason"], event.org_unit_id)
        for event in AuditEvent.objects.filter(action="payments.provider_notification_refused").order_by("pk")
    ]


def _nothing_posted(world: PortalPayWorld, order: ProviderOrder, entries_before: int) -> None:
    assert Payment.objects.count() == 0
    assert JournalEntry.objects.count() == entries_before
    assert _balance(world) == (BILL_AMOUNT, Decimal("0.00"), Decimal("0.00"))
    stored = ProviderOrder.objects.get(pk=order.pk)
    assert (stored.status, stored.trade_no, stored.payment) == (ProviderOrderStatus.CREATED, "", None)


def test_a_paid_trade_records_the_payment_and_pays_the_order(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)

    accepted = accept_provider_notification(parameters=notification(order.out_trade_no, "97.66"), now=now)

    payment = Payment.objects.get()
    assert (
        payment.account,
        payment.amount,
        payment.channel,
        payment.idempotency_key,
        payment.recorded_by,
    ) == (
        portal_pay_world.account,
        Decimal("97.66"),
        PaymentChannel.PROVIDER,
        f"provider:{TRADE_NO}",
        None,
    )
    assert payment.received_at == datetime(2025, 3, 10, 9, 31, 2, tzinfo=SHANGHAI)
    assert (accepted.status, accepted.trade_no, accepted.payment, accepted.paid_at) == (
        ProviderOrderStatus.PAID,
        TRADE_NO,
        payment,
        now,
    )
    assert _balance(portal_pay_world) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert (
        open_items(customer_account_id=portal_pay_world.account.pk, codes=[ChartCode.RECEIVABLE_ENERGY]) == []
    )
    event = AuditEvent.objects.get(action="payments.provider_order_paid")
    assert event.changes == {
        "out_trade_no": order.out_trade_no,
        "trade_no": TRADE_NO,
        "receipt_no": payment.receipt_no,
        "amount": "97.66",
        "notify_id": "notify-1",
        "was_closed": False,
    }


def test_a_replayed_or_duplicated_notification_posts_nothing_more(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    message = notification(order.out_trade_no, "97.66")
    accept_provider_notification(parameters=message, now=now)
    entries = JournalEntry.objects.count()

    again = accept_provider_notification(parameters=message, now=now)
    resent = accept_provider_notification(
        parameters=notification(order.out_trade_no, "97.66", notify_id="n-2"), now=now
    )

    assert (again.status, resent.status) == (ProviderOrderStatus.PAID, ProviderOrderStatus.PAID)
    assert Payment.objects.count() == 1
    assert JournalEntry.objects.count() == entries
    assert AuditEvent.objects.filter(action="payments.provider_order_paid").count() == 1
    assert _balance(portal_pay_world) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_bad_signature_is_refused_audited_and_posts_nothing(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    entries = JournalEntry.objects.count()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tampered = {**notification(order.out_trade_no, "0.01"), "total_amount": "97.66"}

    for message in (notification(order.out_trade_no, "97.66", key=forger), tampered):
        with pytest.raises(ProviderNotificationRefused) as refused:
            accept_provider_notification(parameters=message, now=now)
        assert refused.value.reason == "bad_signature"

    _nothing_posted(portal_pay_world, order, entries)
    assert _refusals() == [(order.out_trade_no, "bad_signature", order.org_unit_id)] * 2
    event = AuditEvent.objects.filter(action="payments.provider_notification_refused").first()
    assert event is not None
    assert event.changes == {
        "reason": "bad_signature",
        "app_id": "2026112900000001",
        "trade_no": TRADE_NO,
        "total_amount": "97.66",
        "trade_status": "TRADE_SUCCESS",
        "notify_id": "notify-1",
    }


def test_another_app_id_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    entries = JournalEntry.objects.count()

    with pytest.raises(ProviderNotificationRefused) as refused:
        accept_provider_notification(
            parameters=notification(order.out_trade_no, "97.66", app_id="2026000000000999"), now=now
        )

    assert refused.value.reason == "wrong_app_id"
    _nothing_posted(portal_pay_world, order, entries)
    assert _refusals() == [(order.out_trade_no, "wrong_app_id", order.org_unit_id)]


def test_another_amount_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    entries = JournalEntry.objects.count()

    for amount in ("97.65", "976.60", "abc"):
        with pytest.raises(ProviderNotificationRefused) as refused:
            accept_provider_notification(parameters=notification(order.out_trade_no, amount), now=now)
        assert refused.value.reason == "amount_mismatch"

    _nothing_posted(portal_pay_world, order, entries)
    assert _refusals() == [(order.out_trade_no, "amount_mismatch", order.org_unit_id)] * 3


def test_an_unknown_order_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    with pytest.raises(ProviderNotificationRefused) as refused:
        accept_provider_notification(parameters=notification("GC209901010000000001", "97.66"), now=now)

    assert refused.value.reason == "unknown_order"
    assert Payment.objects.count() == 0
    assert _refusals() == [("GC209901010000000001", "unknown_order", None)]


def test_a_closed_trade_closes_the_order_and_a_late_paid_trade_is_still_recorded(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify, provider_key: rsa.RSAPrivateKey
) -> None:
    order = _order(portal_pay_world, now)
    closed = signed(
        {
            "app_id": "2026112900000001",
            "out_trade_no": order.out_trade_no,
            "total_amount": "97.66",
            "trade_status": "TRADE_CLOSED",
        },
        private_key=provider_key,
    )

    assert accept_provider_notification(parameters=closed, now=now).status == ProviderOrderStatus.CLOSED
    assert Payment.objects.count() == 0
    paid = accept_provider_notification(parameters=notification(order.out_trade_no, "97.66"), now=now)

    assert (paid.status, paid.closed_at, Payment.objects.get().amount) == (
        ProviderOrderStatus.PAID,
        now,
        Decimal("97.66"),
    )
    assert AuditEvent.objects.get(action="payments.provider_order_paid").changes["was_closed"] is True
    # A "closed" arriving after the payment changes nothing.
    assert accept_provider_notification(parameters=closed, now=now).status == ProviderOrderStatus.PAID
    assert AuditEvent.objects.filter(action="payments.provider_order_closed").count() == 1


def test_another_trade_for_a_paid_order_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    accept_provider_notification(parameters=notification(order.out_trade_no, "97.66"), now=now)

    with pytest.raises(ProviderNotificationRefused) as refused:
        accept_provider_notification(
            parameters=notification(order.out_trade_no, "97.66", trade_no="20250310SBX0000000000002"), now=now
        )

    assert refused.value.reason == "trade_no_conflict"
    assert Payment.objects.count() == 1
    assert ProviderOrder.objects.get().trade_no == TRADE_NO


def test_a_top_up_becomes_prepaid_balance(
    portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    second = portal_pay_world.ledger.second
    order = _order(
        portal_pay_world, now, Decimal("50.00"), account=second, purpose=ProviderOrderPurpose.TOP_UP
    )

    accept_provider_notification(parameters=notification(order.out_trade_no, "50.00"), now=now)

    row = AccountBalance.objects.get(customer_account=second)
    assert (row.energy_owed, row.late_fees_owed, row.prepaid) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("50.00"),
    )
    assert (
        open_items(customer_account_id=portal_pay_world.account.pk, codes=[ChartCode.RECEIVABLE_ENERGY])[
            0
        ].item
        == BILL_ITEM
    )


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need a database other connections can open"
)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_ten_copies_of_a_notification_at_once_post_once(
    ledger_chart: None, portal_pay_world: PortalPayWorld, now: datetime, notification: Notify
) -> None:
    order = _order(portal_pay_world, now)
    message = notification(order.out_trade_no, "97.66")
    start, statuses, errors = threading.Barrier(10), [], []

    def deliver() -> None:
        try:
            start.wait(30)
            statuses.append(accept_provider_notification(parameters=message, now=now).status)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert statuses == [ProviderOrderStatus.PAID] * 10
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action="payments.provider_order_paid").count() == 1
    assert _balance(portal_pay_world) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert check_ledger().passed
