"""Switching postpaid → prepaid settles the balance (refused, changing nothing, while arrears
remain) and prepaid → postpaid ends the arrangement, keeping the prepaid balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from prepaid_world import at, make_account, pay, post_bill, prepaid_balance

from gridcare.audit.models import AuditEvent
from gridcare.identity.errors import AccessDenied
from gridcare.identity.models import Role
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.queries import open_items_by_account
from gridcare.payments.errors import PrepaidAlreadyActive, PrepaidSettingsInvalid, PrepaidSwitchArrears
from gridcare.payments.models import (
    AccountSupply,
    PrepaidArrangement,
    PrepaidCutoff,
    PrepaidStatus,
    SupplyOrder,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.prepaid import end_prepaid, record_prepaid_estimates, start_prepaid
from gridcare.payments.supply_orders import SimulatedRemoteSwitch, send_remote_switch_commands

pytestmark = pytest.mark.django_db


def _open_bills(account: Any) -> list[tuple[str, Decimal]]:
    items = open_items_by_account(customer_account_ids=[account.pk], codes=[ChartCode.RECEIVABLE_ENERGY])
    return [(item.item, item.open_amount) for item in items.get(account.pk, [])]


def test_switching_with_arrears_left_is_refused_with_the_amount_and_changes_nothing(
    org_tree: Any, cashier: Any
) -> None:
    account = make_account(org_tree.station, sequence=51)
    post_bill(account, amount="100.00", due=date(2025, 3, 20), item="billing.bill:51")
    pay(account, cashier, "30.00", at(1, 9), "P-51-1")  # pays 30.00 of the bill
    events = AuditEvent.objects.count()

    with pytest.raises(PrepaidSwitchArrears) as refused:
        start_prepaid(actor=cashier, account=account, now=at(2, 10))

    assert refused.value.message("en") == (
        f"Account {account.account_no} still owes 70.00 yuan (late fees included): "
        "pay it before switching to prepaid."
    )
    assert not PrepaidArrangement.objects.exists()
    assert _open_bills(account) == [("billing.bill:51", Decimal("70.00"))]
    assert AuditEvent.objects.count() == events


def test_switching_applies_the_prepaid_balance_to_the_bills_first(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=52)
    pay(account, cashier, "130.00", at(1, 9), "P-52-1")  # nothing owed yet: all prepaid
    post_bill(account, amount="100.00", due=date(2025, 3, 20), item="billing.bill:52")

    arrangement = start_prepaid(actor=cashier, account=account, now=at(2, 10))

    assert _open_bills(account) == []
    assert prepaid_balance(account) == Decimal("30.00")
    assert (arrangement.status, arrangement.started_on, arrangement.available_balance) == (
        PrepaidStatus.ACTIVE,
        date(2025, 3, 2),
        Decimal("30.00"),
    )
    assert arrangement.alert_thresholds == ["50.00", "20.00", "0.00"]
    assert arrangement.allowed_overdraft == Decimal("0.00")
    event = AuditEvent.objects.get(action="payments.prepaid_started")
    assert event.changes["prepaid"] == "30.00"

    with pytest.raises(PrepaidAlreadyActive):
        start_prepaid(actor=cashier, account=account, now=at(2, 11))


def test_switching_back_ends_the_arrangement_and_keeps_the_prepaid(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=53)
    pay(account, cashier, "30.00", at(1, 9), "P-53-1")
    start_prepaid(actor=cashier, account=account, now=at(1, 10))
    record_prepaid_estimates(estimates={account.pk: Decimal("12.34")}, through=date(2025, 3, 4), now=at(5, 8))

    ended = end_prepaid(
        actor=cashier, arrangement=PrepaidArrangement.objects.get(account=account), now=at(5, 10)
    )

    assert (ended.status, ended.ended_on, ended.estimated_charges) == (
        PrepaidStatus.ENDED,
        date(2025, 3, 5),
        Decimal("12.34"),
    )
    assert prepaid_balance(account) == Decimal("30.00")
    assert AuditEvent.objects.get(action="payments.prepaid_ended").changes["estimated_charges"] == "12.34"


def test_switching_back_while_cut_off_orders_the_reconnection(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=54)
    AccountSupply.objects.create(account=account, remote_switch_capable=True)
    start_prepaid(actor=cashier, account=account, now=at(1, 10))
    record_prepaid_estimates(estimates={account.pk: Decimal("5.00")}, through=date(2025, 3, 2), now=at(3, 9))
    send_remote_switch_commands(interface=SimulatedRemoteSwitch(), now=at(3, 9))

    ended = end_prepaid(
        actor=cashier, arrangement=PrepaidArrangement.objects.get(account=account), now=at(3, 10)
    )

    assert ended.cutoff == PrepaidCutoff.NONE
    reconnection = SupplyOrder.objects.get(account=account, kind=SupplyOrderKind.RECONNECTION)
    assert reconnection.status == SupplyOrderStatus.OPEN


def test_switching_needs_the_permission_and_valid_settings(
    org_tree: Any, cashier: Any, staff_user_factory: Any
) -> None:
    account = make_account(org_tree.station, sequence=55)
    reader = staff_user_factory(username="reader", org_unit=org_tree.station, roles=[Role.METER_READER])
    elsewhere = staff_user_factory(username="other", org_unit=org_tree.other_station, roles=[Role.CASHIER])

    with pytest.raises(AccessDenied):
        start_prepaid(actor=reader, account=account, now=at(1, 10))
    with pytest.raises(AccessDenied):
        start_prepaid(actor=elsewhere, account=account, now=at(1, 10))
    with pytest.raises(PrepaidSettingsInvalid) as refused:
        start_prepaid(actor=cashier, account=account, alert_thresholds=["50.005"], now=at(1, 10))
    assert refused.value.field == "alert_thresholds"
    with pytest.raises(PrepaidSettingsInvalid):
        start_prepaid(actor=cashier, account=account, allowed_overdraft="-1.00", now=at(1, 10))

    assert not PrepaidArrangement.objects.exists()
