"""The acceptance journey of provider payments in Chromium: 张三 logs in to the portal, opens
his account's balance (bill 0000000001 of 97.66, issued today and due in 15 days, so no late
fee accrues), pays it through the demo's sandbox provider — whose notification reaches our
callback as a real HTTP request to the live server — and sees the balance drop to 0.00."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from web_world import ACCOUNT_A1, PASSWORD, World

from gridcare.kit.clock import local_date
from gridcare.ledger.models import AccountBalance
from gridcare.payments.models import Payment, PaymentChannel, ProviderOrder, ProviderOrderStatus

# The bill helper is shared with the portal payment HTTP tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "portal_payments"))

from portalpay_bills import BILL_NUMBER, issue_bill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billed_world(browser_world: World) -> World:
    now = timezone.now()
    issue_bill(
        account=browser_world.account_a1,
        clerk=browser_world.station_a_user,
        number=BILL_NUMBER,
        amount="97.66",
        due_date=local_date(now) + timedelta(days=15),
        now=now,
    )
    return browser_world


def test_customer_pays_a_bill_through_the_sandbox_provider_and_sees_the_balance_drop(
    page: Page, live_server: object, billed_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)
    page.goto(f"{base}/portal/login/")
    page.fill("input[name=username]", billed_world.portal_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    expect(page).to_have_url(f"{base}/portal/")

    page.click(f"a[href='/portal/accounts/{ACCOUNT_A1}/balance/']")
    expect(page.locator("[data-amount-due]")).to_have_text("¥97.66")
    expect(page.locator("[data-prepaid]")).to_have_text("¥0.00")
    expect(page.locator(f"a[href='/portal/bills/{BILL_NUMBER}/']")).to_have_text(BILL_NUMBER)
    screenshot("40-portal-balance-before")

    page.click("form.pay-form button[type=submit]")
    expect(page.locator("[data-merchant]")).to_have_text("国网示范供电公司")
    expect(page.locator("[data-amount]")).to_have_text("¥97.66")
    screenshot("41-sandbox-provider")
    page.click("button[value=pay]")

    # Back from the provider: the page refreshes itself until the notification has paid the order.
    expect(page.locator("[data-order-status]")).to_have_attribute("data-order-status", "paid", timeout=20_000)
    screenshot("42-portal-payment-paid")
    page.click(f"a[href='/portal/accounts/{ACCOUNT_A1}/balance/']")
    expect(page.locator("[data-amount-due]")).to_have_text("¥0.00")
    expect(page.locator("[data-prepaid]")).to_have_text("¥0.00")
    screenshot("43-portal-balance-after")

    payment = Payment.objects.get()
    assert (payment.account_id, payment.amount, payment.channel) == (
        billed_world.account_a1.pk,
        Decimal("97.66"),
        PaymentChannel.PROVIDER,
    )
    assert ProviderOrder.objects.get().status == ProviderOrderStatus.PAID
    balance = AccountBalance.objects.get(customer_account=billed_world.account_a1)
    assert (balance.energy_owed, balance.late_fees_owed, balance.prepaid) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    expect(page.locator(f"tr[data-receipt='{payment.receipt_no}'] [data-amount]")).to_have_text("97.66")
