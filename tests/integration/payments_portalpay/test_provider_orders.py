"""Payment orders: a portal customer creates one for their own account only (another's is
refused and audited, nothing created), for an amount from a fen to the ceiling; the signed
request sends the browser to the provider."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from portalpay_world import PortalPayWorld

from gridcare.audit.models import AuditEvent
from gridcare.payments.errors import NothingToPay, ProviderOrderAccountNotOwned, ProviderOrderAmountInvalid
from gridcare.payments.models import ProviderOrder, ProviderOrderPurpose, ProviderOrderStatus
from gridcare.payments.provider import create_provider_order, payment_request, provider_config
from gridcare.payments.provider_protocol import (
    canonical_string,
    load_public_key,
    public_key_file,
    signature_is_valid,
)

pytestmark = pytest.mark.django_db


def _order(world: PortalPayWorld, now: datetime, amount: str, **others: object) -> ProviderOrder:
    return create_provider_order(
        actor=world.portal_user,
        account=others.pop("account", world.account),  # type: ignore[arg-type]
        amount=Decimal(amount),
        purpose=others.pop("purpose", ProviderOrderPurpose.PAY_BILLS),  # type: ignore[arg-type]
        now=now,
    )


def test_a_customer_creates_an_order_for_an_own_account(
    portal_pay_world: PortalPayWorld, now: datetime
) -> None:
    order = _order(portal_pay_world, now, "97.66")

    stored = ProviderOrder.objects.get()
    assert (stored.out_trade_no, stored.account, stored.amount, stored.purpose, stored.status) == (
        "GC202503100000000001",
        portal_pay_world.account,
        Decimal("97.66"),
        ProviderOrderPurpose.PAY_BILLS,
        ProviderOrderStatus.CREATED,
    )
    assert (stored.trade_no, stored.payment, stored.created_by, stored.created_at) == (
        "",
        None,
        portal_pay_world.portal_user,
        now,
    )
    event = AuditEvent.objects.get(action="payments.provider_order_created")
    assert (event.actor, event.object_id, event.org_unit_id) == (
        portal_pay_world.portal_user,
        str(order.pk),
        portal_pay_world.account.org_unit_id,
    )
    assert event.changes == {
        "out_trade_no": "GC202503100000000001",
        "account_no": portal_pay_world.account.account_no,
        "amount": "97.66",
        "purpose": "pay_bills",
    }


def test_an_order_for_another_customers_account_is_refused_and_audited(
    portal_pay_world: PortalPayWorld, now: datetime
) -> None:
    with pytest.raises(ProviderOrderAccountNotOwned) as refused:
        _order(portal_pay_world, now, "10.00", account=portal_pay_world.other_account)

    assert (
        refused.value.message("zh-hans")
        == f"户号 {portal_pay_world.other_account.account_no} 不是您绑定的户号。"
    )
    assert ProviderOrder.objects.count() == 0
    denial = AuditEvent.objects.get(action="deny_permission")
    assert (denial.actor, denial.object_id) == (portal_pay_world.portal_user, "portal.account_holder")
    assert denial.changes == {
        "operation": "create_provider_order",
        "permission": "portal.account_holder",
        "reason": "provider_order_account_not_owned",
    }


@pytest.mark.parametrize("amount", ["0.00", "-1.00", "0.001", "50000.01"])
def test_an_amount_outside_a_fen_to_the_ceiling_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime, amount: str
) -> None:
    with pytest.raises(ProviderOrderAmountInvalid) as refused:
        _order(portal_pay_world, now, amount, purpose=ProviderOrderPurpose.TOP_UP)

    assert refused.value.message("en") == (
        '"amount": the amount to pay must be between 0.01 and 50000.00 yuan, in whole fen.'
    )
    assert ProviderOrder.objects.count() == 0


def test_the_ceiling_itself_and_a_fen_are_accepted(portal_pay_world: PortalPayWorld, now: datetime) -> None:
    for amount in ("0.01", "50000.00"):
        _order(portal_pay_world, now, amount, purpose=ProviderOrderPurpose.TOP_UP)

    assert sorted(ProviderOrder.objects.values_list("amount", flat=True)) == [
        Decimal("0.01"),
        Decimal("50000.00"),
    ]


def test_paying_bills_when_nothing_is_owed_is_refused(
    portal_pay_world: PortalPayWorld, now: datetime
) -> None:
    with pytest.raises(NothingToPay):
        _order(portal_pay_world, now, "0.00", account=portal_pay_world.ledger.second)

    assert ProviderOrder.objects.count() == 0


def test_the_payment_request_is_signed_with_our_key(portal_pay_world: PortalPayWorld, now: datetime) -> None:
    order = _order(portal_pay_world, now, "97.66")
    config = provider_config()

    request = payment_request(
        order=order,
        config=config,
        notify_url="http://127.0.0.1:8000/payments/callbacks/provider/",
        return_url="http://127.0.0.1:8000/portal/payments/return/",
        now=now,
    )

    account_no = portal_pay_world.account.account_no
    assert json.loads(request["biz_content"]) == {
        "out_trade_no": "GC202503100000000001",
        "total_amount": "97.66",
        "subject": f"电费缴纳 户号{account_no}",
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    assert canonical_string(request) == (
        "app_id=2026112900000001"
        f'&biz_content={{"out_trade_no":"GC202503100000000001","product_code":"FAST_INSTANT_TRADE_PAY",'
        f'"subject":"电费缴纳 户号{account_no}","total_amount":"97.66"}}'
        "&charset=utf-8&method=trade.page.pay"
        "&notify_url=http://127.0.0.1:8000/payments/callbacks/provider/"
        "&return_url=http://127.0.0.1:8000/portal/payments/return/"
        "&timestamp=2025-03-10 09:30:00&version=1.0"
    )
    our_public_key = load_public_key(
        public_key_file(Path(str(settings.PAYMENT_PROVIDER["PRIVATE_KEY_FILE"])))
    )
    assert signature_is_valid(request, public_key=our_public_key) is True
    assert signature_is_valid(request, public_key=config.provider_public_key) is False
