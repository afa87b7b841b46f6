"""A 收费员 at the counter in Chromium (issue 6 acceptance): opens a shift with a float of
200.00, finds 张三's account by his mobile, sees the issued bill of 97.66 (due in 15 days, so no
late fee accrues whatever day the test runs), takes it in cash with 100.00 tendered (2.34
change), sees the receipt, and closes the shift with the counted 297.66: balanced."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect
from web_world import ACCOUNT_A1, MOBILE_ZHANG, World, make_staff_user

from gridcare.billing.models import Bill, BillStatus
from gridcare.billing.receivables import post_issued_bills
from gridcare.identity.models import Role, User
from gridcare.payments.models import CashierShift, Payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _issued_bill(world: World) -> Bill:
    """张三's bill of 97.66 for last month, issued and posted to the ledger, due in 15 days."""
    today = timezone.localdate()
    period_end = today.replace(day=1)
    bill = Bill.objects.create(
        org_unit=world.station_a,
        account=world.account_a1,
        status=BillStatus.ISSUED,
        number="2099010000001",
        period_start=(period_end - timedelta(days=1)).replace(day=1),
        period_end=period_end,
        tariff_code="CN-BJ-RES-2012",
        energy_kwh=Decimal("200.000"),
        total=Decimal("97.66"),
        calculated_at=timezone.now(),
        issued_at=timezone.now(),
        due_date=today + timedelta(days=15),
    )
    post_issued_bills(bills=[bill], actor=None, now=timezone.now())
    return bill


def _logged_in(page: Page, base: str, user: User, log_in: Callable[[Client, Any], Client]) -> None:
    """The browser carries a session made as the tests' ``log_in`` makes it (MFA verified)."""
    client = log_in(Client(), user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def test_a_cashier_takes_a_counter_payment_and_closes_the_shift_balanced(
    page: Page,
    live_server: object,
    browser_world: World,
    log_in: Callable[[Client, Any], Client],
    screenshot: Callable[[str], None],
) -> None:
    cashier = make_staff_user(
        username="cashier_a", org_unit=browser_world.station_a, roles=(Role.CASHIER,), display_name="王收费"
    )
    bill = _issued_bill(browser_world)
    base = str(live_server)
    _logged_in(page, base, cashier, log_in)

    page.goto(f"{base}/cashier/")
    page.fill("[data-open-shift-form] input[name=opening_float]", "200.00")
    page.click("[data-open-shift-form] button[type=submit]")
    shift = CashierShift.objects.get(cashier=cashier)
    expect(page.locator("[data-shift-panel]")).to_have_attribute("data-shift", shift.number)
    expect(page.locator("[data-total=float]")).to_have_text("200.00")
    expect(page.locator("[data-total=expected]")).to_have_text("200.00")

    page.fill("[data-cashier-search] input[name=q]", MOBILE_ZHANG)
    page.click("[data-cashier-search] button[type=submit]")
    found = page.locator(f"tr[data-found='{ACCOUNT_A1}']")
    expect(found).to_have_count(1)
    expect(found.locator("td").nth(1)).to_have_text("张*")
    found.locator("a").click()
    expect(page.locator("[data-account]")).to_have_attribute("data-account", ACCOUNT_A1)
    bill_row = page.locator(f"tr[data-owed-item='billing.bill:{bill.pk}']")
    expect(bill_row.locator("[data-open-amount]")).to_have_text("97.66")
    expect(bill_row.locator("[data-overdue-days]")).to_have_text("0")
    expect(bill_row.locator("[data-late-fee]")).to_have_text("0.00")
    expect(page.locator("[data-owed=total]")).to_have_text("97.66")
    expect(page.locator("[data-payment-form] input[name=amount]")).to_have_value("97.66")
    screenshot("60-cashier-account")

    page.fill("[data-payment-form] input[name=tendered]", "100.00")
    page.click("[data-payment-form] button[type=submit]")
    payment = Payment.objects.get(account=browser_world.account_a1)
    expect(page).to_have_url(f"{base}/payments/{payment.receipt_no}/")
    expect(page.locator("[data-receipt-no]")).to_have_text(payment.receipt_no)
    expect(page.locator("[data-account-no]")).to_have_text(ACCOUNT_A1)
    expect(page.locator("[data-amount]")).to_have_text("97.66")
    expect(page.locator("[data-amount-capitals]")).to_have_text("玖拾柒元陆角陆分")
    expect(page.locator("[data-tendered]")).to_have_text("100.00")
    expect(page.locator("[data-change]")).to_have_text("2.34")
    expect(page.locator("[data-customer-name]")).to_have_text("张*")
    expect(page.locator("[data-print]")).to_be_visible()
    expect(page.locator("a[data-download=pdf]")).to_have_attribute(
        "href", f"/payments/{payment.receipt_no}/receipt.pdf"
    )
    screenshot("61-cashier-receipt")

    page.goto(f"{base}/cashier/")
    expect(page.locator("[data-total=cash]")).to_have_text("97.66")
    expect(page.locator("[data-total=expected]")).to_have_text("297.66")
    page.fill("[data-close-shift-form] input[name=counted_cash]", "297.66")
    page.click("[data-close-shift-form] button[type=submit]")
    result = page.locator(f"[data-last-shift='{shift.number}']")
    expect(result).to_have_attribute("data-balanced", "yes")
    expect(result).to_contain_text("297.66")
    screenshot("62-cashier-shift-closed")
    shift.refresh_from_db()
    assert (shift.status, shift.expected_cash, shift.counted_cash, shift.difference) == (
        "closed",
        Decimal("297.66"),
        Decimal("297.66"),
        Decimal("0.00"),
    )
    assert (payment.channel, payment.amount) == ("counter_cash", Decimal("97.66"))
