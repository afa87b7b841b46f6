"""The explainable bill in the back office: account (personal data masked without pii.unmask),
period, tariff version, every line with its rule and inputs, the usage explanation, the
adjustments and the adjust form (退补电费), and the staff PDF."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gridcare.billing.models import Bill, BillKind, BillStatus
from gridcare.identity.models import User

from .conftest import BillingScene, issue_directly, pdf_objects

pytestmark = pytest.mark.django_db

ClientOf = Callable[[User], Client]


def _lines(body: str) -> list[tuple[str, ...]]:
    """Each line: code, name, quantity, unit price, amount, rule."""
    return [
        tuple(match)
        for match in re.findall(
            r'<tr data-line="([\w.]+)">.*?<td data-line-name>(.*?)</td>.*?data-quantity>(.*?)</td>'
            r'.*?data-unit-price>(.*?)</td>.*?data-amount>(.*?)</td>.*?data-rule="([\w.]+)"',
            body,
            re.DOTALL,
        )
    ]


def _page(client: Client, bill: Bill) -> str:
    return client.get(reverse("web:bill_detail", args=[bill.pk])).content.decode()


def test_a_bill_shows_every_line_with_its_rule_and_inputs(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    body = _page(client_of(billing_scene.clerk), billing_scene.high)

    assert _lines(body) == [
        ("energy.tier1", "电度电费（第1档）", "240", "0.4883", "117.19", "tier"),
        ("energy.tier2", "电度电费（第2档）", "160", "0.5383", "86.13", "tier"),
        ("energy.tier3", "电度电费（第3档）", "100", "0.7883", "78.83", "tier"),
    ]
    assert '<td class="num" data-bill-total>282.15</td>' in body
    assert '<dd class="mono" data-tariff>CN-BJ-RES-2012</dd>' in body
    assert '<dd class="mono" data-tariff-versions>v1 (2012-07-01 – …)</dd>' in body
    assert '<dd class="mono" data-period>2025-02-01 – 2025-03-01</dd>' in body
    assert '<dd class="mono" data-energy>500.000</dd>' in body
    assert body.count('<dt data-fact="tier_kwh">该档电量（kWh）</dt>') == 3
    assert (
        '<dt data-fact="thresholds_kwh">阶梯分档电量（kWh）</dt><dd><span class="mono">240,400</span></dd>'
        in body
    )
    assert "阶梯电度电费：该档电量 × 该档该时段电价" in body
    assert '<li data-exception="usage_outside_band">' in body


def test_line_names_follow_the_ui_language(billing_scene: BillingScene, client_of: ClientOf) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = _page(client, billing_scene.clean)

    assert [line[1] for line in _lines(body)] == ["Energy charge (tier 1)"]


def test_the_usage_explanation_is_rendered_readably(billing_scene: BillingScene, client_of: ClientOf) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = _page(client, billing_scene.clean)

    explanation = re.search(
        r"<dl class=\"facts explanation\" data-usage-explanation>(.*?)</section>", body, re.DOTALL
    )
    assert explanation is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", explanation.group(1))).strip()
    account_no = billing_scene.clean.account.account_no
    assert text == (
        f"Usage Energy (kWh) Total 200 Metering points 1 Metering point code MP-{account_no} Multiplier 1 "
        "Reads 1 Id 1 Import active total 1000.00 Read at 2025-02-01T09:00:00+08:00 "
        "2 Id 2 Import active total 1200.00 Read at 2025-03-01T09:00:00+08:00 Line loss (kWh) 0.000 "
        "Flags — Inputs 12-month average for the period (kWh) 190.000 kWh billed earlier in the tier year 0"
    )


def test_the_contact_mobile_is_masked_without_pii_unmask(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    masked = _page(client_of(billing_scene.clerk), billing_scene.clean)
    unmasked = _page(client_of(billing_scene.manager), billing_scene.clean)

    assert '<span class="mono" data-contact-mobile>138****5678</span>' in masked
    assert "13812345678" not in masked
    assert '<span class="mono" data-contact-mobile>13812345678</span>' in unmasked


def test_who_may_see_a_bill(billing_scene: BillingScene, client_of: ClientOf) -> None:
    url = reverse("web:bill_detail", args=[billing_scene.clean.pk])

    statuses = {
        user.username: client_of(user).get(url).status_code
        for user in (
            billing_scene.clerk,
            billing_scene.cashier,
            billing_scene.auditor,
            billing_scene.other_clerk,
        )
    }

    assert statuses == {"clerk": 200, "cashier": 200, "auditor": 200, "other_clerk": 404}


def test_the_adjust_form_is_offered_on_issued_regular_bills_to_adjusters_only(
    billing_scene: BillingScene, client_of: ClientOf, now: datetime
) -> None:
    calculated = _page(client_of(billing_scene.clerk), billing_scene.clean)
    issue_directly(billing_scene.clean, now=now)

    clerk = _page(client_of(billing_scene.clerk), billing_scene.clean)
    cashier = _page(client_of(billing_scene.cashier), billing_scene.clean)

    assert "data-adjust-form" not in calculated
    assert "data-adjust-form" in clerk
    assert "data-adjust-form" not in cashier
    assert '<dd class="mono" data-due-date>2025-03-25</dd>' in clerk
    assert reverse("web:bill_pdf", args=[billing_scene.clean.pk]) in cashier


def test_cancelling_an_issued_bill_issues_a_reversing_adjustment(
    billing_scene: BillingScene, client_of: ClientOf, now: datetime
) -> None:
    issue_directly(billing_scene.clean, now=now)
    client = client_of(billing_scene.clerk)

    response = client.post(
        reverse("web:bill_adjust", args=[billing_scene.clean.pk]),
        {"reason": "错抄，户已空置", "mode": "cancel"},
    )

    adjustment = Bill.objects.get(adjusts=billing_scene.clean)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:bill_detail", args=[adjustment.pk])
    assert (adjustment.kind, adjustment.status, adjustment.total, adjustment.energy_kwh) == (
        BillKind.ADJUSTMENT,
        BillStatus.ISSUED,
        Decimal("-97.66"),
        Decimal("-200.000"),
    )
    adjustment_page = _page(client, adjustment)
    assert _lines(adjustment_page) == [
        ("energy.tier1", "冲减：电度电费（第1档）", "-200", "0.4883", "-97.66", "tier")
    ]
    assert f"data-adjusts>{billing_scene.clean.number}</a>" in adjustment_page
    original_page = _page(client, billing_scene.clean)
    assert f'<tr data-adjustment="{adjustment.number}">' in original_page
    assert Bill.objects.get(pk=billing_scene.clean.pk).total == Decimal("97.66")


def test_a_refused_adjustment_shows_why_and_issues_nothing(
    billing_scene: BillingScene, client_of: ClientOf, now: datetime
) -> None:
    issue_directly(billing_scene.clean, now=now)
    client = client_of(billing_scene.clerk)

    no_reason = client.post(
        reverse("web:bill_adjust", args=[billing_scene.clean.pk]), {"reason": "  ", "mode": "cancel"}
    )
    unissued = client.post(
        reverse("web:bill_adjust", args=[billing_scene.high.pk]), {"reason": "复核", "mode": "cancel"}
    )
    cashier = client_of(billing_scene.cashier).post(
        reverse("web:bill_adjust", args=[billing_scene.clean.pk]), {"reason": "复核", "mode": "cancel"}
    )

    assert no_reason.status_code == 400
    assert 'class="field__error"' in no_reason.content.decode()
    assert unissued.status_code == 400
    account_no = billing_scene.high.account.account_no
    refusal = unissued.content.decode()
    assert f"电费账单（户号 {account_no}，2025-02-01 起）状态为“" in refusal
    assert "不能退补（只能退补已发行的正常账单）。" in refusal
    assert cashier.status_code == 403
    assert not Bill.objects.filter(kind=BillKind.ADJUSTMENT).exists()


def test_staff_download_the_issued_bill_as_a_pdf_in_chinese(
    billing_scene: BillingScene, client_of: ClientOf, now: datetime
) -> None:
    client = client_of(billing_scene.cashier)
    unissued = client.get(reverse("web:bill_pdf", args=[billing_scene.high.pk]))
    issue_directly(billing_scene.high, now=now)

    response = client.get(reverse("web:bill_pdf", args=[billing_scene.high.pk]))

    assert unissued.status_code == 404
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="bill-{billing_scene.high.number}.pdf"'
    objects = pdf_objects(response.content)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-Sans-CJK-SC\b", objects) is not None
    for character in "王五电费第档":
        assert f"<{ord(character):04x}>".encode() in objects.lower(), character
