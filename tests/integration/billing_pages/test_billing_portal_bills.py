"""The portal's bills (网上营业厅): only the issued bills of the accounts the login is bound to,
a bill page, and the PDF bill with its Chinese text in an embedded Noto CJK font."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from gridcare.identity.models import User

from .conftest import BillingScene, issue_directly, pdf_objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(billing_scene: BillingScene) -> Client:
    client = Client()
    client.force_login(billing_scene.portal_user)
    return client


def test_the_portal_lists_only_the_customers_issued_bills(
    billing_scene: BillingScene, portal: Client, now: datetime
) -> None:
    before = portal.get(reverse("portal:bills")).content.decode()
    issue_directly(billing_scene.clean, billing_scene.other_bill, now=now)

    body = portal.get(reverse("portal:bills")).content.decode()

    assert "data-bill=" not in before  # 张三's bill is not issued yet
    assert re.findall(r'<tr data-bill="(\d+)">', body) == [billing_scene.clean.number]
    assert '<td class="num" data-amount>97.66</td>' in body
    assert reverse("portal:bill_pdf", args=[billing_scene.clean.number]) in body


def test_the_portal_bill_page_shows_the_lines_and_due_date(
    billing_scene: BillingScene, portal: Client, now: datetime
) -> None:
    issue_directly(billing_scene.clean, now=now)

    body = portal.get(reverse("portal:bill_detail", args=[billing_scene.clean.number])).content.decode()

    assert re.findall(r'<tr data-line="([\w.]+)">\s*<td>(.*?)</td>', body) == [
        ("energy.tier1", "电度电费（第1档）")
    ]
    assert '<td class="num" data-bill-total>97.66</td>' in body
    assert '<dd class="mono" data-due-date>2025-03-25</dd>' in body


def test_another_customers_bill_is_not_found_on_the_portal(
    billing_scene: BillingScene, portal: Client, now: datetime
) -> None:
    issue_directly(billing_scene.other_bill, now=now)
    number = billing_scene.other_bill.number

    statuses = [
        portal.get(reverse("portal:bill_detail", args=[number])).status_code,
        portal.get(reverse("portal:bill_pdf", args=[number])).status_code,
    ]

    assert statuses == [404, 404]


def test_the_portal_pdf_embeds_a_cjk_font_and_the_bills_text(
    billing_scene: BillingScene, portal: Client, now: datetime
) -> None:
    issue_directly(billing_scene.clean, now=now)

    response = portal.get(reverse("portal:bill_pdf", args=[billing_scene.clean.number]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    objects = pdf_objects(response.content)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-Sans-CJK-SC\b", objects) is not None
    assert re.search(rb"/FontFile[23]?\s", objects) is not None
    # The ToUnicode maps name every character used: the customer, the sender and the line.
    for character in "张三泉城路国网示范供电公司电度费档":
        assert f"<{ord(character):04x}>".encode() in objects.lower(), character


def test_staff_are_sent_to_the_back_office_from_portal_bills(
    billing_scene: BillingScene, client_of: Callable[[User], Client]
) -> None:
    response = client_of(billing_scene.clerk).get(reverse("portal:bills"))

    assert (response.status_code, response["Location"]) == (302, "/")
