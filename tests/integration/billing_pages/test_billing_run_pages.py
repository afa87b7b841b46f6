"""The bill run pages: the list with its filter and the new-run form, a run's header, progress,
totals and actions (approve clean bills, issue, cancel), with refusals shown and nothing
changed after them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridcare.audit.models import AuditEvent
from gridcare.billing.models import Bill, BillRun, BillRunPartition, BillRunStatus, BillStatus
from gridcare.identity.models import User
from gridcare.jobs.models import JobRun

from .conftest import BillingScene

pytestmark = pytest.mark.django_db

ClientOf = Callable[[User], Client]


def _statuses(scene: BillingScene) -> dict[str, str]:
    return dict(Bill.objects.filter(run=scene.run).values_list("account__name", "status"))


def _messages(body: str) -> list[str]:
    return re.findall(r'<li class="flash flash--\w+">(.*?)</li>', body, re.DOTALL)


def test_the_run_list_shows_the_runs_of_ones_units_with_their_progress(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    body = client_of(billing_scene.clerk).get(reverse("web:bill_runs")).content.decode()

    row = re.search(r'<tr data-run="HS202502000001".*?</tr>', body, re.DOTALL)
    assert row is not None
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(), re.DOTALL)
    ]
    assert cells[:7] == [
        "HS202502000001",
        "泉城路供电所",
        "2025-02-01 – 2025-03-01",
        "全部",
        "审核中",
        "4 / 4",
        "3",
    ]
    assert cells[7] == "2025-03-10 09:30 · clerk"
    assert "HS202502000002" not in body  # the other station's run
    assert "data-new-run-form" in body


def test_the_run_list_filters_by_status(billing_scene: BillingScene, client_of: ClientOf) -> None:
    client = client_of(billing_scene.clerk)

    issued = client.get(reverse("web:bill_runs"), {"status": "issued"}).content.decode()
    in_review = client.get(reverse("web:bill_runs"), {"status": "in_review"}).content.decode()

    assert "data-run=" not in issued
    assert in_review.count("data-run=") == 1


def test_without_billing_run_the_run_list_is_refused(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    response = client_of(billing_scene.cashier).get(reverse("web:bill_runs"))

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="deny_permission", actor=billing_scene.cashier).count() == 1


def test_a_new_run_is_created_and_its_calculation_queued(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    response = client_of(billing_scene.clerk).post(
        reverse("web:bill_run_create"),
        {"org_unit": billing_scene.station.pk, "period_start": "2025-03-01", "period_end": "2025-04-01"},
    )

    run = BillRun.objects.exclude(pk__in=[billing_scene.run.pk, billing_scene.other_run.pk]).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:bill_run_detail", args=[run.pk])
    assert (
        run.org_unit,
        run.period_start,
        run.period_end,
        run.status,
        run.accounts_total,
        run.created_by,
    ) == (
        billing_scene.station,
        date(2025, 3, 1),
        date(2025, 4, 1),
        BillRunStatus.CREATED,
        4,
        billing_scene.clerk,
    )
    assert list(BillRunPartition.objects.filter(run=run).values_list("index", "accounts")) == [(0, 4)]
    assert JobRun.objects.get(pk=run.job_run_id).kwargs == {"run_id": run.pk}


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (
            ("2025-03-01", "2025-02-01"),
            "“period_end”：核算期末（2025-02-01）必须晚于期初（2025-03-01），且核算期不超过 92 天。",
        ),
        (
            ("2025-02-01", "2025-03-01"),
            "核算批次 HS202502000001 已在核算 泉城路供电所 的同一核算期（2025-02-01 至 2025-03-01），"
            "请在该批次中继续。",
        ),
    ],
)
def test_a_refused_new_run_shows_the_reason_and_creates_nothing(
    billing_scene: BillingScene, client_of: ClientOf, period: tuple[str, str], message: str
) -> None:
    response = client_of(billing_scene.clerk).post(
        reverse("web:bill_run_create"),
        {"org_unit": billing_scene.station.pk, "period_start": period[0], "period_end": period[1]},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert BillRun.objects.count() == 2
    assert JobRun.objects.count() == 0


def test_a_run_cannot_be_created_for_a_unit_outside_ones_subtree(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    response = client_of(billing_scene.clerk).post(
        reverse("web:bill_run_create"),
        {
            "org_unit": billing_scene.other_station.pk,
            "period_start": "2025-03-01",
            "period_end": "2025-04-01",
        },
    )

    assert response.status_code == 400
    assert 'class="field__error"' in response.content.decode()
    assert BillRun.objects.count() == 2


def test_the_run_page_shows_totals_counts_and_exceptions(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    body = (
        client_of(billing_scene.clerk)
        .get(reverse("web:bill_run_detail", args=[billing_scene.run.pk]))
        .content.decode()
    )

    # 200 + 0 + 500 + 0 kWh; 97.66 + 0.00 + 282.15 + 0.00 yuan
    assert '<dd class="mono" data-total="bills">4</dd>' in body
    assert '<dd class="mono" data-total="kwh">700.000</dd>' in body
    assert '<dd class="mono" data-total="amount">379.81</dd>' in body
    assert '<dd class="mono" data-total="flagged">3</dd>' in body
    assert re.findall(r'data-bills-status="(\w+)">.*?<span class="mono">(\d+)</span>', body) == [
        ("calculated", "4")
    ]
    assert re.findall(r'data-exception-count="(\w+)"><a [^>]*>\w+</a> (\d+)', body) == [
        ("missing_read", "1"),
        ("usage_outside_band", "1"),
        ("zero_usage", "1"),
    ]
    assert "已计算 4 / 4 户" in body
    assert "hx-get" not in body  # a run in review no longer polls
    assert "data-issue-run" in body
    assert "data-approve-clean" in body


def test_a_calculating_run_polls_its_progress(billing_scene: BillingScene, client_of: ClientOf) -> None:
    BillRun.objects.filter(pk=billing_scene.run.pk).update(status=BillRunStatus.CALCULATING, accounts_done=1)
    client = client_of(billing_scene.clerk)
    progress_url = reverse("web:bill_run_progress", args=[billing_scene.run.pk])

    page = client.get(reverse("web:bill_run_detail", args=[billing_scene.run.pk])).content.decode()
    fragment = client.get(progress_url).content.decode()

    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in page
    assert fragment.startswith('<div class="run-progress" id="run-progress" data-status="calculating"')
    assert '<progress value="1" max="4"></progress>' in fragment
    assert "已计算 1 / 4 户" in fragment
    assert "data-issue-run" not in page


def test_approving_clean_bills_approves_only_those_without_exceptions(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    response = client.post(reverse("web:bill_run_approve", args=[billing_scene.run.pk]), follow=True)

    assert _messages(response.content.decode()) == ["已审核通过 1 张账单。"]
    assert _statuses(billing_scene) == {
        "张三": "approved",
        "李四": "calculated",
        "王五": "calculated",
        "赵六": "calculated",
    }


def test_issuing_with_bills_unreviewed_is_refused_and_changes_nothing(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    client.post(reverse("web:bill_run_approve", args=[billing_scene.run.pk]), follow=True)

    response = client.post(reverse("web:bill_run_issue", args=[billing_scene.run.pk]), follow=True)

    assert _messages(response.content.decode()) == [
        "核算批次 HS202502000001 还有 3 张电费账单未审核（含异常未处理），不能发行。"
    ]
    assert _statuses(billing_scene) == {
        "张三": "approved",
        "李四": "calculated",
        "王五": "calculated",
        "赵六": "calculated",
    }
    assert BillRun.objects.get(pk=billing_scene.run.pk).status == BillRunStatus.IN_REVIEW
    assert Bill.objects.filter(number__isnull=False).count() == 0


def test_issuing_a_reviewed_run_numbers_its_approved_bills(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    scene = billing_scene
    client = client_of(scene.clerk)
    client.post(reverse("web:bill_run_approve", args=[scene.run.pk]), follow=True)
    for bill in (scene.zero, scene.blocked):
        client.post(reverse("web:bill_hold", args=[bill.pk]), {"note": "核实"}, follow=True)
    client.post(
        reverse("web:bill_run_approve_selected", args=[scene.run.pk]), {"bills": [scene.high.pk]}, follow=True
    )

    response = client.post(reverse("web:bill_run_issue", args=[scene.run.pk]), follow=True)

    assert _messages(response.content.decode()) == ["核算批次 HS202502000001 已发行：2 张账单。"]
    issued = list(Bill.objects.filter(run=scene.run, status=BillStatus.ISSUED).order_by("account_id"))
    assert [bill.account.name for bill in issued] == ["张三", "王五"]
    assert {bill.due_date for bill in issued} == {timezone.localdate() + timedelta(days=15)}
    assert all(bill.number and len(bill.number) == 16 for bill in issued)
    assert _statuses(scene)["李四"] == "held"
    run = BillRun.objects.get(pk=scene.run.pk)
    assert (run.status, run.issued_by) == (BillRunStatus.ISSUED, scene.clerk)


def test_cancelling_needs_a_reason_then_withdraws_the_bills(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    url = reverse("web:bill_run_cancel", args=[billing_scene.run.pk])

    refused = client.post(url, {"reason": ""}, follow=True)
    unchanged = BillRun.objects.get(pk=billing_scene.run.pk).status
    cancelled = client.post(url, {"reason": "抄表数据批量错误"}, follow=True)

    assert _messages(refused.content.decode()) == ["请填写作废该批次的原因。"]
    assert unchanged == BillRunStatus.IN_REVIEW
    assert _messages(cancelled.content.decode()) == ["核算批次 HS202502000001 已作废。"]
    assert BillRun.objects.get(pk=billing_scene.run.pk).status == BillRunStatus.CANCELLED
    assert set(_statuses(billing_scene).values()) == {"withdrawn"}
    event = AuditEvent.objects.get(action="billing.run_cancelled")
    assert event.changes["reason"] == "抄表数据批量错误"


def test_cancelling_an_issued_run_is_refused_and_changes_nothing(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    BillRun.objects.filter(pk=billing_scene.other_run.pk).update(status=BillRunStatus.ISSUED)
    client = client_of(billing_scene.other_clerk)

    response = client.post(
        reverse("web:bill_run_cancel", args=[billing_scene.other_run.pk]), {"reason": "x"}, follow=True
    )

    (message,) = _messages(response.content.decode())
    assert message.startswith("核算批次 HS202502000002 状态为“")
    assert message.endswith("”，不能作废。")
    assert BillRun.objects.get(pk=billing_scene.other_run.pk).status == BillRunStatus.ISSUED
    assert Bill.objects.get(pk=billing_scene.other_bill.pk).status == BillStatus.CALCULATED


def test_another_stations_run_is_not_found_and_its_actions_change_nothing(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.other_clerk)
    run = billing_scene.run

    pages = [
        client.get(reverse(name, args=[run.pk])).status_code
        for name in ("web:bill_run_detail", "web:bill_run_progress", "web:bill_run_review")
    ]
    actions = [
        client.post(reverse("web:bill_run_approve", args=[run.pk])).status_code,
        client.post(reverse("web:bill_run_issue", args=[run.pk])).status_code,
        client.post(reverse("web:bill_run_cancel", args=[run.pk]), {"reason": "x"}).status_code,
    ]

    assert pages == [404, 404, 404]
    assert actions == [404, 404, 404]
    assert set(_statuses(billing_scene).values()) == {"calculated"}
    assert BillRun.objects.get(pk=run.pk).status == BillRunStatus.IN_REVIEW


def _add_runs(scene: BillingScene, count: int) -> None:
    for month in range(4, 4 + count):
        BillRun.objects.create(
            org_unit=scene.station,
            number=f"HS2025{month:02d}000009",
            period_start=date(2025, month, 1),
            period_end=date(2025, month + 1, 1),
            created_by=scene.clerk,
            created_at=timezone.now(),
        )


def test_the_run_list_and_review_make_as_many_queries_whatever_the_rows(
    billing_scene: BillingScene, client_of: ClientOf
) -> None:
    client = client_of(billing_scene.clerk)
    review_url = reverse("web:bill_run_review", args=[billing_scene.run.pk])

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    list_before, review_before = queries(reverse("web:bill_runs")), queries(review_url)
    _add_runs(billing_scene, 3)
    Bill.objects.filter(pk=billing_scene.clean.pk).update(
        exceptions=[{"code": "estimated", "message_zh": "估抄", "message_en": "Estimated", "blocking": False}]
    )

    assert queries(reverse("web:bill_runs")) == list_before
    assert queries(review_url) == review_before
