"""The dunning defects a review found, each shown fixed: a cut that happened is never lost (a
started remote order survives a payment; a late confirmation or "done" of a cancelled order is
recorded and reconnected at once); arrears and protection are re-checked before a remote command
and when a cut is recorded; a notice states its own class's date and the cut never comes before
it; new arrears get a new case; late fees keep the case open; a case opened by another run at the
same time does not fail the run."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dunning_world import BILL, DUE, at, day, make_account, run_day, serve_notice, steps_by_day

from gridcare.audit.models import AuditEvent
from gridcare.customers.models import Account, UsageCategory
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.notifications.models import OutboxMessage
from gridcare.payments.arrears_protection import add_protected_account
from gridcare.payments.dunning import DunningRunSummary, _dun_account, _read_chunk
from gridcare.payments.errors import SupplyOrderNotOpen
from gridcare.payments.models import (
    AccountSupply,
    DunningAction,
    DunningCase,
    DunningCaseStatus,
    DunningStepTaken,
    PaymentChannel,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.operations import record_payment
from gridcare.payments.supply_orders import (
    RemoteSwitchAnswer,
    complete_supply_order,
    record_remote_switch_confirmation,
    send_remote_switch_commands,
)

pytestmark = pytest.mark.django_db


class _SlowSwitch:
    """A remote-control interface that accepts every command and confirms it later, counting the
    commands it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bool]] = []

    def send(self, *, account_no: str, order_no: str, connect: bool) -> RemoteSwitchAnswer:
        self.sent.append((order_no, connect))
        return RemoteSwitchAnswer(command_id=f"CMD-{order_no}", confirmed=False)


def _commercial(org_tree: Any, sequence: int, *, remote: bool = False) -> Account:
    account = make_account(
        org_tree.station, sequence=sequence, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )
    if remote:
        AccountSupply.objects.create(account=account, remote_switch_capable=True)
    return account


def _through_day(last: int, *, account: Any, manager: Any, org_tree: Any, first: int = 1) -> None:
    for number in range(first, last + 1):
        run_day(number)
        if number == 26:
            serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=26)


def _pay(account: Any, cashier: Any, amount: str, number: int, serial: str, hour: int = 11) -> None:
    record_payment(
        actor=cashier,
        account=account,
        amount=Decimal(amount),
        channel=PaymentChannel.COUNTER_CASH,
        idempotency_key=serial,
        received_at=at(number, hour),
        now=at(number, hour),
    )


def _post(
    account: Any, org_tree: Any, *, kind: str, item: str, lines: list[PostingLine], number: int
) -> None:
    post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=org_tree.station.pk,
                kind=kind,
                entry_date=day(number),
                description=item,
                source=f"{item}:{kind}",
                lines=lines,
            )
        ],
        actor=None,
        now=at(number, 7),
    )


def _order(account: Any, kind: str = SupplyOrderKind.DISCONNECTION) -> SupplyOrder:
    return SupplyOrder.objects.get(account=account, kind=kind)


# --- 1. a cut that happened is never lost ------------------------------------------------------


def test_a_payment_after_the_remote_command_left_keeps_the_order_and_the_late_confirmation_reconnects(
    org_tree: Any, manager: Any, cashier: Any
) -> None:
    account = _commercial(org_tree, 31, remote=True)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    switch = _SlowSwitch()
    assert send_remote_switch_commands(interface=switch, now=at(31, 9)) == 1
    order = _order(account)

    _pay(account, cashier, "200.00", 31, "S-1", hour=10)  # before the meter confirms
    order.refresh_from_db()
    assert (order.status, order.cancelled_at) == (SupplyOrderStatus.OPEN, None)  # started: kept
    assert DunningCase.objects.get(account=account).status == DunningCaseStatus.CLOSED
    assert not SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).exists()  # not cut yet

    record_remote_switch_confirmation(order=order, confirmed_at=at(31, 10), now=at(31, 12))
    order.refresh_from_db()
    assert (order.status, order.done_at, order.command_confirmed_at) == (
        SupplyOrderStatus.DONE,
        at(31, 10),
        at(31, 10),
    )
    assert AccountSupply.objects.get(account=account).disconnected is True
    reconnection = _order(account, SupplyOrderKind.RECONNECTION)
    assert (reconnection.status, reconnection.dispatch, reconnection.created_at, reconnection.due_at) == (
        SupplyOrderStatus.OPEN,
        SupplyOrderDispatch.REMOTE,
        at(31, 12),
        at(31, 12) + timedelta(hours=24),
    )
    done = AuditEvent.objects.get(action="payments.disconnection_order_done")
    assert (done.changes["after_cancellation"], done.changes["reconnect_because"]) == (False, "arrears paid")
    # A repeated confirmation changes nothing.
    record_remote_switch_confirmation(order=order, confirmed_at=at(31, 13), now=at(31, 13))
    assert SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).count() == 1


def test_a_late_confirmation_of_a_cancelled_order_records_the_cut_and_reconnects(
    org_tree: Any, manager: Any
) -> None:
    from gridcare.payments.supply_orders import cancel_supply_order

    account = _commercial(org_tree, 32, remote=True)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    send_remote_switch_commands(interface=_SlowSwitch(), now=at(31, 9))
    order = cancel_supply_order(actor=manager, order=_order(account), reason="录入错误", now=at(31, 10))

    record_remote_switch_confirmation(
        order=order,
        confirmed_at=at(
            31,
            9,
        ),
        now=at(31, 11),
    )
    order.refresh_from_db()
    assert (order.status, order.done_at, order.cancel_reason) == (
        SupplyOrderStatus.DONE,
        at(31, 9),
        "录入错误",
    )
    assert AccountSupply.objects.get(account=account).disconnected is True
    reconnection = _order(account, SupplyOrderKind.RECONNECTION)
    assert (reconnection.created_at, reconnection.due_at) == (at(31, 11), at(31, 11) + timedelta(hours=24))


def test_a_field_cut_recorded_after_the_customer_paid_is_recorded_and_reconnected_at_once(
    org_tree: Any, manager: Any, cashier: Any
) -> None:
    account = _commercial(org_tree, 33)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    order = _order(account)
    assert order.dispatch == SupplyOrderDispatch.FIELD
    # Staff cut at 10:00; the customer pays at 10:30 (the order is cancelled: not started).
    _pay(account, cashier, "200.00", 31, "S-2", hour=10)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (SupplyOrderStatus.CANCELLED, "arrears paid")

    complete_supply_order(actor=manager, order=order, done_at=at(31, 10), now=at(31, 11))
    order.refresh_from_db()
    assert (order.status, order.done_at, order.done_by) == (SupplyOrderStatus.DONE, at(31, 10), manager)
    assert AccountSupply.objects.get(account=account).disconnected is True
    reconnection = _order(account, SupplyOrderKind.RECONNECTION)
    assert (reconnection.status, reconnection.created_at, reconnection.due_at) == (
        SupplyOrderStatus.OPEN,
        at(31, 11),
        at(31, 11) + timedelta(hours=24),
    )
    # Recorded once: a second "done" is refused and changes nothing.
    with pytest.raises(SupplyOrderNotOpen):
        complete_supply_order(actor=manager, order=order, done_at=at(31, 12), now=at(31, 12))
    assert SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).count() == 1


# --- 2. arrears re-checked before a command and when a cut is recorded -------------------------


def _adjust_bill_away(account: Any, org_tree: Any, *, sequence: int, number: int) -> None:
    """The account's bill (dunning_world's ``billing.bill:<sequence>``) credited in full by an
    adjustment: cleared without a payment, so no payment hook runs."""
    item = f"billing.bill:{sequence}"
    _post(
        account,
        org_tree,
        kind=JournalEntryKind.BILL_ADJUSTED,
        item=item,
        number=number,
        lines=[
            PostingLine(code=ChartCode.ENERGY_REVENUE, debit=BILL),
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY,
                credit=BILL,
                customer_account_id=account.pk,
                item=item,
                due_date=DUE,
            ),
        ],
    )


def test_no_remote_command_leaves_once_the_arrears_are_cleared(org_tree: Any, manager: Any) -> None:
    account = _commercial(org_tree, 34, remote=True)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    _adjust_bill_away(account, org_tree, sequence=34, number=31)
    switch = _SlowSwitch()

    assert send_remote_switch_commands(interface=switch, now=at(31, 9)) == 0
    assert switch.sent == []
    order = _order(account)
    assert (order.status, order.command_sent_at, order.cancel_reason) == (
        SupplyOrderStatus.CANCELLED,
        None,
        "arrears paid",
    )


def test_a_field_cut_recorded_after_the_arrears_cleared_without_a_payment_is_reconnected_at_once(
    org_tree: Any, manager: Any
) -> None:
    account = _commercial(org_tree, 35)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    _adjust_bill_away(account, org_tree, sequence=35, number=31)

    complete_supply_order(actor=manager, order=_order(account), done_at=at(31, 14), now=at(31, 15))
    assert AccountSupply.objects.get(account=account).disconnected is True
    reconnection = _order(account, SupplyOrderKind.RECONNECTION)
    assert (reconnection.created_at, reconnection.due_at) == (at(31, 15), at(31, 15) + timedelta(hours=24))


# --- 3. the notice states its class's date; the cut never comes before it ----------------------


def test_each_class_notice_states_its_own_disconnection_date(org_tree: Any, manager: Any) -> None:
    commercial = _commercial(org_tree, 36)
    residential = make_account(org_tree.station, sequence=37, now=at(0))
    _through_day(26, account=commercial, manager=manager, org_tree=org_tree)

    stated = {
        step.case.account_id: step.disconnect_on
        for step in DunningStepTaken.objects.filter(action=DunningAction.DISCONNECTION_NOTICE)
    }
    assert stated == {commercial.pk: day(31), residential.pk: day(34)}
    sms = OutboxMessage.objects.get(
        event="arrears_notice", channel="sms", recipient_key=f"account:{commercial.pk}"
    )
    assert sms.context["disconnect_date"] == day(31).isoformat()


def test_no_cut_before_the_date_the_notice_stated(org_tree: Any, manager: Any) -> None:
    account = _commercial(org_tree, 38)
    _through_day(30, account=account, manager=manager, org_tree=org_tree)
    # A notice that stated a later day (an older plan's lead) holds the cut until that day.
    DunningStepTaken.objects.filter(action=DunningAction.DISCONNECTION_NOTICE).update(disconnect_on=day(33))
    run_day(31)
    run_day(32)
    assert not SupplyOrder.objects.exists()
    assert DunningCase.objects.get(account=account).waiting_reason == (
        f"notice stated disconnection on {day(33).isoformat()}"
    )
    run_day(33)
    assert _order(account).created_at == at(33)


# --- 4. new arrears, new case ------------------------------------------------------------------


def _second_bill(account: Any, org_tree: Any, *, due: date) -> None:
    item = f"billing.bill:second-{account.pk}"
    _post(
        account,
        org_tree,
        kind=JournalEntryKind.BILL_ISSUED,
        item=item,
        number=5,
        lines=[
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY,
                debit=BILL,
                customer_account_id=account.pk,
                item=item,
                due_date=due,
            ),
            PostingLine(code=ChartCode.ENERGY_REVENUE, credit=BILL),
        ],
    )


def test_when_the_oldest_bill_is_paid_and_a_newer_one_is_overdue_a_new_case_needs_a_new_notice(
    org_tree: Any, manager: Any
) -> None:
    account = _commercial(org_tree, 39)
    _second_bill(account, org_tree, due=day(20))
    _through_day(29, account=account, manager=manager, org_tree=org_tree)
    _adjust_bill_away(account, org_tree, sequence=39, number=29)  # the oldest bill is settled

    _through_day(55, account=account, manager=manager, org_tree=org_tree, first=30)

    cases = list(DunningCase.objects.filter(account=account).order_by("pk"))
    assert [(case.status, case.oldest_due_date) for case in cases] == [
        (DunningCaseStatus.CLOSED, DUE),
        (DunningCaseStatus.OPEN, day(20)),
    ]
    # The day-26 notice was about the first bill: the new case cut nobody without its own.
    assert not SupplyOrder.objects.exists()
    assert cases[1].waiting_reason == "disconnection notice not served"
    assert steps_by_day(account) == [
        (3, "reminder_day_3", "sent"),
        (15, "reminder_day_15", "sent"),
        (25, "formal_notice", "sent"),
        (26, "disconnection_notice", "sent"),
        (30, "reminder_day_3", "sent"),  # the new case, 10 days after the second bill's due date
        (35, "reminder_day_15", "sent"),
        (45, "formal_notice", "sent"),
        (46, "disconnection_notice", "sent"),
        (50, "reminder_before_cut_non_residential", "sent"),
    ]
    closed = AuditEvent.objects.get(action="payments.dunning_case_closed")
    assert closed.changes == {"reason": "oldest overdue bill changed"}


# --- 5. protection cancels an open order and is re-checked ------------------------------------


def test_protecting_an_account_cancels_its_open_disconnection_order(org_tree: Any, manager: Any) -> None:
    account = _commercial(org_tree, 40)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    add_protected_account(actor=manager, account=account, reason="生命支持设备", now=at(31, 12))
    order = _order(account)
    assert (order.status, order.cancelled_by, order.cancel_reason) == (
        SupplyOrderStatus.CANCELLED,
        manager,
        "protected",
    )


def test_no_remote_command_for_an_account_protected_since_the_order(org_tree: Any, manager: Any) -> None:
    account = _commercial(org_tree, 41, remote=True)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    Account.objects.filter(pk=account.pk).update(is_key_account=True)
    switch = _SlowSwitch()
    assert send_remote_switch_commands(interface=switch, now=at(31, 9)) == 0
    assert switch.sent == []
    assert _order(account).cancel_reason == "protected: key_account"


def test_a_started_cut_of_an_account_protected_meanwhile_is_reconnected_at_once(
    org_tree: Any, manager: Any
) -> None:
    account = _commercial(org_tree, 42, remote=True)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    send_remote_switch_commands(interface=_SlowSwitch(), now=at(31, 9))
    add_protected_account(actor=manager, account=account, reason="生命支持设备", now=at(31, 10))
    order = _order(account)
    assert order.status == SupplyOrderStatus.OPEN  # its command left: kept
    record_remote_switch_confirmation(order=order, confirmed_at=at(31, 10), now=at(31, 11))
    assert AccountSupply.objects.get(account=account).disconnected is True
    assert _order(account, SupplyOrderKind.RECONNECTION).created_at == at(31, 11)


# --- 6. late fees keep the case open ---------------------------------------------------------


def _late_fee(account: Any, org_tree: Any, *, sequence: int, number: int) -> None:
    item = f"late_fee:billing.bill:{sequence}"
    _post(
        account,
        org_tree,
        kind=JournalEntryKind.LATE_FEE,
        item=item,
        number=number,
        lines=[
            PostingLine(
                code=ChartCode.RECEIVABLE_LATE_FEE,
                debit=Decimal("3.10"),
                customer_account_id=account.pk,
                item=item,
                due_date=day(number),
            ),
            PostingLine(code=ChartCode.LATE_FEE_INCOME, credit=Decimal("3.10")),
        ],
    )


def test_open_late_fees_keep_the_case_and_the_order_and_the_reconnection_waits_for_them(
    org_tree: Any, manager: Any, cashier: Any
) -> None:
    account = _commercial(org_tree, 43)
    _through_day(31, account=account, manager=manager, org_tree=org_tree)
    complete_supply_order(actor=manager, order=_order(account), done_at=at(31, 14), now=at(31, 15))
    _late_fee(account, org_tree, sequence=43, number=31)
    _adjust_bill_away(account, org_tree, sequence=43, number=32)  # the bill settled, the late fee open

    summary = run_day(32)
    case = DunningCase.objects.get(account=account)
    assert (case.status, case.amount_overdue, case.oldest_due_date) == (
        DunningCaseStatus.OPEN,
        Decimal("3.10"),
        DUE,
    )
    assert (summary.cases_closed, summary.reconnection_orders) == (0, 0)
    assert not SupplyOrder.objects.filter(kind=SupplyOrderKind.RECONNECTION).exists()

    _pay(account, cashier, "3.10", 32, "S-3")
    case.refresh_from_db()
    assert case.status == DunningCaseStatus.CLOSED
    assert _order(account, SupplyOrderKind.RECONNECTION).created_at == at(32, 11)


# --- 7. a case opened by another run at the same time -----------------------------------------


def test_a_case_opened_by_another_run_meanwhile_does_not_fail_the_run(org_tree: Any) -> None:
    account = make_account(org_tree.station, sequence=44, now=at(0))
    stale = _read_chunk(account_ids=[account.pk], on=day(3))  # read before the other run
    run_day(3)  # the other run opens the case and sends the day-3 reminder
    summary = DunningRunSummary()

    _dun_account(account_id=account.pk, chunk=stale, on=day(3), now=at(3, 9), plans={}, summary=summary)

    assert (summary.cases_opened, summary.steps_sent, summary.failures) == (0, 0, 0)
    assert DunningCase.objects.filter(account=account).count() == 1
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent")]


def test_dunning_resumed_after_an_agreement_ended_months_later_needs_a_new_notice(
    org_tree: Any, manager: Any
) -> None:
    from gridcare.payments.arrears_protection import cancel_instalment_agreement, create_instalment_agreement

    account = _commercial(org_tree, 45)
    _through_day(28, account=account, manager=manager, org_tree=org_tree)  # notice served on day 26
    agreement = create_instalment_agreement(
        actor=manager, account=account, instalments=[(day(90), Decimal("100.00"))], now=at(28, 12)
    )
    _through_day(80, account=account, manager=manager, org_tree=org_tree, first=29)
    cancel_instalment_agreement(actor=manager, agreement=agreement, reason="客户要求", now=at(80, 12))

    _through_day(88, account=account, manager=manager, org_tree=org_tree, first=81)

    # The old case's notice (day 26, before the agreement) carries no cut: a new case walks the
    # plan again, one step a day, and waits for its own notice to be served.
    assert not SupplyOrder.objects.exists()
    cases = list(DunningCase.objects.filter(account=account).order_by("pk"))
    assert [case.status for case in cases] == [DunningCaseStatus.CLOSED, DunningCaseStatus.OPEN]
    assert [code for number, code, _outcome in steps_by_day(account) if number > 80] == [
        "reminder_day_3",
        "reminder_day_15",
        "formal_notice",
        "disconnection_notice",
        "reminder_before_cut_non_residential",
    ]
    assert cases[1].waiting_reason == "disconnection notice not served"
