"""A 核算员's bill run in Chromium: a prepared run in review (written directly: calculating needs
reads, tested elsewhere) is reviewed — the flagged bill approved from the exception review,
the clean one with "approve bills without exceptions" — issued, and a bill opened with its
explanation and PDF link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect
from web_world import ACCOUNT_A1, ACCOUNT_A2, World, make_staff_user

from gridcare.billing.models import Bill, BillLine, BillRun, BillRunStatus
from gridcare.identity.models import Role, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALCULATED_AT = datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _bill(run: BillRun, account: Any, *, kwh: str, amount: str, exceptions: list[dict[str, object]]) -> Bill:
    bill = Bill.objects.create(
        org_unit=account.org_unit,
        run=run,
        account=account,
        period_start=run.period_start,
        period_end=run.period_end,
        tariff_code="CN-BJ-RES-2012",
        energy_kwh=Decimal(kwh),
        total=Decimal(amount),
        usage={"usage": {"energy_kwh": {"total": kwh}}, "inputs": {"average_kwh_12_months": "180.000"}},
        exceptions=exceptions,
        calculated_at=CALCULATED_AT,
    )
    BillLine.objects.create(
        bill=bill,
        position=1,
        code="energy.tier1",
        name_zh="电度电费（第1档）",
        name_en="Energy charge (tier 1)",
        quantity=Decimal(kwh),
        unit="kWh",
        unit_price=Decimal("0.4883"),
        amount=Decimal(amount),
        rule="tier",
        inputs={"tier_kwh": kwh, "thresholds_kwh": "240,400"},
    )
    return bill


def _prepared_run(world: World, clerk: User) -> BillRun:
    run = BillRun.objects.create(
        org_unit=world.station_a,
        number="HS202502000001",
        period_start=datetime(2025, 2, 1).date(),
        period_end=datetime(2025, 3, 1).date(),
        status=BillRunStatus.IN_REVIEW,
        accounts_total=2,
        accounts_done=2,
        bills_flagged=1,
        created_by=clerk,
        created_at=CALCULATED_AT,
        calculated_at=CALCULATED_AT,
    )
    _bill(run, world.account_a1, kwh="200", amount="97.66", exceptions=[])
    _bill(
        run,
        world.account_a2,
        kwh="20",
        amount="9.77",
        exceptions=[
            {
                "code": "usage_outside_band",
                "message_zh": "电量超出近 12 个月平均值（同期 180.000 kWh）的 3 倍范围",
                "message_en": "Usage outside 3× the 12-month average (180.000 kWh for the period)",
                "blocking": False,
            }
        ],
    )
    return run


def _logged_in(page: Page, base: str, user: User, log_in: Callable[[Client, Any], Client]) -> None:
    """The browser carries a session made as the tests' ``log_in`` makes it (MFA verified), so
    the journey starts at the pages, not at the TOTP step (tests/functional/web/browser/
    test_web_browser_mfa.py walks that)."""
    client = log_in(Client(), user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])


def test_a_billing_clerk_reviews_approves_and_issues_a_run_then_opens_a_bill(
    page: Page,
    live_server: object,
    browser_world: World,
    log_in: Callable[[Client, Any], Client],
    screenshot: Callable[[str], None],
) -> None:
    clerk = make_staff_user(
        username="clerk_a",
        org_unit=browser_world.station_a,
        roles=(Role.BILLING_CLERK,),
        display_name="李核算",
    )
    run = _prepared_run(browser_world, clerk)
    base = str(live_server)
    _logged_in(page, base, clerk, log_in)

    page.goto(f"{base}/billing/runs/")
    page.click("a:text('HS202502000001')")
    expect(page).to_have_url(f"{base}/billing/runs/{run.pk}/")
    expect(page.locator("[data-total=bills]")).to_have_text("2")
    expect(page.locator("[data-total=amount]")).to_have_text("107.43")
    screenshot("20-bill-run")

    page.click("[data-review-link]")
    expect(page.locator("tr[data-bill]")).to_have_count(1)
    expect(page.locator(f"tr[data-bill='{ACCOUNT_A2}'] [data-exception]")).to_have_text(
        "电量超出近 12 个月平均值（同期 180.000 kWh）的 3 倍范围"
    )
    screenshot("21-exception-review")
    page.check(f"tr[data-bill='{ACCOUNT_A2}'] input[name=bills]")
    page.click("[data-approve-selected]")
    expect(page.locator(".flash")).to_have_text("所选 1 张账单中已审核通过 1 张。")
    expect(page.locator(f"tr[data-bill='{ACCOUNT_A2}']")).to_have_attribute("data-status", "approved")

    page.goto(f"{base}/billing/runs/{run.pk}/")
    page.click("[data-approve-clean] button")
    expect(page.locator(".flash")).to_have_text("已审核通过 1 张账单。")
    page.click("[data-issue-run] button")
    expect(page.locator(".flash")).to_have_text("核算批次 HS202502000001 已发行：2 张账单。")
    expect(page.locator("#run-progress")).to_have_attribute("data-status", "issued")
    screenshot("22-bill-run-issued")

    page.goto(f"{base}/billing/runs/{run.pk}/review/")
    page.click(f"a:text('{ACCOUNT_A2}')")
    bill = Bill.objects.get(run=run, account=browser_world.account_a2)
    expect(page).to_have_url(f"{base}/billing/bills/{bill.pk}/")
    expect(page.locator("[data-bill-number]")).to_have_text(str(bill.number))
    expect(page.locator("[data-due-date]")).to_have_text(
        (timezone.localdate() + timedelta(days=15)).isoformat()
    )
    expect(page.locator("tr[data-line='energy.tier1'] [data-line-name]")).to_have_text("电度电费（第1档）")
    expect(page.locator("[data-bill-total]")).to_have_text("9.77")
    expect(page.locator("a[data-download=pdf]")).to_have_attribute(
        "href", f"/billing/bills/{bill.pk}/bill.pdf"
    )
    expect(page.locator(f"text={ACCOUNT_A1}")).to_have_count(0)
    screenshot("23-bill-view")
