"""The portal's payment pages over HTTP: the balance (bill 0000000001 of 97.66 owed), "Pay" and
"Top up" sending the browser to the sandbox provider with a request signed by our key, the
sandbox's payment page, the page the provider sends the customer back to, the payment history,
and the provider's notification callback answering "success" / "failure"."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import Client
from django.utils import timezone
from portalpay_bills import BILL_NUMBER, issue_bill
from pytest_django.fixtures import Settings
from web_world import ACCOUNT_A1, ACCOUNT_B1, World

from gridcare.audit.models import AuditEvent
from gridcare.billing.models import Bill
from gridcare.customers.models import Account
from gridcare.kit.clock import local_date
from gridcare.ledger.models import AccountBalance
from gridcare.payments.models import (
    Payment,
    PaymentChannel,
    ProviderOrder,
    ProviderOrderPurpose,
    ProviderOrderStatus,
)
from gridcare.payments.operations import record_payment
from gridcare.payments.prepaid import start_prepaid
from gridcare.payments.provider import provider_time
from gridcare.payments.provider_protocol import load_public_key, public_key_file, signature_is_valid, signed

pytestmark = pytest.mark.django_db

CALLBACK = "/payments/callbacks/provider/"


def _portal(client: Client, world: World) -> Client:
    client.force_login(world.portal_user)
    return client


def _gateway_parameters(response: object) -> dict[str, str]:
    location = response["Location"]  # type: ignore[index]
    parts = urlsplit(location)
    assert parts.path == "/sandbox-pay/gateway/"
    return dict(parse_qsl(parts.query, keep_blank_values=True))


def _our_public_key() -> rsa.RSAPublicKey:
    return load_public_key(public_key_file(Path(str(settings.PAYMENT_PROVIDER["PRIVATE_KEY_FILE"]))))


def _notification(key: rsa.RSAPrivateKey, order: ProviderOrder, **others: str) -> dict[str, str]:
    return signed(
        {
            "app_id": "2026112900000001",
            "out_trade_no": order.out_trade_no,
            "trade_no": "SBX-1",
            "total_amount": f"{order.amount:.2f}",
            "trade_status": "TRADE_SUCCESS",
            "gmt_payment": provider_time(timezone.now()),
            "notify_id": "n-1",
            **others,
        },
        private_key=key,
    )


def test_the_balance_shows_what_is_owed_bill_by_bill(client: Client, pay_world: World, bill: Bill) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _portal(client, pay_world).get(f"/portal/accounts/{ACCOUNT_A1}/balance/")

    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r"data-amount-due><strong>¥97.66<", body)
    assert "data-prepaid>¥0.00<" in body
    assert f'<a href="/portal/bills/{BILL_NUMBER}/">{BILL_NUMBER}</a>' in body
    assert "data-open-amount>97.66<" in body
    assert bill.due_date is not None
    assert bill.due_date.isoformat() in body
    assert "Pay ¥97.66" in body


def test_an_overdue_bill_shows_its_late_fee_to_the_day_and_pay_clears_it(
    client: Client, pay_world: World, provider_key: rsa.RSAPrivateKey
) -> None:
    # Due 10 days ago: residential 1‰ a day for the 10 overdue days through today on 97.66 is
    # 0.9766, 0.98 to the fen; 98.64 pays everything today.
    today = local_date(timezone.now())
    issue_bill(
        account=pay_world.account_a1,
        clerk=pay_world.station_a_user,
        number=BILL_NUMBER,
        amount="97.66",
        due_date=today - timedelta(days=10),
        now=timezone.now() - timedelta(days=25),
    )
    portal = _portal(client, pay_world)

    body = portal.get(f"/portal/accounts/{ACCOUNT_A1}/balance/").content.decode()
    assert "data-amount-due><strong>¥98.64<" in body
    assert "data-late-fees-accruing>¥0.98<" in body
    assert re.search(
        r"data-open-amount>97.66</td>\s*<td class=\"num\">10</td>\s*<td class=\"num\">0.98</td>", body
    )

    portal.post(f"/portal/accounts/{ACCOUNT_A1}/pay/")
    order = ProviderOrder.objects.get()
    assert order.amount == Decimal("98.64")
    assert Client().post(CALLBACK, _notification(provider_key, order)).content == b"success"
    balance = AccountBalance.objects.get(customer_account=pay_world.account_a1)
    assert (balance.energy_owed, balance.late_fees_owed, balance.prepaid) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (
        "data-amount-due><strong>¥0.00<"
        in portal.get(f"/portal/accounts/{ACCOUNT_A1}/balance/").content.decode()
    )


def test_another_customers_account_is_not_found(client: Client, pay_world: World) -> None:
    portal = _portal(client, pay_world)

    for path in ("balance/", "top-up/"):
        assert portal.get(f"/portal/accounts/{ACCOUNT_B1}/{path}").status_code == 404
    assert portal.post(f"/portal/accounts/{ACCOUNT_B1}/pay/").status_code == 404
    assert ProviderOrder.objects.count() == 0


def test_pay_sends_the_customer_to_the_sandbox_with_a_signed_request(
    client: Client, pay_world: World, bill: Bill
) -> None:
    response = _portal(client, pay_world).post(f"/portal/accounts/{ACCOUNT_A1}/pay/")

    assert response.status_code == 302
    parameters = _gateway_parameters(response)
    order = ProviderOrder.objects.get()
    assert (order.account, order.amount, order.purpose, order.status) == (
        pay_world.account_a1,
        Decimal("97.66"),
        ProviderOrderPurpose.PAY_BILLS,
        ProviderOrderStatus.CREATED,
    )
    assert signature_is_valid(parameters, public_key=_our_public_key()) is True
    assert json.loads(parameters["biz_content"])["out_trade_no"] == order.out_trade_no
    assert parameters["notify_url"] == f"http://testserver{CALLBACK}"
    assert parameters["return_url"] == "http://testserver/portal/payments/return/"

    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "data-merchant>国网示范供电公司<" in body
    assert "data-amount>¥97.66<" in body
    assert f"data-order>{order.out_trade_no}<" in body


def test_paying_with_nothing_owed_says_so(client: Client, pay_world: World) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _portal(client, pay_world).post(f"/portal/accounts/{ACCOUNT_A1}/pay/", follow=True)

    assert response.redirect_chain == [(f"/portal/accounts/{ACCOUNT_A1}/balance/", 302)]
    assert f"Account {ACCOUNT_A1} owes nothing at the moment." in response.content.decode()
    assert ProviderOrder.objects.count() == 0


def test_top_up_refuses_a_bad_amount_and_sends_a_good_one_to_the_provider(
    client: Client, pay_world: World
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    portal = _portal(client, pay_world)
    path = f"/portal/accounts/{ACCOUNT_A1}/top-up/"

    assert portal.get(path).status_code == 200
    refused = portal.post(path, {"amount": "0"})
    assert refused.status_code == 200
    assert "the amount to pay must be between 0.01 and 50000.00 yuan" in refused.content.decode()
    assert portal.post(path, {"amount": "12.345"}).status_code == 200
    assert ProviderOrder.objects.count() == 0

    sent = portal.post(path, {"amount": "¥200"})
    assert sent.status_code == 302
    order = ProviderOrder.objects.get()
    assert (order.amount, order.purpose) == (Decimal("200.00"), ProviderOrderPurpose.TOP_UP)
    assert json.loads(_gateway_parameters(sent)["biz_content"])["total_amount"] == "200.00"


def test_the_sandbox_refuses_a_request_not_signed_by_us(client: Client, pay_world: World, bill: Bill) -> None:
    parameters = _gateway_parameters(_portal(client, pay_world).post(f"/portal/accounts/{ACCOUNT_A1}/pay/"))

    tampered = {**parameters, "notify_url": "http://attacker.example/notify"}
    assert client.get("/sandbox-pay/gateway/", tampered).status_code == 400
    assert client.post("/sandbox-pay/gateway/", {**tampered, "action": "pay"}).status_code == 400


def test_the_sandbox_is_not_there_when_switched_off(
    client: Client, pay_world: World, settings: Settings
) -> None:
    settings.GRIDCARE_PAYMENT_SANDBOX = False

    assert client.get("/sandbox-pay/").status_code == 404
    assert client.get("/sandbox-pay/gateway/").status_code == 404


def test_the_callback_answers_success_once_posted_and_again_for_a_replay(
    client: Client, pay_world: World, bill: Bill, provider_key: rsa.RSAPrivateKey
) -> None:
    _portal(client, pay_world).post(f"/portal/accounts/{ACCOUNT_A1}/pay/")
    order = ProviderOrder.objects.get()
    message = _notification(provider_key, order)
    provider = Client()

    first = provider.post(CALLBACK, message)
    again = provider.post(CALLBACK, message)

    assert (first.status_code, first.content, first["Content-Type"]) == (200, b"success", "text/plain")
    assert (again.status_code, again.content) == (200, b"success")
    payment = Payment.objects.get()
    assert (payment.amount, payment.idempotency_key) == (Decimal("97.66"), "provider:SBX-1")
    balance = AccountBalance.objects.get(customer_account=pay_world.account_a1)
    assert (balance.energy_owed, balance.prepaid) == (Decimal("0.00"), Decimal("0.00"))
    assert ProviderOrder.objects.get().status == ProviderOrderStatus.PAID


def test_the_callback_refuses_a_bad_signature_with_failure(
    client: Client, pay_world: World, bill: Bill, provider_key: rsa.RSAPrivateKey
) -> None:
    _portal(client, pay_world).post(f"/portal/accounts/{ACCOUNT_A1}/pay/")
    order = ProviderOrder.objects.get()
    forged = {**_notification(provider_key, order), "total_amount": "0.01"}

    response = Client().post(CALLBACK, forged)

    assert (response.status_code, response.content) == (400, b"failure")
    assert Payment.objects.count() == 0
    assert ProviderOrder.objects.get().status == ProviderOrderStatus.CREATED
    event = AuditEvent.objects.get(action="payments.provider_notification_refused")
    assert (event.object_id, event.changes["reason"], event.changes["total_amount"]) == (
        order.out_trade_no,
        "bad_signature",
        "0.01",
    )
    assert Client().get(CALLBACK).status_code == 405


def test_the_return_page_shows_the_order_only_with_the_providers_signature(
    client: Client, pay_world: World, bill: Bill, provider_key: rsa.RSAPrivateKey
) -> None:
    portal = _portal(client, pay_world)
    portal.post(f"/portal/accounts/{ACCOUNT_A1}/pay/")
    order = ProviderOrder.objects.get()
    back = signed(
        {"app_id": "2026112900000001", "out_trade_no": order.out_trade_no, "total_amount": "97.66"},
        private_key=provider_key,
    )

    shown = portal.get("/portal/payments/return/", back)
    assert shown.status_code == 200
    assert 'data-order-status="created"' in shown.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in shown.content.decode()
    assert portal.get("/portal/payments/return/", {**back, "total_amount": "1.00"}).status_code == 400
    Client().post(CALLBACK, _notification(provider_key, order))
    paid = portal.get("/portal/payments/return/", back).content.decode()
    assert 'data-order-status="paid"' in paid
    assert Payment.objects.get().receipt_no in paid


def test_the_payment_history_lists_the_customers_payments(
    client: Client, pay_world: World, bill: Bill, provider_key: rsa.RSAPrivateKey
) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    portal = _portal(client, pay_world)
    portal.post(f"/portal/accounts/{ACCOUNT_A1}/pay/")
    Client().post(CALLBACK, _notification(provider_key, ProviderOrder.objects.get()))
    payment = Payment.objects.get()

    body = portal.get("/portal/payments/").content.decode()

    assert f'data-receipt="{payment.receipt_no}"' in body
    assert "data-amount>97.66<" in body
    assert "<td>Payment provider</td>" in body


def test_without_a_provider_pay_says_so_and_makes_no_order(
    client: Client, pay_world: World, bill: Bill, settings: Settings
) -> None:
    settings.PAYMENT_PROVIDER = {
        **settings.PAYMENT_PROVIDER,
        "SANDBOX": False,
        "APP_ID": "",
        "GATEWAY_URL": "",
        "PRIVATE_KEY_FILE": "",
        "PROVIDER_PUBLIC_KEY_FILE": "",
    }
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    portal = _portal(client, pay_world)

    paid = portal.post(f"/portal/accounts/{ACCOUNT_A1}/pay/", follow=True)
    topped = portal.post(f"/portal/accounts/{ACCOUNT_A1}/top-up/", {"amount": "10.00"})

    for response in (paid, topped):
        assert (
            "Online payment is not available (no payment provider is configured)" in response.content.decode()
        )
    assert ProviderOrder.objects.count() == 0
    assert Client().post(CALLBACK, {"out_trade_no": "GC1"}).status_code == 404


def test_a_prepaid_account_shows_its_available_balance(client: Client, pay_world: World) -> None:
    # 远程费控: a prepaid account of the customer with nothing owed; a top-up of 30.00 shows as
    # its prepaid balance and, with no usage estimated yet, its available balance.
    account = Account.objects.get(account_no=ACCOUNT_A1)
    start_prepaid(actor=None, account=account, now=timezone.now())
    record_payment(
        actor=None,
        account=account,
        amount=Decimal("30.00"),
        channel=PaymentChannel.PROVIDER,
        idempotency_key="SBX-TOPUP-1",
        received_at=timezone.now(),
        now=timezone.now(),
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _portal(client, pay_world).get(f"/portal/accounts/{ACCOUNT_A1}/balance/").content.decode()
    assert "data-prepaid>¥30.00<" in body
    assert "data-prepaid-estimate>¥0.00<" in body
    assert "data-prepaid-available><strong>¥30.00<" in body
    assert "data-prepaid-to-reconnect" not in body


def test_a_postpaid_account_shows_no_prepaid_figures(client: Client, pay_world: World, bill: Bill) -> None:
    body = _portal(client, pay_world).get(f"/portal/accounts/{ACCOUNT_A1}/balance/").content.decode()
    assert "data-prepaid-available" not in body
