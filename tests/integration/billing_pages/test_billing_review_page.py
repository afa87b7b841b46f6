"""The exception review (量费审核): flagged bills with their messages and usage against the
12-month average, the filters, and the per-bill actions (hold, release, send back for a read
check, recalculate's refusal, approve the chosen), refusals shown and nothing changed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gridcare.audit.models import AuditEvent
from gridcare.billing.models import Bill, BillStatus
from gridcare.identity.models import User

from .conftest import BillingScene

pytestmark = pytest.mark.django_db

ClientOf = Callable[[User], Client]


def _rows(body: str) -> dict[str, str]:
    """Each bill row of the review table by account name: its text without tags."""
    rows = re.findall(r'<tr data-bill="\d+" data-status="\w+">(.*?)</tr>', body, re.DOTALL)
    shown = {}
    for row in rows:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        name = re.search(r"\d{10} (\S+)", text)
        assert name is not None
        shown[name.group(1)] = text
    return shown


def _messages(body: str) -> list[str]:
    return re.findall(r'<li class="flash flash--\w+">(.*?)</li>', body, re.DOTALL)


def _review(client: Client, scene: BillingScene, **filters: str) -> str:
    return client.get(reverse("web:bill_run_review", args=[scene.run.pk]), filters).content.decode()


def _status_and_note(bill: Bill) -> tuple[str, str]:
    stored = Bill.objects.get(pk=bill.pk)
    return stored.status, stored.review_note


def test_the_review_lists_the_flagged_bills_with_messages_usage_and_average(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    body = _review(client_of(billing_scene.clerk), billing_scene)

    rows = _rows(body)
    assert sorted(rows) == ["李四", "王五", "赵六"]  # 张三's clean bill is not an exception
    assert '<li data-exception="zero_usage">零电量</li>' in body
    assert (
        '<li data-exception="usage_outside_band">电量超出近 12 个月平均值（同期 150.000 kWh）的 3 倍范围</li>'
    ) in body
    assert '<li data-exception="missing_read" data-blocking>缺少抄表示数，且无历史电量可估算</li>' in body
    high_row = re.search(
        r'<tr data-bill="\d+" data-status="calculated">(?:(?!</tr>).)*王五.*?</tr>', body, re.DOTALL
    )
    assert high_row is not None
    assert '<td class="num" data-usage>500.000</td>' in high_row.group()
    assert '<td class="num" data-average>150.000</td>' in high_row.group()
    assert '<td class="num">282.15</td>' in high_row.group()
    # A bill with a blocking exception has no approval box; the others have one.
    assert body.count('type="checkbox" name="bills"') == 2
    assert f'value="{billing_scene.blocked.pk}" form="approve-selected"' not in body


def test_the_review_shows_messages_in_english_for_english_users(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = _review(client, billing_scene, exception="usage_outside_band")

    assert (
        '<li data-exception="usage_outside_band">'
        "Usage outside 3× the 12-month average (150.000 kWh for the period)</li>" in body
    )
    assert sorted(_rows(body)) == ["王五"]


def test_the_review_filters_by_exception_and_status(billing_scene: BillingScene, client_of: ClientOf) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("web:bill_hold", args=[billing_scene.blocked.pk]), {"note": "待现场核实"})

    zero = _review(client, billing_scene, exception="zero_usage")
    held = _review(client, billing_scene, status="held")
    none = _review(client, billing_scene, exception="rollover")

    assert sorted(_rows(zero)) == ["李四"]
    assert sorted(_rows(held)) == ["赵六"]
    assert '<div class="muted" data-note>待现场核实</div>' in held
    assert _rows(none) == {}
    assert "本批次没有符合筛选条件的账单。" in none


def test_hold_release_and_send_back_change_the_bill_and_audit_it(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    bill = billing_scene.zero

    held = client.post(reverse("web:bill_hold", args=[bill.pk]), {"note": "空房？"}, follow=True)
    after_hold = _status_and_note(bill)
    released = client.post(reverse("web:bill_release", args=[bill.pk]), follow=True)
    after_release = _status_and_note(bill)
    sent = client.post(reverse("web:bill_send_back", args=[bill.pk]), {"note": "请复抄"}, follow=True)

    account_no = bill.account.account_no
    assert held.redirect_chain == [(reverse("web:bill_run_review", args=[billing_scene.run.pk]), 302)]
    assert _messages(held.content.decode()) == [f"户号 {account_no} 的账单已暂缓发行。"]
    assert after_hold == (BillStatus.HELD, "空房？")
    assert _messages(released.content.decode()) == [f"户号 {account_no} 的账单已解除暂缓。"]
    assert after_release == (BillStatus.CALCULATED, "")
    assert _messages(sent.content.decode()) == [f"户号 {account_no} 的抄表示数已退回复核。"]
    assert _status_and_note(bill) == (BillStatus.READ_CHECK, "请复抄")
    assert list(
        AuditEvent.objects.filter(action__startswith="billing.bill_")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["billing.bill_held", "billing.bill_released", "billing.bill_sent_back"]


def test_a_refused_review_action_shows_why_and_changes_nothing(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("web:bill_run_approve", args=[billing_scene.run.pk]), follow=True)  # 张三 approved
    bill = billing_scene.clean
    account_no = bill.account.account_no

    release = client.post(reverse("web:bill_release", args=[bill.pk]), follow=True)
    recalculate = client.post(reverse("web:bill_recalculate", args=[bill.pk]), follow=True)

    with translation.override("zh-hans"):
        approved = str(BillStatus.APPROVED.label)  # as the zh-Hans catalog names it
    assert _messages(release.content.decode()) == [
        f"电费账单（户号 {account_no}，2025-02-01 起）状态为“{approved}”，不能解除暂缓。"
    ]
    assert _messages(recalculate.content.decode()) == [
        f"电费账单（户号 {account_no}，2025-02-01 起）状态为“{approved}”，不能重新计算。"
    ]
    assert _status_and_note(bill) == (BillStatus.APPROVED, "")
    assert Bill.objects.filter(account=bill.account).count() == 1


def test_approving_the_chosen_bills_never_approves_a_blocking_exception(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)

    response = client.post(
        reverse("web:bill_run_approve_selected", args=[billing_scene.run.pk]),
        {"bills": [billing_scene.high.pk, billing_scene.blocked.pk]},
        follow=True,
    )

    assert _messages(response.content.decode()) == ["所选 2 张账单中已审核通过 1 张。"]
    assert Bill.objects.get(pk=billing_scene.high.pk).status == BillStatus.APPROVED
    assert Bill.objects.get(pk=billing_scene.blocked.pk).status == BillStatus.CALCULATED
    assert Bill.objects.get(pk=billing_scene.zero.pk).status == BillStatus.CALCULATED


def test_approving_a_bill_of_another_run_is_refused(billing_scene: BillingScene, client_of: ClientOf) -> None:
    client = client_of(billing_scene.clerk)

    response = client.post(
        reverse("web:bill_run_approve_selected", args=[billing_scene.run.pk]),
        {"bills": [billing_scene.other_bill.pk]},
        follow=True,
    )

    assert _messages(response.content.decode()) == ["请至少选择本批次的一张账单。"]
    assert Bill.objects.get(pk=billing_scene.other_bill.pk).status == BillStatus.CALCULATED


def test_review_actions_need_billing_run_and_the_bills_unit(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    bill = billing_scene.zero
    cashier = client_of(billing_scene.cashier)
    other_clerk = client_of(billing_scene.other_clerk)

    refused = [
        cashier.post(reverse("web:bill_hold", args=[bill.pk]), {"note": "x"}).status_code,
        cashier.get(reverse("web:bill_run_review", args=[billing_scene.run.pk])).status_code,
        other_clerk.post(reverse("web:bill_hold", args=[bill.pk]), {"note": "x"}).status_code,
        other_clerk.post(reverse("web:bill_send_back", args=[bill.pk]), {"note": "x"}).status_code,
        other_clerk.post(
            reverse("web:bill_run_approve_selected", args=[billing_scene.run.pk]), {"bills": [bill.pk]}
        ).status_code,
    ]

    assert refused == [403, 403, 404, 404, 404]
    assert _status_and_note(bill) == (BillStatus.CALCULATED, "")
    assert not AuditEvent.objects.filter(action__startswith="billing.").exists()
