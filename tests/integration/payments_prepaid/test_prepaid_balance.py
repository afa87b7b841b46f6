"""The available balance falling through the alert thresholds (one alert each, never repeated,
re-armed by a top-up), the cut-off below the allowed overdraft (not for a protected account,
deferred in quiet hours and on holidays) and the reconnection ordered at once on top-up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from prepaid_world import at, make_account, pay

from gridcare.audit.models import AuditEvent
from gridcare.identity.models import Role
from gridcare.notifications.models import OutboxMessage
from gridcare.payments.models import (
    AccountSupply,
    PrepaidAlert,
    PrepaidArrangement,
    PrepaidCutoff,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.prepaid import prepaid_status, record_prepaid_estimates, start_prepaid
from gridcare.payments.supply_orders import (
    SimulatedRemoteSwitch,
    cancel_supply_order,
    send_remote_switch_commands,
)

pytestmark = pytest.mark.django_db


def _estimate(account: Any, amount: str, day: int, hour: int = 8, month: int = 3) -> PrepaidArrangement:
    moment = at(day, hour, month=month)
    record_prepaid_estimates(
        estimates={account.pk: Decimal(amount)}, through=moment.date() - timedelta(days=1), now=moment
    )
    return PrepaidArrangement.objects.get(account=account)


def _alerts(account: Any) -> list[tuple[str, int, str]]:
    return [
        (str(alert.threshold), alert.crossing, str(alert.available_balance))
        for alert in PrepaidAlert.objects.filter(arrangement__account=account).order_by("id")
    ]


@pytest.fixture
def prepaid(org_tree: Any, cashier: Any) -> Any:
    """100.00 paid in, then switched to prepaid on 1 March (thresholds 50 / 20 / 0, no overdraft);
    the meter can be switched remotely."""
    account = make_account(org_tree.station, sequence=41)
    AccountSupply.objects.create(account=account, remote_switch_capable=True)
    pay(account, cashier, "100.00", at(1, 9), "P-41-1")
    start_prepaid(actor=cashier, account=account, now=at(1, 10))
    return account


def test_each_threshold_crossed_alerts_once_and_never_again(prepaid: Any) -> None:
    assert _estimate(prepaid, "40.00", 2).available_balance == Decimal("60.00")
    assert _alerts(prepaid) == []
    assert _estimate(prepaid, "55.00", 3).available_balance == Decimal("45.00")
    assert _estimate(prepaid, "58.00", 4).available_balance == Decimal("42.00")
    assert _estimate(prepaid, "85.00", 5).available_balance == Decimal("15.00")
    assert _estimate(prepaid, "90.00", 6).available_balance == Decimal("10.00")
    assert _estimate(prepaid, "100.00", 7).available_balance == Decimal("0.00")

    assert _alerts(prepaid) == [("50.00", 1, "45.00"), ("20.00", 1, "15.00"), ("0.00", 1, "0.00")]
    # WeChat and SMS for each alert, nothing more.
    assert OutboxMessage.objects.filter(event="prepaid_low_balance").count() == 6
    sms = OutboxMessage.objects.filter(event="prepaid_low_balance", channel="sms").order_by("id").first()
    assert sms is not None
    assert "45.00" in sms.body
    assert "15.00" not in sms.body
    arrangement = PrepaidArrangement.objects.get(account=prepaid)
    assert arrangement.cutoff == PrepaidCutoff.NONE  # 0.00 is not below the overdraft of 0.00
    assert not SupplyOrder.objects.filter(account=prepaid).exists()


def test_falling_through_two_thresholds_at_once_sends_one_alert_for_the_lower(prepaid: Any) -> None:
    _estimate(prepaid, "85.00", 2)

    assert _alerts(prepaid) == [("20.00", 1, "15.00")]
    assert PrepaidArrangement.objects.get(account=prepaid).alerts_sent == ["50.00", "20.00"]


def test_a_top_up_above_a_threshold_re_arms_its_alert(prepaid: Any, cashier: Any) -> None:
    _estimate(prepaid, "55.00", 2)  # 45.00: the 50.00 alert
    pay(prepaid, cashier, "10.00", at(2, 12), "P-41-2")  # 55.00: above 50.00 again
    assert PrepaidArrangement.objects.get(account=prepaid).alerts_sent == []
    assert PrepaidArrangement.objects.get(account=prepaid).available_balance == Decimal("55.00")

    _estimate(prepaid, "62.00", 3)  # 110.00 − 62.00 = 48.00

    assert _alerts(prepaid) == [("50.00", 1, "45.00"), ("50.00", 2, "48.00")]


def test_below_the_overdraft_a_remote_cut_off_is_ordered_once(prepaid: Any) -> None:
    arrangement = _estimate(prepaid, "100.01", 3, hour=9)

    assert arrangement.available_balance == Decimal("-0.01")
    assert arrangement.cutoff == PrepaidCutoff.ORDERED
    assert arrangement.cutoff_threshold == Decimal("0.00")
    order = SupplyOrder.objects.get(account=prepaid)
    assert (order.kind, order.dispatch, order.status, order.case_id) == (
        SupplyOrderKind.DISCONNECTION,
        SupplyOrderDispatch.REMOTE,
        SupplyOrderStatus.OPEN,
        None,
    )
    assert arrangement.cutoff_order == order

    _estimate(prepaid, "100.50", 4, hour=9)  # still below: no second order
    assert SupplyOrder.objects.filter(account=prepaid).count() == 1


def test_the_allowed_overdraft_holds_the_cut_off_back(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=42)
    pay(account, cashier, "10.00", at(1, 9), "P-42-1")
    start_prepaid(actor=cashier, account=account, allowed_overdraft="30.00", now=at(1, 10))

    assert _estimate(account, "40.00", 2).cutoff == PrepaidCutoff.NONE  # −30.00: at the limit
    arrangement = _estimate(account, "40.01", 3)
    assert (arrangement.cutoff, arrangement.cutoff_threshold) == (PrepaidCutoff.ORDERED, Decimal("-30.00"))
    assert SupplyOrder.objects.get(account=account).dispatch == SupplyOrderDispatch.FIELD  # no remote switch


def test_a_protected_account_is_never_cut_off(org_tree: Any, cashier: Any) -> None:
    account = make_account(org_tree.station, sequence=43, is_key_account=True)
    start_prepaid(actor=cashier, account=account, now=at(1, 10))

    arrangement = _estimate(account, "5.00", 2)

    assert (arrangement.cutoff, arrangement.cutoff_detail) == (
        PrepaidCutoff.PROTECTED,
        "protected: key_account",
    )
    assert not SupplyOrder.objects.filter(account=account).exists()
    event = AuditEvent.objects.get(action="payments.prepaid_cutoff_protected")
    assert event.changes["detail"] == "protected: key_account"
    # Alerts still go out.
    assert _alerts(account) == [("0.00", 1, "-5.00")]


def test_in_quiet_hours_the_cut_off_waits_for_the_morning(prepaid: Any) -> None:
    arrangement = _estimate(prepaid, "101.00", 3, hour=23)

    assert (arrangement.cutoff, arrangement.cutoff_detail) == (
        PrepaidCutoff.WAITING,
        "quiet hours 22:00-07:00",
    )
    assert not SupplyOrder.objects.filter(account=prepaid).exists()

    arrangement = _estimate(prepaid, "101.00", 4, hour=6)  # still quiet
    assert not SupplyOrder.objects.filter(account=prepaid).exists()

    arrangement = _estimate(prepaid, "101.00", 4, hour=7)
    assert arrangement.cutoff == PrepaidCutoff.ORDERED
    assert SupplyOrder.objects.get(account=prepaid).created_at == at(4, 7)


def test_on_a_holiday_the_cut_off_waits(prepaid: Any) -> None:
    arrangement = _estimate(prepaid, "101.00", 1, hour=10, month=10)  # 国庆节

    assert (arrangement.cutoff, arrangement.cutoff_detail) == (PrepaidCutoff.WAITING, "holiday: National Day")
    assert not SupplyOrder.objects.filter(account=prepaid).exists()


def test_a_top_up_back_above_the_cut_off_orders_the_reconnection_at_once(prepaid: Any, cashier: Any) -> None:
    _estimate(prepaid, "101.00", 3, hour=9)  # −1.00
    send_remote_switch_commands(interface=SimulatedRemoteSwitch(), now=at(3, 9))  # confirmed: supply off
    assert AccountSupply.objects.get(account=prepaid).disconnected

    pay(prepaid, cashier, "0.50", at(3, 12), "P-41-2")  # −0.50: not enough
    assert not SupplyOrder.objects.filter(account=prepaid, kind=SupplyOrderKind.RECONNECTION).exists()
    standing = prepaid_status(account_id=prepaid.pk)
    assert standing is not None
    assert (standing.cut_off, standing.available_balance, standing.to_reconnect) == (
        True,
        Decimal("-0.50"),
        Decimal("0.51"),
    )

    pay(prepaid, cashier, "0.51", at(3, 13), "P-41-3")  # 0.01: above 0.00

    reconnection = SupplyOrder.objects.get(account=prepaid, kind=SupplyOrderKind.RECONNECTION)
    assert (reconnection.status, reconnection.created_at, reconnection.due_at) == (
        SupplyOrderStatus.OPEN,
        at(3, 13),
        at(3, 13) + timedelta(hours=24),
    )
    arrangement = PrepaidArrangement.objects.get(account=prepaid)
    assert (arrangement.cutoff, arrangement.available_balance) == (PrepaidCutoff.NONE, Decimal("0.01"))


def test_a_top_up_before_the_cut_off_was_carried_out_cancels_the_order(prepaid: Any, cashier: Any) -> None:
    _estimate(prepaid, "101.00", 3, hour=9)

    pay(prepaid, cashier, "20.00", at(3, 9), "P-41-2")

    order = SupplyOrder.objects.get(account=prepaid)
    assert (order.status, order.cancel_reason) == (SupplyOrderStatus.CANCELLED, "prepaid topped up")
    assert not SupplyOrder.objects.filter(account=prepaid, kind=SupplyOrderKind.RECONNECTION).exists()
    assert PrepaidArrangement.objects.get(account=prepaid).cutoff == PrepaidCutoff.NONE


def test_an_order_cancelled_by_a_person_is_ordered_again_while_the_balance_stays_below(
    prepaid: Any, org_tree: Any, staff_user_factory: Any
) -> None:
    manager = staff_user_factory(username="manager", org_unit=org_tree.station, roles=[Role.ACCOUNT_MANAGER])
    _estimate(prepaid, "101.00", 3, hour=9)
    first = SupplyOrder.objects.get(account=prepaid)
    cancel_supply_order(actor=manager, order=first, reason="customer promised to top up", now=at(3, 10))

    arrangement = _estimate(prepaid, "101.00", 4, hour=9)

    second = SupplyOrder.objects.exclude(pk=first.pk).get(account=prepaid)
    assert (arrangement.cutoff, arrangement.cutoff_order) == (PrepaidCutoff.ORDERED, second)
    assert second.status == SupplyOrderStatus.OPEN
