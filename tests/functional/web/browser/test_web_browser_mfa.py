"""A supervisor (a role that needs MFA) logs in through the real pages in Chromium: enrols an
authenticator from the secret the page shows, keeps the recovery codes, and logs in again with
one of them; no page breaks the Content-Security-Policy."""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Callable

import pytest
from django_otp.oath import totp
from playwright.sync_api import ConsoleMessage, Page, expect
from web_world import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(secret: str) -> str:
    """What an authenticator app shows now for the base32 ``secret`` typed in by hand."""
    padding = "=" * (-len(secret) % 8)
    return f"{totp(b32decode(secret + padding)):06d}"


def submit_login(page: Page, username: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login-form button[type=submit]")


def test_supervisor_enrols_an_authenticator_and_later_uses_a_recovery_code(
    page: Page, live_server: object, browser_world: World, screenshot: Callable[[str], None]
) -> None:
    base = str(live_server)
    csp_violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", watch)
    page.goto(f"{base}/accounts/")
    submit_login(page, "supervisor")

    expect(page).to_have_url(f"{base}/security/mfa/enrol/?next=/accounts/")
    expect(page.locator("[data-qr] svg")).to_be_visible()
    screenshot("09-mfa-enrol")
    secret = page.locator("[data-secret]").inner_text()
    page.fill("input[name=code]", code_for(secret))
    page.click("form.mfa-form button[type=submit]")

    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    recovery_code = page.locator("[data-recovery-codes] li code").first.inner_text()
    screenshot("10-mfa-recovery-codes")
    page.click("a.button--primary")
    expect(page).to_have_url(f"{base}/accounts/")

    page.click("form[action='/logout/'] button")
    page.goto(f"{base}/")
    submit_login(page, "supervisor")
    expect(page).to_have_url(f"{base}/security/mfa/verify/?next=/")
    screenshot("11-mfa-verify")
    page.fill("input[name=code]", recovery_code)
    page.click("form.mfa-form button[type=submit]")

    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".flash--warning")).to_be_visible()
    assert csp_violations == []
