"""The collection rate (电费回收率) by month and org unit, and the general-ledger export of a
day, over bills, payments and a reversal worked by hand; both org-scoped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounts_world import AccountsWorld, moment

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import UsageCategory
from gridcare.identity.models import Role
from gridcare.ledger.operations import export_general_ledger_day
from gridcare.ledger.reports import collection_rates
from gridcare.payments.operations import reverse_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world: AccountsWorld) -> AccountsWorld:
    # March: a bill of 100.00 (posted 03-05, due 03-20) and 60.00 paid on 03-15.
    # April: a bill of 80.00 (posted 04-05, due 04-20), 120.00 paid on 04-10 — the late fee of
    # March's 40.00 left, 21 days × 0.001 × 40.00 = 0.84, then 40.00 and 79.16 — reversed on 04-12.
    account = world.account(UsageCategory.RESIDENTIAL)
    world.bill(account, item="billing.bill:1", amount="100.00", due=date(2026, 3, 20))
    world.bill(account, item="billing.bill:2", amount="80.00", due=date(2026, 4, 20))
    world.pay(account, "60.00", date(2026, 3, 15), "r-1")
    april = world.pay(account, "120.00", date(2026, 4, 10), "r-2")
    reverse_payment(actor=world.cashier, payment=april, reason="银行退票", now=moment(date(2026, 4, 12)))
    return world


def test_the_collection_rate_by_month_and_to_date(history: AccountsWorld, staff_user_factory: Any) -> None:
    auditor = staff_user_factory(username="auditor", org_unit=history.tree.province, roles=[Role.AUDITOR])
    rows = collection_rates(user=auditor, year=2026)
    assert [
        (
            r.org_unit_id,
            r.month,
            r.billed,
            r.collected,
            r.rate,
            r.billed_to_date,
            r.collected_to_date,
            r.rate_to_date,
        )
        for r in rows
    ] == [
        (
            history.tree.station.pk,
            3,
            Decimal("100.00"),
            Decimal("60.00"),
            Decimal("0.6000"),
            Decimal("100.00"),
            Decimal("60.00"),
            Decimal("0.6000"),
        ),
        (
            history.tree.station.pk,
            4,
            Decimal("80.00"),
            Decimal("0.00"),
            Decimal("0.0000"),
            Decimal("180.00"),
            Decimal("60.00"),
            Decimal("0.3333"),
        ),
    ]
    elsewhere = staff_user_factory(
        username="elsewhere", org_unit=history.tree.other_station, roles=[Role.AUDITOR]
    )
    assert collection_rates(user=elsewhere, year=2026) == []


def test_the_general_ledger_export_of_a_day_balances_and_is_audited(
    history: AccountsWorld, staff_user_factory: Any
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=history.tree.station, roles=[Role.BILLING_CLERK])
    rows = export_general_ledger_day(actor=clerk, on=date(2026, 4, 10), now=moment(date(2026, 4, 10)))
    assert rows == [
        ("2026-04-10", "37010201", "1001.01", "cash.on_hand", "库存现金", "120.00", "0.00", "1"),
        ("2026-04-10", "37010201", "6301.01", "income.late_fee", "违约金收入", "0.00", "0.84", "1"),
        ("2026-04-10", "37010201", "1122.01", "receivable.energy", "应收电费", "0.00", "119.16", "1"),
        ("2026-04-10", "37010201", "1122.02", "receivable.late_fee", "应收违约金", "0.84", "0.84", "2"),
    ]
    event = AuditEvent.objects.get(action="ledger.gl_exported")
    assert (event.actor_id, event.changes) == (clerk.pk, {"entry_date": "2026-04-10", "rows": 4})
    other = staff_user_factory(
        username="other", org_unit=history.tree.other_station, roles=[Role.BILLING_CLERK]
    )
    assert export_general_ledger_day(actor=other, on=date(2026, 4, 10), now=moment(date(2026, 4, 10))) == []


def test_the_ledger_page_shows_the_reports_and_downloads_the_export(
    history: AccountsWorld, staff_user_factory: Any, client: Any, log_in: Any
) -> None:
    clerk = staff_user_factory(username="clerk", org_unit=history.tree.station, roles=[Role.BILLING_CLERK])
    log_in(client, clerk)
    page = client.get("/ledger/", {"on": "2026-04-12", "year": "2026"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    # March: 60.00 of 100.00; to April: 60.00 of 180.00. Owed on 04-12 (the April payment
    # reversed): March's 40.00 (23 days past due) and April's 80.00 (not yet due), 0–30 days.
    assert "60.00%" in html
    assert "33.33%" in html
    assert page.context["aged"][0].bands == (
        Decimal("120.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert 'id="ledger-chart-data"' in html
    assert "vendor/echarts/echarts.min.js" in html
    download = client.get("/ledger/general-ledger.csv", {"on": "2026-04-10"})
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert (
        lines[0]
        == "entry_date,org_unit_code,gl_account,ledger_account,ledger_account_name,debit,credit,entries"
    )
    assert lines[1] == "2026-04-10,37010201,1001.01,cash.on_hand,库存现金,120.00,0.00,1"
    assert len(lines) == 5
    assert client.get("/ledger/general-ledger.csv").status_code == 400
