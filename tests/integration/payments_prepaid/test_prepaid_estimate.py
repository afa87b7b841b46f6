"""The daily estimate: the billing engine prices the usage since the last issued bill (or the
arrangement's start) from register reads, exactly as a bill would; a rerun the same day changes
nothing and sends nothing again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from prepaid_world import at, install_meter, make_account, pay, read_meter

from gridcare.billing.models import Bill, BillKind, BillStatus
from gridcare.billing.prepaid_estimates import estimate_prepaid_accounts
from gridcare.metering.models import Meter
from gridcare.notifications.models import OutboxMessage
from gridcare.payments.models import PrepaidAlert, PrepaidArrangement
from gridcare.payments.prepaid import start_prepaid

pytestmark = pytest.mark.django_db


@pytest.fixture
def metered(org_tree: Any, cashier: Any) -> Any:
    """Prepaid from 1 March with 60.00 paid in; the meter, installed on 1 March at 08:00 at zero,
    reads 50 kWh at midnight starting 11 March (daily frozen read)."""
    account = make_account(org_tree.station, sequence=31)
    meter = install_meter(account, sequence=31, installed_at=at(1, 8))
    read_meter(meter, read_at=at(11, 0), total="50")
    pay(account, cashier, "60.00", at(1, 9), "P-31-1")
    start_prepaid(actor=cashier, account=account, now=at(1, 10))
    return account


def test_the_estimate_prices_the_usage_since_the_start_at_the_tariffs_rate(metered: Any) -> None:
    summary = estimate_prepaid_accounts(on=date(2025, 3, 11), now=at(11, 7))

    arrangement = PrepaidArrangement.objects.get(account=metered)
    # 1–10 March: 50 kWh, all in the first tier (240 kWh a month, shared by days: 77.42 kWh
    # for 10 days) at 0.4883 yuan/kWh = 24.415 → 24.42. Available: 60.00 − 24.42 = 35.58.
    assert arrangement.estimated_charges == Decimal("24.42")
    assert arrangement.estimate_through == date(2025, 3, 10)
    assert arrangement.available_balance == Decimal("35.58")
    # Below 50.00 only: one alert, for 50.00.
    assert summary.as_data() == {
        "arrangements": 1,
        "alerts_sent": 1,
        "cutoffs_ordered": 0,
        "cutoffs_waiting": 0,
        "cutoffs_skipped_protected": 0,
        "cutoffs_lifted": 0,
        "not_estimated": [],
    }
    assert arrangement.alerts_sent == ["50.00"]
    assert sorted(
        OutboxMessage.objects.filter(event="prepaid_low_balance").values_list("channel", flat=True)
    ) == [
        "sms",
        "wechat",
    ]


def test_a_rerun_the_same_day_changes_nothing_and_sends_nothing_again(metered: Any) -> None:
    estimate_prepaid_accounts(on=date(2025, 3, 11), now=at(11, 7))
    again = estimate_prepaid_accounts(on=date(2025, 3, 11), now=at(11, 9))

    arrangement = PrepaidArrangement.objects.get(account=metered)
    assert (arrangement.estimated_charges, arrangement.available_balance) == (
        Decimal("24.42"),
        Decimal("35.58"),
    )
    assert again.alerts_sent == 0
    assert PrepaidAlert.objects.count() == 1
    assert OutboxMessage.objects.filter(event="prepaid_low_balance").count() == 2


def test_the_estimate_starts_at_the_end_of_the_last_issued_bill(metered: Any) -> None:
    # A bill issued for 1–5 March (the first 25 kWh, say): the estimate covers 6–10 March only.
    Bill.objects.create(
        org_unit=metered.org_unit,
        account=metered,
        kind=BillKind.REGULAR,
        status=BillStatus.ISSUED,
        period_start=date(2025, 3, 1),
        period_end=date(2025, 3, 6),
        tariff_code="CN-BJ-RES-2012",
        energy_kwh=Decimal("25.000"),
        total=Decimal("12.21"),
        calculated_at=at(6, 7),
        number="B2025030600000001",
        issued_at=at(6, 8),
        due_date=date(2025, 3, 20),
    )
    read_meter(Meter.objects.get(asset_no="3710002000031"), read_at=at(6, 0), total="20")

    estimate_prepaid_accounts(on=date(2025, 3, 11), now=at(11, 7))

    # 6–10 March: 50 − 20 = 30 kWh × 0.4883 = 14.649 → 14.65.
    assert PrepaidArrangement.objects.get(account=metered).estimated_charges == Decimal("14.65")
