"""Portal journeys in Chromium: a customer logs in with a text-message code, and a new customer
registers, binds an account and sees it. The "send me a code" button is a plain form post."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from web_world import ACCOUNT_A1, ACCOUNT_B1, ID_NUMBER_LI, World

from gridcare.notifications.events import ONE_TIME_CODE_EVENT
from gridcare.notifications.models import OutboxMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHANG_MOBILE = "13812345678"
NEW_MOBILE = "13900001111"


def latest_code(mobile: str) -> str:
    body = (
        OutboxMessage.objects.filter(event=ONE_TIME_CODE_EVENT, address=mobile)
        .latest("created_at", "id")
        .body
    )
    match = re.search(r"\b[0-9]{6}\b", body)
    assert match is not None
    return match.group(0)


def test_customer_logs_in_with_a_text_message_code(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    browser_world.portal_user.mobile = ZHANG_MOBILE
    browser_world.portal_user.save()
    base = str(live_server)
    page.goto(f"{base}/portal/login/")

    page.click(".portal-tabs a[href='/portal/login/code/']")
    expect(page).to_have_url(f"{base}/portal/login/code/")
    page.fill("input[name=mobile]", ZHANG_MOBILE)
    page.click("button[value=send_code]")
    expect(page.locator(".flash")).to_contain_text("138****5678")
    expect(page.locator("input[name=mobile]")).to_have_value(ZHANG_MOBILE)
    screenshot("09-portal-code-sent")
    page.fill("input[name=code]", latest_code(ZHANG_MOBILE))
    page.press("input[name=code]", "Enter")

    expect(page).to_have_url(f"{base}/portal/")
    expect(page.locator(".account-card__no strong")).to_have_text(ACCOUNT_A1)


def test_new_customer_registers_and_binds_an_account(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)
    page.goto(f"{base}/portal/login/")
    page.click("a[href='/portal/register/']")

    expect(page).to_have_url(f"{base}/portal/register/")
    page.fill("input[name=mobile]", NEW_MOBILE)
    page.click("button[value=send_code]")
    page.fill("input[name=code]", latest_code(NEW_MOBILE))
    page.fill("input[name=password1]", "Spring-Water-2025")
    page.fill("input[name=password2]", "Spring-Water-2025")
    page.click("button[value=register]")

    expect(page).to_have_url(f"{base}/portal/accounts/bind/")
    page.fill("input[name=account_no]", ACCOUNT_B1)
    page.fill("input[name=proof]", ID_NUMBER_LI[-6:])
    screenshot("10-portal-bind")
    page.click("form.bind-form button[type=submit]")

    expect(page).to_have_url(f"{base}/portal/")
    expect(page.locator(".account-card__no strong")).to_have_text(ACCOUNT_B1)
    page.click(f"a[href='/portal/accounts/{ACCOUNT_B1}/']")
    expect(page.locator("h1")).to_contain_text(ACCOUNT_B1)
    screenshot("11-portal-account")
