"""Paying the arrears cancels an open disconnection order; once a disconnected account's arrears
are cleared a reconnection order is created at once, due within 24 hours; past the limit the
responsible staff are alarmed (once) and the alarm is audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from dunning_world import at, day, make_account, run_day, serve_notice

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import UsageCategory
from gridcare.identity.models import Role
from gridcare.notifications.models import OutboxMessage
from gridcare.payments.models import (
    AccountSupply,
    DunningCase,
    DunningCaseStatus,
    PaymentChannel,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.operations import record_payment
from gridcare.payments.supply_orders import alarm_reconnection_breaches, complete_supply_order

pytestmark = pytest.mark.django_db


def _to_disconnection_order(account: Any, manager: Any, org_tree: Any) -> SupplyOrder:
    for number in range(1, 32):
        run_day(number)
        if number == 26:
            serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=26)
    return SupplyOrder.objects.get(account=account, kind=SupplyOrderKind.DISCONNECTION)


def _pay(account: Any, cashier: Any, amount: str, number: int, serial: str) -> None:
    # More than the bill: whatever late fee the payment day charges is covered, the rest prepaid.
    record_payment(
        actor=cashier,
        account=account,
        amount=Decimal(amount),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key=serial,
        received_at=at(number, 11),
        now=at(number, 11),
    )


@pytest.fixture
def commercial(org_tree: Any) -> Any:
    return make_account(
        org_tree.station, sequence=21, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )


def test_paying_cancels_the_open_disconnection_order(
    org_tree: Any, manager: Any, cashier: Any, commercial: Any
) -> None:
    order = _to_disconnection_order(commercial, manager, org_tree)
    _pay(commercial, cashier, "30.00", 32, "S-1")  # part: still overdue, the order stays
    order.refresh_from_db()
    assert order.status == SupplyOrderStatus.OPEN
    _pay(commercial, cashier, "200.00", 32, "S-2")
    order.refresh_from_db()
    assert (order.status, order.cancelled_at, order.cancelled_by, order.cancel_reason) == (
        SupplyOrderStatus.CANCELLED,
        at(32, 11),
        cashier,
        "arrears paid",
    )
    assert DunningCase.objects.get(account=commercial).status == DunningCaseStatus.CLOSED
    assert not SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).exists()  # never cut
    assert run_day(33).accounts_overdue == 0


def test_clearing_a_disconnected_account_creates_the_reconnection_order_at_once(
    org_tree: Any, manager: Any, cashier: Any, commercial: Any, staff_user_factory: Any
) -> None:
    order = _to_disconnection_order(commercial, manager, org_tree)
    complete_supply_order(actor=manager, order=order, done_at=at(31, 15), now=at(31, 16))
    order.refresh_from_db()
    assert (order.status, order.done_at, order.done_by) == (SupplyOrderStatus.DONE, at(31, 15), manager)
    assert AccountSupply.objects.get(account=commercial).disconnected is True

    _pay(commercial, cashier, "200.00", 33, "S-9")
    reconnection = SupplyOrder.objects.get(account=commercial, kind=SupplyOrderKind.RECONNECTION)
    assert (reconnection.status, reconnection.dispatch, reconnection.created_at, reconnection.due_at) == (
        SupplyOrderStatus.OPEN,
        SupplyOrderDispatch.FIELD,
        at(33, 11),
        at(33, 11) + timedelta(hours=24),
    )
    assert reconnection.order_no == "FD2025022200000001"
    assert AuditEvent.objects.filter(action="payments.reconnection_order_created", actor=cashier).count() == 1

    # The limit: nothing at 23:59:59 after; the alarm at 24 h, once.
    supervisor = staff_user_factory(
        username="supervisor", org_unit=org_tree.county, roles=[Role.MARKETING_SUPERVISOR]
    )
    supervisor.email = "supervisor@example.cn"
    supervisor.save(update_fields=["email"])
    manager.email = "manager@example.cn"
    manager.save(update_fields=["email"])
    staff_user_factory(username="elsewhere", org_unit=org_tree.other_station, roles=[Role.ACCOUNT_MANAGER])
    assert alarm_reconnection_breaches(now=reconnection.due_at - timedelta(seconds=1)) == 0
    assert alarm_reconnection_breaches(now=reconnection.due_at) == 1
    assert alarm_reconnection_breaches(now=reconnection.due_at + timedelta(hours=1)) == 0
    reconnection.refresh_from_db()
    assert reconnection.breach_alarmed_at == reconnection.due_at
    alarms = OutboxMessage.objects.filter(event="reconnection_breach").order_by("address")
    assert [(message.channel, message.address) for message in alarms] == [
        ("email", "manager@example.cn"),
        ("email", "supervisor@example.cn"),
    ]
    assert "FD2025022200000001" in alarms[0].body
    event = AuditEvent.objects.get(action="payments.reconnection_limit_breached")
    assert event.changes["alarmed"] == ["manager", "supervisor"]

    complete_supply_order(actor=manager, order=reconnection, done_at=at(34, 12), now=at(34, 12))
    assert AccountSupply.objects.get(account=commercial).disconnected is False


def test_a_payment_that_leaves_arrears_creates_no_reconnection_order(
    org_tree: Any, manager: Any, cashier: Any, commercial: Any
) -> None:
    order = _to_disconnection_order(commercial, manager, org_tree)
    complete_supply_order(actor=manager, order=order, done_at=at(31, 15), now=at(31, 16))
    _pay(commercial, cashier, "50.00", 33, "S-3")
    assert not SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).exists()
    assert DunningCase.objects.get(account=commercial).status == DunningCaseStatus.OPEN


def test_the_run_reconnects_an_account_cleared_without_a_payment(
    org_tree: Any, manager: Any, commercial: Any
) -> None:
    from gridcare.ledger.chart import ChartCode
    from gridcare.ledger.models import JournalEntryKind
    from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries

    order = _to_disconnection_order(commercial, manager, org_tree)
    complete_supply_order(actor=manager, order=order, done_at=at(31, 15), now=at(31, 16))
    # An adjustment credits the whole bill (a billing error, no payment).
    post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=org_tree.station.pk,
                kind=JournalEntryKind.BILL_ADJUSTED,
                entry_date=day(32),
                description="adjustment",
                source="billing.bill:21:adjusted",
                lines=[
                    PostingLine(code=ChartCode.ENERGY_REVENUE, debit=Decimal("100.00")),
                    PostingLine(
                        code=ChartCode.RECEIVABLE_ENERGY,
                        credit=Decimal("100.00"),
                        customer_account_id=commercial.pk,
                        item="billing.bill:21",
                        due_date=day(0),
                    ),
                ],
            )
        ],
        actor=None,
        now=at(32, 9),
    )
    summary = run_day(33)
    assert (summary.cases_closed, summary.reconnection_orders) == (1, 1)
    reconnection = SupplyOrder.objects.get(account=commercial, kind=SupplyOrderKind.RECONNECTION)
    assert reconnection.due_at == at(33) + timedelta(hours=24)
    assert run_day(33).reconnection_orders == 0
