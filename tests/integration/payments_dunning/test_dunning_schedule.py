"""The default plan day by day: which step happens on which day for a residential and a
non-residential account, each once; disconnection not before day 31 nor before the notice has
been served 7 (residential) / 3 (others) days; reruns and a crash mid-run send nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from dunning_world import at, day, make_account, run_day, serve_notice, steps_by_day

from gridcare.customers.models import UsageCategory
from gridcare.notifications.models import OutboxMessage
from gridcare.payments import dunning
from gridcare.payments.models import (
    DunningCase,
    DunningStepTaken,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)

pytestmark = pytest.mark.django_db

RESIDENTIAL_SCHEDULE = [
    (3, "reminder_day_3", "sent"),
    (15, "reminder_day_15", "sent"),
    (25, "formal_notice", "sent"),
    (26, "disconnection_notice", "sent"),
    (33, "reminder_before_cut_residential", "sent"),
    (34, "disconnection_residential", "order_created"),
]
NON_RESIDENTIAL_SCHEDULE = [
    (3, "reminder_day_3", "sent"),
    (15, "reminder_day_15", "sent"),
    (25, "formal_notice", "sent"),
    (26, "disconnection_notice", "sent"),
    (30, "reminder_before_cut_non_residential", "sent"),
    (31, "disconnection_non_residential", "order_created"),
]


def _run_days(
    first: int, last: int, *, serve_on: int | None, account: Any, manager: Any, org_tree: Any
) -> None:
    for number in range(first, last + 1):
        run_day(number)
        if number == serve_on:
            serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=number)


def _messages(account: Any) -> list[tuple[str, str]]:
    return sorted(
        OutboxMessage.objects.filter(recipient_key=f"account:{account.pk}").values_list("event", "channel")
    )


def test_residential_schedule_day_by_day(org_tree: Any, manager: Any) -> None:
    account = make_account(org_tree.station, sequence=1, now=at(0))
    _run_days(1, 45, serve_on=26, account=account, manager=manager, org_tree=org_tree)
    assert steps_by_day(account) == RESIDENTIAL_SCHEDULE
    assert _messages(account) == [
        ("arrears_formal_notice", "sms"),
        ("arrears_formal_notice", "wechat"),
        ("arrears_notice", "letter"),
        ("arrears_notice", "sms"),
        ("arrears_reminder", "sms"),
        ("arrears_reminder", "sms"),
        ("arrears_reminder", "wechat"),
        ("arrears_reminder", "wechat"),
        ("disconnection_reminder", "sms"),
        ("disconnection_reminder", "wechat"),
    ]
    order = SupplyOrder.objects.get(account=account)
    assert (order.kind, order.status, order.dispatch) == (
        SupplyOrderKind.DISCONNECTION,
        SupplyOrderStatus.OPEN,
        SupplyOrderDispatch.FIELD,
    )
    assert order.created_at == at(34)
    assert order.order_no == "TD2025022300000001"
    case = DunningCase.objects.get(account=account)
    assert (case.stage, case.amount_overdue, case.oldest_due_date) == ("disconnection", 100, day(0))


def test_non_residential_schedule_day_by_day(org_tree: Any, manager: Any) -> None:
    account = make_account(
        org_tree.station, sequence=2, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )
    _run_days(1, 40, serve_on=26, account=account, manager=manager, org_tree=org_tree)
    assert steps_by_day(account) == NON_RESIDENTIAL_SCHEDULE
    assert SupplyOrder.objects.get(account=account).created_at == at(31)


def test_no_disconnection_before_the_notice_has_been_served_seven_days_residential(
    org_tree: Any, manager: Any
) -> None:
    account = make_account(org_tree.station, sequence=3, now=at(0))
    _run_days(1, 34, serve_on=None, account=account, manager=manager, org_tree=org_tree)
    case = DunningCase.objects.get(account=account)
    assert case.waiting_reason == "disconnection notice not served"
    serve_notice(account=account, actor=manager, org_unit=org_tree.station, number=30)
    _run_days(35, 36, serve_on=None, account=account, manager=manager, org_tree=org_tree)
    case.refresh_from_db()
    assert case.waiting_reason == "notice served less than 7 days ago"
    assert not SupplyOrder.objects.filter(account=account).exists()
    run_day(37)  # served on day 30: 30 + 7 = 37
    assert steps_by_day(account)[-2:] == [
        (33, "reminder_before_cut_residential", "sent"),
        (37, "disconnection_residential", "order_created"),
    ]


def test_no_disconnection_before_the_notice_has_been_served_three_days_non_residential(
    org_tree: Any, manager: Any
) -> None:
    account = make_account(
        org_tree.station, sequence=4, usage_category=UsageCategory.LARGE_INDUSTRY, now=at(0)
    )
    _run_days(1, 40, serve_on=32, account=account, manager=manager, org_tree=org_tree)
    assert steps_by_day(account)[-2:] == [
        (30, "reminder_before_cut_non_residential", "sent"),
        (35, "disconnection_non_residential", "order_created"),
    ]


def test_a_remote_capable_meter_gets_a_remote_order(org_tree: Any, manager: Any) -> None:
    from gridcare.payments.models import AccountSupply
    from gridcare.payments.supply_orders import SimulatedRemoteSwitch, send_remote_switch_commands

    account = make_account(
        org_tree.station, sequence=5, usage_category=UsageCategory.GENERAL_COMMERCIAL, now=at(0)
    )
    AccountSupply.objects.create(account=account, remote_switch_capable=True)
    _run_days(1, 31, serve_on=26, account=account, manager=manager, org_tree=org_tree)
    order = SupplyOrder.objects.get(account=account)
    assert (order.dispatch, order.status, order.command_sent_at) == (SupplyOrderDispatch.REMOTE, "open", None)
    assert send_remote_switch_commands(interface=SimulatedRemoteSwitch(), now=at(31, 9)) == 1
    order.refresh_from_db()
    assert (order.status, order.command_sent_at, order.command_confirmed_at, order.done_at) == (
        SupplyOrderStatus.DONE,
        at(31, 9),
        at(31, 9),
        at(31, 9),
    )
    assert order.command_id.startswith("SIM-")
    assert AccountSupply.objects.get(account=account).disconnected is True
    assert send_remote_switch_commands(interface=SimulatedRemoteSwitch(), now=at(31, 10)) == 0


def test_a_rerun_the_same_day_takes_nothing_again(org_tree: Any, manager: Any) -> None:
    account = make_account(org_tree.station, sequence=6, now=at(0))
    first = run_day(3)
    second = run_day(3)
    assert (first.steps_sent, first.cases_opened, second.steps_sent, second.cases_opened) == (1, 1, 0, 0)
    assert steps_by_day(account) == [(3, "reminder_day_3", "sent")]
    assert _messages(account) == [("arrears_reminder", "sms"), ("arrears_reminder", "wechat")]


def test_a_crash_mid_run_and_a_rerun_send_each_step_once(
    org_tree: Any, manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_account(org_tree.station, sequence=7, now=at(0))
    second = make_account(org_tree.station, sequence=8, now=at(0))
    real_notify = dunning.notify
    calls = []

    def crash_on_second_account(**kwargs: Any) -> Any:
        calls.append(kwargs["dedupe_key"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_notify(**kwargs)

    monkeypatch.setattr(dunning, "notify", crash_on_second_account)
    with pytest.raises(RuntimeError):
        run_day(3, chunk_size=1)
    # The first account's chunk committed; the second's rolled back whole.
    assert steps_by_day(first) == [(3, "reminder_day_3", "sent")]
    assert steps_by_day(second) == []
    monkeypatch.setattr(dunning, "notify", real_notify)
    summary = run_day(3, chunk_size=1)
    assert summary.steps_sent == 1
    for account in (first, second):
        assert steps_by_day(account) == [(3, "reminder_day_3", "sent")]
        assert _messages(account) == [("arrears_reminder", "sms"), ("arrears_reminder", "wechat")]
    assert DunningStepTaken.objects.count() == 2


def test_a_quiet_day_runs_in_a_fixed_number_of_queries_however_many_accounts(org_tree: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def quiet_day_queries(new_accounts: range) -> int:
        for sequence in new_accounts:
            make_account(org_tree.station, sequence=sequence, now=at(0))
        run_day(3)  # opens the new cases and sends their day-3 reminders
        with CaptureQueriesContext(connection) as captured:
            summary = run_day(4)
        assert (summary.accounts_overdue, summary.steps_sent, summary.cases_opened) == (
            DunningCase.objects.count(),
            0,
            0,
        )
        # Each account runs in a savepoint of its chunk (a failing account is rolled back alone):
        # savepoints aside, the queries are per chunk.
        return sum("SAVEPOINT" not in query["sql"] for query in captured.captured_queries)

    assert quiet_day_queries(range(40, 43)) == quiet_day_queries(range(50, 59))
    assert DunningCase.objects.count() == 12
