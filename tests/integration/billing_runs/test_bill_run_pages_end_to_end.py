"""The bill run pages on a real calculation: create a run on the page, let the worker calculate
it, recalculate a bill after its read was corrected, approve and issue, then rebill an issued
bill — each step through the page, each result exact.

李 (CN-BJ-RES-2012) reads 150 → 450: 300 kWh → 149.49 (117.19 + 32.30). 王 reads 80 → 80, zero
usage, flagged; a special read of 200 recorded later on 1 March is the last read of the closing
window, so recalculating closes on it: 120 kWh × 0.4883 = 58.596 → 58.60.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from billing_runs_world import BILLING_NOW, SHANGHAI, BillingWorld
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridcare.billing.models import Bill, BillKind, BillRun, BillRunStatus, BillStatus
from gridcare.jobs.operations import run_next_job
from gridcare.kit.clock import local_date
from gridcare.metering import operations as metering
from gridcare.metering.models import ReadReason, ReadSource
from gridcare.metering.rules import RegisterValues

pytestmark = pytest.mark.django_db


def _run_jobs() -> None:
    while run_next_job(
        worker_id="test", clock=timezone.now, lease=timedelta(minutes=5), queues=frozenset({"default"})
    ):
        pass


def _live(run: BillRun, name: str) -> Bill:
    return Bill.objects.exclude(status=BillStatus.WITHDRAWN).get(run=run, account__name=name)


def test_create_calculate_recalculate_issue_and_rebill_on_the_pages(
    billing_world: BillingWorld, log_in: Any, settings: Any
) -> None:
    world = billing_world
    world.add_account("李")
    world.read("李", 2, "150")
    world.read("李", 3, "450")
    world.add_account("王")
    world.read("王", 2, "80")
    world.read("王", 3, "80")
    client: Client = log_in(Client(), world.clerk)

    created = client.post(
        reverse("web:bill_run_create"),
        {"org_unit": world.tree.station.pk, "period_start": "2025-02-01", "period_end": "2025-03-01"},
        follow=True,
    )
    run = BillRun.objects.get()
    assert created.redirect_chain[-1][0] == reverse("web:bill_run_detail", args=[run.pk])
    _run_jobs()
    run.refresh_from_db()
    assert (run.status, run.accounts_done, run.bills_flagged) == (BillRunStatus.IN_REVIEW, 2, 1)
    assert _live(run, "李").total == Decimal("149.49")

    # The reader finds 王's meter was misread: a special read of 200 at 08:30 on 1 March.
    metering.record_meter_read(
        meter=world.meters["王"],
        read_at=datetime(2025, 3, 1, 8, 30, tzinfo=SHANGHAI),
        source=ReadSource.MANUAL,
        reason=ReadReason.SPECIAL,
        registers=RegisterValues(import_active_total=Decimal("200")),
        actor=None,
        now=BILLING_NOW,
    )
    wang = _live(run, "王")
    client.post(reverse("web:bill_recalculate", args=[wang.pk]), follow=True)
    recalculated = _live(run, "王")
    assert (
        recalculated.pk != wang.pk,
        recalculated.energy_kwh,
        recalculated.total,
        recalculated.exceptions,
    ) == (
        True,
        Decimal("120"),
        Decimal("58.60"),
        [],
    )

    client.post(reverse("web:bill_run_approve", args=[run.pk]), follow=True)
    client.post(reverse("web:bill_run_issue", args=[run.pk]), follow=True)
    run.refresh_from_db()
    assert run.status == BillRunStatus.ISSUED
    li = _live(run, "李")
    # Numbered in the month of issue (the pages' clock is today's): yyyymm + the first of ten digits.
    assert (li.status, li.number) == (BillStatus.ISSUED, f"{local_date(li.issued_at):%Y%m}0000000001")

    page = client.get(reverse("web:bill_detail", args=[li.pk])).content.decode()
    assert "149.49" in page
    adjusted = client.post(
        reverse("web:bill_adjust", args=[li.pk]), {"reason": "复核无误，重开", "mode": "rebill"}, follow=True
    )
    adjustment = Bill.objects.get(kind=BillKind.ADJUSTMENT)
    assert adjusted.status_code == 200
    assert (adjustment.adjusts, adjustment.total, adjustment.lines.count()) == (li, Decimal("0.00"), 4)
    li.refresh_from_db()
    assert (li.total, li.status) == (Decimal("149.49"), BillStatus.ISSUED)
