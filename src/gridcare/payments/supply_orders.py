"""Disconnection (停电工单) and reconnection (复电工单) orders: creating them, the remote-control
interface, completing and cancelling them, and the alarm when a reconnection passes its limit
(docs/dunning.md).

An order goes to the remote-control interface when the account's meter can be switched
remotely (:class:`AccountSupply.remote_switch_capable`), otherwise to field staff. Commands are
sent after the creating transaction commits (:func:`send_remote_switch_commands`, run by the
periodic supply-order check and queued when an order is created), so no command leaves for an
order that was rolled back.

A cut that happened is never lost: a disconnection is *started* once its remote command is sent
(:func:`disconnection_started`) and is then no longer cancelled by a payment or a protection; a
confirmation or a "done" that arrives for a cancelled order is still recorded. Whenever a
dunning disconnection is recorded done for an account whose arrears are cleared, which is
protected, or whose order had been cancelled, the supply is recorded off and a reconnection
order is created at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import Role, User
from gridcare.identity.permissions import Permission
from gridcare.jobs.operations import enqueue_on_commit
from gridcare.kit.clock import local_date, to_local
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.queries import open_items_by_account
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.operations import notify
from gridcare.notifications.recipients import Recipient
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.errors import DunningReasonMissing, SupplyOrderNotOpen
from gridcare.payments.models import (
    AccountSupply,
    DunningCase,
    SupplyOrder,
    SupplyOrderDispatch,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.operations import hold_accounts

#: The reconnection limit: State Grid's commitment, 24 h after the arrears are paid (China
#: Southern Grid's is 12 h; ``GRIDCARE_DUNNING["RECONNECTION_LIMIT_HOURS"]``).
DEFAULT_RECONNECTION_LIMIT_HOURS = 24
#: The roles alarmed when a reconnection order passes its limit, in the order's org unit and
#: the units above it.
BREACH_ALARM_ROLES = (Role.ACCOUNT_MANAGER, Role.MARKETING_SUPERVISOR)
BREACH_EVENT = "reconnection_breach"
_ORDER_PREFIX = {SupplyOrderKind.DISCONNECTION: "TD", SupplyOrderKind.RECONNECTION: "FD"}
_STATUS_ZH = {SupplyOrderStatus.DONE: "完成", SupplyOrderStatus.CANCELLED: "取消"}


def dunning_setting(name: str, default: Any) -> Any:
    """One key of the ``GRIDCARE_DUNNING`` setting (settings.py lists them), or ``default``."""
    return getattr(settings, "GRIDCARE_DUNNING", {}).get(name, default)


def reconnection_limit() -> timedelta:
    return timedelta(hours=dunning_setting("RECONNECTION_LIMIT_HOURS", DEFAULT_RECONNECTION_LIMIT_HOURS))


# --- the remote-control interface ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RemoteSwitchAnswer:
    """The interface's answer to a command: its id for the command, and whether the meter
    already confirmed the switch (else the confirmation comes later,
    :func:`record_remote_switch_confirmation`)."""

    command_id: str
    confirmed: bool


class RemoteSwitchInterface(Protocol):
    def send(self, *, account_no: str, order_no: str, connect: bool) -> RemoteSwitchAnswer: ...


class SimulatedRemoteSwitch:
    """The demo's remote-control interface: every command is accepted and confirmed at once."""

    def send(self, *, account_no: str, order_no: str, connect: bool) -> RemoteSwitchAnswer:
        return RemoteSwitchAnswer(command_id=f"SIM-{uuid.uuid4().hex[:16]}", confirmed=True)


def configured_remote_switch() -> RemoteSwitchInterface:
    """The interface ``GRIDCARE_DUNNING["REMOTE_SWITCH_INTERFACE"]`` names (a class path)."""
    path = dunning_setting("REMOTE_SWITCH_INTERFACE", "gridcare.payments.supply_orders.SimulatedRemoteSwitch")
    interface: RemoteSwitchInterface = import_string(path)()
    return interface


# --- creating -------------------------------------------------------------------------------


def _order_number(*, kind: SupplyOrderKind, now: datetime) -> str:
    (number,) = reserve_sequence_numbers(name=f"supply_order.{kind.value}", count=1)
    return f"{_ORDER_PREFIX[kind]}{local_date(now):%Y%m%d}{number:08d}"


def create_supply_order(
    *,
    actor: User | None,
    account: Account,
    kind: SupplyOrderKind,
    case: DunningCase | None,
    remote_capable: bool,
    now: datetime,
) -> SupplyOrder:
    """Create an open order of ``kind`` for ``account`` (a reconnection order due within the
    reconnection limit), dispatched to the remote-control interface when ``remote_capable``,
    else to field staff; audited. The caller has checked that none of ``kind`` is open (the
    unique index would refuse a second). A remote command is sent after commit."""
    order = SupplyOrder.objects.create(
        org_unit_id=account.org_unit_id,
        order_no=_order_number(kind=kind, now=now),
        account=account,
        case=case,
        kind=kind,
        dispatch=SupplyOrderDispatch.REMOTE if remote_capable else SupplyOrderDispatch.FIELD,
        created_at=now,
        due_at=now + reconnection_limit() if kind == SupplyOrderKind.RECONNECTION else None,
    )
    record_audit_event(
        actor=actor,
        action=f"payments.{kind.value}_order_created",
        target=order,
        occurred_at=now,
        changes={
            "order_no": order.order_no,
            "account_no": account.account_no,
            "dispatch": order.dispatch,
            "due_at": order.due_at.isoformat() if order.due_at else None,
        },
    )
    if remote_capable:
        # Imported here: the task module imports this one.
        from gridcare.payments.dunning_tasks import check_supply_orders

        enqueue_on_commit(check_supply_orders, now=now)
    return order


# --- finishing ------------------------------------------------------------------------------


def _set_supply(*, account_id: int, disconnected: bool, now: datetime) -> None:
    supply, _created = AccountSupply.objects.select_for_update().get_or_create(account_id=account_id)
    supply.disconnected = disconnected
    supply.changed_at = now
    supply.save(update_fields=["disconnected", "changed_at"])


def arrears_cleared_account_ids(*, account_ids: Iterable[int], on: date) -> set[int]:
    """Those of ``account_ids`` whose arrears and late fees are all paid on ``on``: no late fee
    open and no electricity bill open past its due date (docs/dunning.md, "Arrears")."""
    ids = sorted(set(account_ids))
    items = open_items_by_account(
        customer_account_ids=ids, codes=[ChartCode.RECEIVABLE_ENERGY, ChartCode.RECEIVABLE_LATE_FEE]
    )
    return {
        account_id
        for account_id in ids
        if not any(
            item.code == ChartCode.RECEIVABLE_LATE_FEE or item.due_date is None or item.due_date < on
            for item in items.get(account_id, [])
        )
    }


def disconnection_started(order: SupplyOrder) -> bool:
    """Whether the cut of ``order`` may already have happened, so that it must not be cancelled
    by a payment or a protection: its remote command was sent. A field order is not started
    until staff record it done (no "in hand" state is kept); a field cut recorded after its order
    was cancelled is still recorded (:func:`complete_supply_order`)."""
    return order.dispatch == SupplyOrderDispatch.REMOTE and order.command_sent_at is not None


def cancel_unstarted_disconnections(
    *, account_ids: Iterable[int], actor: User | None, reason: str, now: datetime
) -> int:
    """Cancel the open dunning disconnection orders of ``account_ids`` that are not started
    (:func:`disconnection_started`), locking them; the started ones stay open and are
    reconnected at once when confirmed. The number cancelled."""
    orders = SupplyOrder.objects.select_for_update().filter(
        account_id__in=list(account_ids),
        kind=SupplyOrderKind.DISCONNECTION,
        status=SupplyOrderStatus.OPEN,
        case__isnull=False,
    )
    return cancel_open_orders(
        orders=[order for order in orders if not disconnection_started(order)],
        actor=actor,
        reason=reason,
        now=now,
    )


def _why_not_disconnect(order: SupplyOrder, *, on: date) -> str:
    """Why the dunning disconnection ``order`` must not (or no longer) cut the supply on
    ``on`` (blank: it may): the arrears are cleared, or the account is protected."""
    # Imported here: arrears_protection imports this module.
    from gridcare.payments.arrears_protection import protection_reasons

    if order.kind != SupplyOrderKind.DISCONNECTION or order.case_id is None:
        return ""
    if order.account_id in arrears_cleared_account_ids(account_ids=[order.account_id], on=on):
        return "arrears paid"
    protected = protection_reasons(accounts=[order.account]).get(order.account_id)
    return f"protected: {protected.value}" if protected else ""


def _locked_not_done(order: SupplyOrder) -> SupplyOrder:
    """``order`` locked after its account (the payments' lock order), refused when done."""
    hold_accounts(account_ids=[order.account_id])
    locked: SupplyOrder = (
        SupplyOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order.pk)
    )
    if locked.status == SupplyOrderStatus.DONE:
        raise SupplyOrderNotOpen(
            order_no=locked.order_no,
            status_zh=_STATUS_ZH[SupplyOrderStatus.DONE],
            status_en=SupplyOrderStatus.DONE.value,
        )
    return locked


def _locked_open(order: SupplyOrder) -> SupplyOrder:
    locked: SupplyOrder = (
        SupplyOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order.pk)
    )
    if locked.status != SupplyOrderStatus.OPEN:
        status = SupplyOrderStatus(locked.status)
        raise SupplyOrderNotOpen(
            order_no=locked.order_no, status_zh=_STATUS_ZH[status], status_en=status.value
        )
    return locked


def _finish(*, order: SupplyOrder, actor: User | None, done_at: datetime, now: datetime, how: str) -> None:
    """Record ``order`` (open, or cancelled but carried out all the same) done; a disconnection
    that should not have cut (cancelled, arrears cleared, protected) is reconnected at once."""
    was_cancelled = order.status == SupplyOrderStatus.CANCELLED
    order.status = SupplyOrderStatus.DONE
    order.done_at = done_at
    order.done_by = actor
    order.save(update_fields=["status", "done_at", "done_by"])
    _set_supply(
        account_id=order.account_id, disconnected=order.kind == SupplyOrderKind.DISCONNECTION, now=now
    )
    reconnect_because = ""
    if order.kind == SupplyOrderKind.DISCONNECTION:
        reconnect_because = (
            f"cancelled: {order.cancel_reason}"
            if was_cancelled
            else _why_not_disconnect(order, on=local_date(now))
        )
    record_audit_event(
        actor=actor,
        action=f"payments.{order.kind}_order_done",
        target=order,
        occurred_at=now,
        changes={
            "order_no": order.order_no,
            "done_at": done_at.isoformat(),
            "how": how,
            "after_cancellation": was_cancelled,
            "reconnect_because": reconnect_because,
        },
    )
    if (
        reconnect_because
        and not SupplyOrder.objects.filter(
            account_id=order.account_id, kind=SupplyOrderKind.RECONNECTION, status=SupplyOrderStatus.OPEN
        ).exists()
    ):
        supply = AccountSupply.objects.get(account_id=order.account_id)
        create_supply_order(
            actor=actor,
            account=order.account,
            kind=SupplyOrderKind.RECONNECTION,
            case=None,
            remote_capable=supply.remote_switch_capable,
            now=now,
        )


@denials_audited
@transaction.atomic
def complete_supply_order(
    *, actor: User | None, order: SupplyOrder, done_at: datetime, now: datetime
) -> SupplyOrder:
    """Record that field staff (``actor``) carried out ``order`` at ``done_at``: the account's
    supply is off (a disconnection) or on again (a reconnection). An order cancelled meanwhile
    (the customer paid after the cut) is still recorded done, so the cut is not lost; a
    disconnection that should not have cut is followed by a reconnection order at once.
    Refused: an order already done (:class:`SupplyOrderNotOpen`), a user without
    ``payments.manage_arrears`` over its org unit."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=order.org_unit,
        operation="complete_supply_order",
    )
    locked = _locked_not_done(order)
    _finish(order=locked, actor=actor, done_at=min(done_at, now), now=now, how="field")
    return locked


@denials_audited
@transaction.atomic
def cancel_supply_order(*, actor: User | None, order: SupplyOrder, reason: str, now: datetime) -> SupplyOrder:
    """Cancel the open ``order`` for ``reason`` (audited); the supply is left as it is."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=order.org_unit,
        operation="cancel_supply_order",
    )
    if not reason.strip():
        raise DunningReasonMissing()
    locked = _locked_open(order)
    cancel_open_orders(orders=[locked], actor=actor, reason=reason.strip(), now=now)
    return locked


def cancel_open_orders(
    *, orders: Iterable[SupplyOrder], actor: User | None, reason: str, now: datetime
) -> int:
    """Cancel each of ``orders`` (open, locked or just read by the caller's transaction) for
    ``reason``, audited one by one. The number cancelled."""
    count = 0
    for order in orders:
        order.status = SupplyOrderStatus.CANCELLED
        order.cancelled_at = now
        order.cancelled_by = actor
        order.cancel_reason = reason[:200]
        order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
        record_audit_event(
            actor=actor,
            action=f"payments.{order.kind}_order_cancelled",
            target=order,
            occurred_at=now,
            changes={"order_no": order.order_no, "reason": order.cancel_reason},
        )
        count += 1
    return count


@transaction.atomic
def record_remote_switch_confirmation(
    *, order: SupplyOrder, confirmed_at: datetime, now: datetime
) -> SupplyOrder:
    """Record the remote-control interface's confirmation that the meter of ``order`` switched
    (at ``confirmed_at``): the order is done — also when it was cancelled after its command
    left (the meter switched all the same; a disconnection is then reconnected at once). A
    repeated confirmation changes nothing."""
    hold_accounts(account_ids=[order.account_id])
    locked: SupplyOrder = (
        SupplyOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order.pk)
    )
    if locked.status == SupplyOrderStatus.DONE:
        return locked
    locked.command_confirmed_at = confirmed_at
    locked.save(update_fields=["command_confirmed_at"])
    _finish(order=locked, actor=None, done_at=confirmed_at, now=now, how=f"remote {locked.command_id}")
    return locked


def send_remote_switch_commands(*, interface: RemoteSwitchInterface, now: datetime) -> int:
    """Send the command of every open remote order that has none sent yet, recording each as
    sent (and confirmed, when the interface confirms at once) in its own transaction; a dunning
    disconnection whose account has cleared its arrears or become protected since is cancelled
    instead (the account is locked first, as payments do). The number sent."""
    sent = 0
    pending = SupplyOrder.objects.filter(
        status=SupplyOrderStatus.OPEN, dispatch=SupplyOrderDispatch.REMOTE, command_sent_at__isnull=True
    ).values_list("pk", "account_id")
    for order_id, account_id in list(pending):
        with transaction.atomic():
            hold_accounts(account_ids=[account_id])
            order = (
                SupplyOrder.objects.select_for_update(of=("self",))
                .select_related("account")
                .filter(pk=order_id, status=SupplyOrderStatus.OPEN, command_sent_at__isnull=True)
                .first()
            )
            if order is None:
                continue
            if reason := _why_not_disconnect(order, on=local_date(now)):
                cancel_open_orders(orders=[order], actor=None, reason=reason, now=now)
                continue
            answer = interface.send(
                account_no=order.account.account_no,
                order_no=order.order_no,
                connect=order.kind == SupplyOrderKind.RECONNECTION,
            )
            order.command_id = answer.command_id[:64]
            order.command_sent_at = now
            order.save(update_fields=["command_id", "command_sent_at"])
            record_audit_event(
                actor=None,
                action="payments.remote_switch_command_sent",
                target=order,
                occurred_at=now,
                changes={"order_no": order.order_no, "command_id": order.command_id},
            )
            if answer.confirmed:
                record_remote_switch_confirmation(order=order, confirmed_at=now, now=now)
            sent += 1
    return sent


# --- the reconnection limit ------------------------------------------------------------------


def _staff_recipient(user: User) -> Recipient:
    addresses: dict[ChannelKind, str] = {}
    if user.mobile:
        addresses[ChannelKind.SMS] = user.mobile
    if user.email:
        addresses[ChannelKind.EMAIL] = user.email
    return Recipient(
        key=f"user:{user.pk}",
        addresses=addresses,
        consents=frozenset(addresses),
        org_unit_id=user.org_unit_id,
    )


def _responsible_staff(order: SupplyOrder) -> list[User]:
    """The active staff holding an alarmed role in the order's org unit or a unit above it."""
    path = order.org_unit.path
    ancestors = [path[: index + 1] for index, char in enumerate(path) if char == "/" and index > 0]
    return list(
        User.objects.filter(
            is_active=True,
            org_unit__path__in=ancestors,
            groups__name__in=[role.value for role in BREACH_ALARM_ROLES],
        )
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def alarm_reconnection_breaches(*, now: datetime) -> int:
    """Raise the alarm, once per order, for every open reconnection order past its limit: an
    audit event and a notification to the responsible staff (:data:`BREACH_ALARM_ROLES` of the
    order's org unit and above). The number of orders alarmed."""
    overdue = (
        SupplyOrder.objects.select_for_update(of=("self",))
        .select_related("account", "org_unit")
        .filter(
            kind=SupplyOrderKind.RECONNECTION,
            status=SupplyOrderStatus.OPEN,
            breach_alarmed_at__isnull=True,
            due_at__lte=now,
        )
        .order_by("due_at", "pk")
    )
    count = 0
    for order in overdue:
        order.breach_alarmed_at = now
        order.save(update_fields=["breach_alarmed_at"])
        staff = _responsible_staff(order)
        notify(
            event=BREACH_EVENT,
            recipients=[_staff_recipient(user) for user in staff],
            context={
                "order_no": order.order_no,
                "account_no": order.account.account_no,
                "due_at": f"{to_local(order.due_at or now):%Y-%m-%d %H:%M}",
            },
            now=now,
            dedupe_key=f"reconnection-breach:{order.pk}",
        )
        record_audit_event(
            actor=None,
            action="payments.reconnection_limit_breached",
            target=order,
            occurred_at=now,
            changes={
                "order_no": order.order_no,
                "due_at": (order.due_at or now).isoformat(),
                "alarmed": [user.username for user in staff],
            },
        )
        count += 1
    return count
