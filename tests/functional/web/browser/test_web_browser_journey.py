"""Journeys through the real pages in Chromium: a staff member finds an account, a customer
opens the portal, and both switch language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from web_world import ACCOUNT_A1, ACCOUNT_A2, PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, *, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")


def switch_language(page: Page, code: str) -> None:
    with page.expect_navigation():
        page.click(f"form.language-switch button[value={code}]")


def test_staff_finds_an_account_and_switches_language(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)  # e.g. http://localhost:41234
    page.goto(f"{base}/")

    expect(page).to_have_url(f"{base}/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot("01-staff-login")
    log_in(page, username="reader_a")

    expect(page).to_have_url(f"{base}/")
    expect(page.locator("[data-stat=accounts]")).to_have_text("2")
    expect(page.locator("[data-stat=reads]")).to_have_text("14")
    # The stylesheet and htmx come from the server itself, not a CDN.
    assert page.evaluate("typeof window.htmx") == "object"
    expect(page.locator(".topbar")).to_have_css("background-color", "rgb(0, 79, 75)")
    screenshot("02-home")

    page.fill("input[name=q]", "张三")
    page.press("input[name=q]", "Enter")
    expect(page.locator(".data-table tbody tr")).to_have_count(1)
    screenshot("03-account-search")

    page.click(f"a[href='/accounts/{ACCOUNT_A1}/']")
    expect(page).to_have_url(f"{base}/accounts/{ACCOUNT_A1}/")
    expect(page.locator("h1")).to_contain_text(ACCOUNT_A1)
    expect(page.locator("tr[data-read]")).to_have_count(12)
    expect(page.locator("dd[data-masked]")).to_have_text("110***********1235")
    screenshot("04-account-page")

    switch_language(page, "en")
    expect(page).to_have_url(f"{base}/accounts/{ACCOUNT_A1}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("form.language-switch button[value=en]")).to_be_disabled()
    screenshot("05-account-page-english")

    switch_language(page, "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_staff_opens_a_key_account_with_a_ct_pt_metering_point(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)
    page.goto(f"{base}/login/?next=/accounts/{ACCOUNT_A2}/")
    log_in(page, username="reader_a")

    expect(page).to_have_url(f"{base}/accounts/{ACCOUNT_A2}/")
    expect(page.locator("[data-multiplier]")).to_contain_text("2000")
    expect(page.locator("[data-current-meter]")).to_have_text("M-A2-0001")
    expect(page.locator("tr[data-status-change]")).to_have_count(2)
    screenshot("06-key-account-page")


def test_customer_opens_the_portal(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)
    page.goto(f"{base}/portal/")

    expect(page).to_have_url(f"{base}/portal/login/?next=/portal/")
    screenshot("07-portal-login")
    log_in(page, username="zhang_portal")

    expect(page).to_have_url(f"{base}/portal/")
    expect(page.locator(".account-card")).to_have_count(1)
    expect(page.locator(".account-card__no strong")).to_have_text(ACCOUNT_A1)
    screenshot("08-portal-home")

    switch_language(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
