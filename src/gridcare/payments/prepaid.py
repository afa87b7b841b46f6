"""Prepaid (预付费 / 远程费控): switching an account between postpaid and prepaid, the daily
estimate's effect on each arrangement (available balance, low-balance alerts, remote cut-off
outside quiet hours, never for a protected account), reconnection when a payment lifts the
balance back, and the reads of the pages (docs/prepaid.md).

The estimate itself is the billing engine's (``billing/prepaid_estimates.py``): billing may
import payments, not the other way round, so billing hands the estimated charges to
:func:`record_prepaid_estimates`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.customers.notification_recipients import recipients_for_accounts
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.kit.calendar import CalendarYearUnknown, holiday_name
from gridcare.kit.clock import local_date, to_local
from gridcare.kit.money import round_to_fen
from gridcare.ledger.models import AccountBalance
from gridcare.notifications.operations import notify
from gridcare.notifications.recipients import Recipient
from gridcare.organization.models import OrgUnit
from gridcare.payments.arrears_protection import protection_reasons
from gridcare.payments.errors import (
    PrepaidAlreadyActive,
    PrepaidNotActive,
    PrepaidSettingsInvalid,
    PrepaidSwitchArrears,
)
from gridcare.payments.models import (
    AccountSupply,
    PrepaidAlert,
    PrepaidArrangement,
    PrepaidCutoff,
    PrepaidStatus,
    ProtectionReason,
    SupplyOrder,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.operations import apply_prepaid, hold_accounts
from gridcare.payments.queries import AmountDue, amounts_due
from gridcare.payments.supply_orders import cancel_open_orders, create_supply_order

DEFAULT_ALERT_THRESHOLDS = ("50.00", "20.00", "0.00")
LOW_BALANCE_EVENT = "prepaid_low_balance"
#: Arrangements handled per transaction by the daily estimate.
CHUNK_SIZE = 500
_ZERO = Decimal("0.00")


def prepaid_setting(name: str, default: Any) -> Any:
    """One key of the ``GRIDCARE_PREPAID`` setting (settings.py lists them), or ``default``."""
    return getattr(settings, "GRIDCARE_PREPAID", {}).get(name, default)


def _fen(value: Decimal | str, *, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount != round_to_fen(amount):
        raise PrepaidSettingsInvalid(
            field=field_name,
            reason_zh=f"“{value}”不是精确到分的金额",
            reason_en=f'"{value}" is not an amount in whole fen',
        )
    return round_to_fen(amount)


def alert_thresholds_from(values: Iterable[Decimal | str]) -> list[Decimal]:
    """The alert thresholds of ``values``, highest first; refused when one is not an amount in
    whole fen or two are equal."""
    thresholds = sorted((_fen(value, field_name="alert_thresholds") for value in values), reverse=True)
    if len(set(thresholds)) != len(thresholds):
        raise PrepaidSettingsInvalid(
            field="alert_thresholds", reason_zh="提醒阈值重复", reason_en="a threshold is repeated"
        )
    return thresholds


def _overdraft_from(value: Decimal | str) -> Decimal:
    overdraft = _fen(value, field_name="allowed_overdraft")
    if overdraft < 0:
        raise PrepaidSettingsInvalid(
            field="allowed_overdraft",
            reason_zh="透支额度不能为负",
            reason_en="the overdraft cannot be negative",
        )
    return overdraft


# --- quiet hours ------------------------------------------------------------------------------


def quiet_reason(*, now: datetime) -> str:
    """Why no cut-off may be carried out at ``now`` (local time): the quiet hours
    (``QUIET_FROM``–``QUIET_UNTIL``), a statutory holiday, or a year the holiday calendar does
    not know (we never cut without knowing); blank when a cut-off may go ahead."""
    local = to_local(now)
    start = time.fromisoformat(prepaid_setting("QUIET_FROM", "22:00"))
    end = time.fromisoformat(prepaid_setting("QUIET_UNTIL", "07:00"))
    moment = local.time()
    quiet = (moment >= start or moment < end) if start > end else (start <= moment < end)
    if quiet:
        return f"quiet hours {start:%H:%M}-{end:%H:%M}"
    if prepaid_setting("QUIET_ON_HOLIDAYS", True):
        try:
            name = holiday_name(local.date(), language="en")
        except CalendarYearUnknown:
            return f"holiday calendar unknown for {local.year}"
        if name:
            return f"holiday: {name}"
    return ""


# --- switching ------------------------------------------------------------------------------


@denials_audited
@transaction.atomic
def start_prepaid(
    *,
    actor: User | None,
    account: Account,
    alert_thresholds: Sequence[Decimal | str] | None = None,
    allowed_overdraft: Decimal | str | None = None,
    now: datetime,
) -> PrepaidArrangement:
    """Switch ``account`` from postpaid to prepaid: its prepaid balance first pays its open late
    fees and bills (as a payment would); if anything is still owed the switch is refused with the
    amount (:class:`PrepaidSwitchArrears`) and nothing changes. Thresholds and overdraft default
    to ``GRIDCARE_PREPAID``. Audited; needs ``payments.manage_prepaid`` over the account."""
    ensure_changeable(
        user=actor, permission=Permission.MANAGE_PREPAID, org_unit=account.org_unit, operation="start_prepaid"
    )
    thresholds = alert_thresholds_from(
        alert_thresholds
        if alert_thresholds is not None
        else prepaid_setting("ALERT_THRESHOLDS", DEFAULT_ALERT_THRESHOLDS)
    )
    overdraft = _overdraft_from(
        allowed_overdraft if allowed_overdraft is not None else prepaid_setting("ALLOWED_OVERDRAFT", "0.00")
    )
    hold_accounts(account_ids=[account.pk])
    if PrepaidArrangement.objects.filter(account=account, status=PrepaidStatus.ACTIVE).exists():
        raise PrepaidAlreadyActive(account_no=account.account_no)
    apply_prepaid(account_ids=[account.pk], actor=actor, now=now)
    due = amounts_due(account_ids=[account.pk], on=local_date(now))[account.pk]
    if due.total > 0:
        raise PrepaidSwitchArrears(account_no=account.account_no, amount=f"{due.total:.2f}")
    arrangement = PrepaidArrangement.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        started_on=local_date(now),
        started_at=now,
        started_by=actor,
        alert_thresholds=[str(threshold) for threshold in thresholds],
        allowed_overdraft=overdraft,
        available_balance=due.prepaid,
        balance_at=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.prepaid_started",
        target=arrangement,
        occurred_at=now,
        changes={
            "account_no": account.account_no,
            "alert_thresholds": arrangement.alert_thresholds,
            "allowed_overdraft": str(overdraft),
            "prepaid": str(due.prepaid),
        },
    )
    return arrangement


@denials_audited
@transaction.atomic
def end_prepaid(*, actor: User | None, arrangement: PrepaidArrangement, now: datetime) -> PrepaidArrangement:
    """Switch the account of ``arrangement`` back to postpaid: the arrangement ends today. What was
    estimated is billed by the next bill run as usual and the prepaid balance stays to pay it. A
    cut-off in effect is lifted (postpaid supply stops only by the dunning procedure): its open
    order cancelled, or a reconnection ordered. Audited; needs ``payments.manage_prepaid``."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_PREPAID,
        org_unit=arrangement.org_unit,
        operation="end_prepaid",
    )
    hold_accounts(account_ids=[arrangement.account_id])
    locked: PrepaidArrangement = (
        PrepaidArrangement.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=arrangement.pk)
    )
    if locked.status != PrepaidStatus.ACTIVE:
        raise PrepaidNotActive(account_no=locked.account.account_no, ended_on=locked.ended_on)
    if locked.cutoff != PrepaidCutoff.NONE:
        _lift_cutoff(arrangement=locked, actor=actor, reason="prepaid ended", now=now)
    locked.status = PrepaidStatus.ENDED
    locked.ended_on = local_date(now)
    locked.ended_at = now
    locked.ended_by = actor
    locked.save()
    record_audit_event(
        actor=actor,
        action="payments.prepaid_ended",
        target=locked,
        occurred_at=now,
        changes={
            "account_no": locked.account.account_no,
            "estimated_charges": str(locked.estimated_charges),
            "estimate_through": locked.estimate_through.isoformat() if locked.estimate_through else None,
            "available_balance": str(locked.available_balance),
        },
    )
    return locked


# --- the balance, alerts and cut-off ----------------------------------------------------------


def available_balance(*, due: AmountDue, estimated_charges: Decimal) -> Decimal:
    """Prepaid less what is owed (open bills, late fees) less the estimated unbilled charges."""
    return round_to_fen(due.prepaid - due.total - estimated_charges)


def _rearm(arrangement: PrepaidArrangement) -> None:
    # An alert is re-armed once the balance is back above its threshold.
    arrangement.alerts_sent = [
        sent for sent in arrangement.alerts_sent if Decimal(sent) >= arrangement.available_balance
    ]


def _lift_cutoff(
    *, arrangement: PrepaidArrangement, actor: User | None, reason: str, now: datetime
) -> SupplyOrder | None:
    """End the cut-off of ``arrangement``: cancel its order while open (prepaid's own, not a
    dunning case's), or, once carried out, order the reconnection at once (due within the
    reconnection limit). The reconnection order, if one was made."""
    reconnection = None
    order = arrangement.cutoff_order
    if order is not None:
        order = SupplyOrder.objects.select_for_update().get(pk=order.pk)
        if order.status == SupplyOrderStatus.OPEN and order.case_id is None:
            cancel_open_orders(orders=[order], actor=actor, reason=reason, now=now)
        elif order.status == SupplyOrderStatus.DONE:
            supply = AccountSupply.objects.filter(account_id=arrangement.account_id).first()
            already = SupplyOrder.objects.filter(
                account_id=arrangement.account_id,
                kind=SupplyOrderKind.RECONNECTION,
                status=SupplyOrderStatus.OPEN,
            ).exists()
            if supply is not None and supply.disconnected and not already:
                reconnection = create_supply_order(
                    actor=actor,
                    account=arrangement.account,
                    kind=SupplyOrderKind.RECONNECTION,
                    case=None,
                    remote_capable=supply.remote_switch_capable,
                    now=now,
                )
    record_audit_event(
        actor=actor,
        action="payments.prepaid_cutoff_lifted",
        target=arrangement,
        occurred_at=now,
        changes={
            "account_no": arrangement.account.account_no,
            "was": arrangement.cutoff,
            "reason": reason,
            "available_balance": str(arrangement.available_balance),
            "reconnection_order": reconnection.order_no if reconnection else None,
        },
    )
    arrangement.cutoff = PrepaidCutoff.NONE
    arrangement.cutoff_detail = ""
    arrangement.cutoff_since = None
    arrangement.cutoff_threshold = None
    arrangement.cutoff_order = None
    return reconnection


def _set_cutoff(
    *,
    arrangement: PrepaidArrangement,
    state: PrepaidCutoff,
    detail: str,
    order: SupplyOrder | None,
    now: datetime,
) -> None:
    if (arrangement.cutoff, arrangement.cutoff_detail, arrangement.cutoff_order) == (state, detail, order):
        return
    if arrangement.cutoff == PrepaidCutoff.NONE:
        arrangement.cutoff_since = now
        arrangement.cutoff_threshold = -arrangement.allowed_overdraft
    arrangement.cutoff = state
    arrangement.cutoff_detail = detail[:200]
    arrangement.cutoff_order = order
    record_audit_event(
        actor=None,
        action=f"payments.prepaid_cutoff_{state.value}",
        target=arrangement,
        occurred_at=now,
        changes={
            "account_no": arrangement.account.account_no,
            "available_balance": str(arrangement.available_balance),
            "threshold": str(arrangement.cutoff_threshold),
            "detail": detail,
            "order_no": order.order_no if order else None,
        },
    )


@dataclass(kw_only=True)
class _Chunk:
    protection: dict[int, ProtectionReason]
    supplies: dict[int, AccountSupply]
    open_disconnections: dict[int, SupplyOrder]
    quiet: str


def _cut_off_if_due(*, arrangement: PrepaidArrangement, chunk: _Chunk, now: datetime) -> None:
    """Order, defer or skip the cut-off of an arrangement below minus its allowed overdraft. An
    order cancelled since (by a person, or an instalment agreement) is decided again: a person
    who means to keep the account supplied puts it on the protected list."""
    ordered = arrangement.cutoff_order
    if arrangement.cutoff == PrepaidCutoff.ORDERED and (
        ordered is None or ordered.status != SupplyOrderStatus.CANCELLED
    ):
        return
    reason = chunk.protection.get(arrangement.account_id)
    if reason is not None:
        _set_cutoff(
            arrangement=arrangement,
            state=PrepaidCutoff.PROTECTED,
            detail=f"protected: {reason.value}",
            order=None,
            now=now,
        )
        return
    if chunk.quiet:
        _set_cutoff(
            arrangement=arrangement, state=PrepaidCutoff.WAITING, detail=chunk.quiet, order=None, now=now
        )
        return
    order = chunk.open_disconnections.get(arrangement.account_id)
    if order is None:
        supply = chunk.supplies.get(arrangement.account_id)
        order = create_supply_order(
            actor=None,
            account=arrangement.account,
            kind=SupplyOrderKind.DISCONNECTION,
            case=None,
            remote_capable=supply is not None and supply.remote_switch_capable,
            now=now,
        )
    _set_cutoff(arrangement=arrangement, state=PrepaidCutoff.ORDERED, detail="", order=order, now=now)


def _send_alert(
    *, arrangement: PrepaidArrangement, recipient: Recipient | None, through: date, now: datetime
) -> PrepaidAlert | None:
    """Alert once for the lowest threshold newly crossed; the higher ones crossed with it count as
    alerted too (one message, not several at once)."""
    crossed = [
        Decimal(threshold)
        for threshold in arrangement.alert_thresholds
        if arrangement.available_balance <= Decimal(threshold) and threshold not in arrangement.alerts_sent
    ]
    if not crossed:
        return None
    lowest = min(crossed)
    arrangement.alerts_sent = [*arrangement.alerts_sent, *(str(threshold) for threshold in crossed)]
    alert = PrepaidAlert.objects.create(
        arrangement=arrangement,
        threshold=lowest,
        crossing=PrepaidAlert.objects.filter(arrangement=arrangement, threshold=lowest).count() + 1,
        available_balance=arrangement.available_balance,
        sent_at=now,
    )
    messages = (
        notify(
            event=LOW_BALANCE_EVENT,
            recipients=[recipient],
            context={
                "customer_name": arrangement.account.name,
                "account_no": arrangement.account.account_no,
                "available_balance": f"{arrangement.available_balance:.2f}",
                "threshold": f"{lowest:.2f}",
                "through": through.isoformat(),
            },
            now=now,
            dedupe_key=f"prepaid-alert:{alert.pk}",
        )
        if recipient is not None
        else []
    )
    alert.message_ids = [message.pk for message in messages]
    alert.save(update_fields=["message_ids"])
    record_audit_event(
        actor=None,
        action="payments.prepaid_low_balance_alerted",
        target=arrangement,
        occurred_at=now,
        changes={
            "account_no": arrangement.account.account_no,
            "threshold": str(lowest),
            "crossed": [str(threshold) for threshold in crossed],
            "available_balance": str(arrangement.available_balance),
            "messages": alert.message_ids,
        },
    )
    return alert


@dataclass(kw_only=True)
class PrepaidEstimateSummary:
    arrangements: int = 0
    alerts_sent: int = 0
    cutoffs_ordered: int = 0
    cutoffs_waiting: int = 0
    cutoffs_skipped_protected: int = 0
    cutoffs_lifted: int = 0
    not_estimated: list[int] = field(default_factory=list)

    def add(self, other: PrepaidEstimateSummary) -> None:
        """Count ``other``'s arrangements, alerts, cut-offs and failures in this one."""
        self.arrangements += other.arrangements
        self.alerts_sent += other.alerts_sent
        self.cutoffs_ordered += other.cutoffs_ordered
        self.cutoffs_waiting += other.cutoffs_waiting
        self.cutoffs_skipped_protected += other.cutoffs_skipped_protected
        self.cutoffs_lifted += other.cutoffs_lifted
        self.not_estimated += other.not_estimated

    def as_data(self) -> dict[str, object]:
        return {
            "arrangements": self.arrangements,
            "alerts_sent": self.alerts_sent,
            "cutoffs_ordered": self.cutoffs_ordered,
            "cutoffs_waiting": self.cutoffs_waiting,
            "cutoffs_skipped_protected": self.cutoffs_skipped_protected,
            "cutoffs_lifted": self.cutoffs_lifted,
            "not_estimated": self.not_estimated,
        }


def active_prepaid_starts(*, account_ids: Sequence[int] | None = None) -> dict[int, date]:
    """The start day of each active arrangement, by account id (of ``account_ids`` if given)."""
    rows = PrepaidArrangement.objects.filter(status=PrepaidStatus.ACTIVE)
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    return dict(rows.values_list("account_id", "started_on"))


def record_prepaid_estimates(
    *, estimates: Mapping[int, Decimal], through: date, now: datetime, chunk_size: int = CHUNK_SIZE
) -> PrepaidEstimateSummary:
    """Record the estimated unbilled charges of each account (``estimates``, by account id, usage
    through ``through``) on its active arrangement, then refresh its available balance: re-arm
    the alerts it rose above, alert once for a threshold it fell to, order a remote cut-off below
    minus its allowed overdraft — deferred in quiet hours, skipped for a protected account — and
    lift a cut-off it rose above. One transaction per chunk; a rerun with the same estimates
    changes nothing and sends nothing again."""
    summary = PrepaidEstimateSummary()
    ids = sorted(estimates)
    quiet = quiet_reason(now=now)
    for start in range(0, len(ids), chunk_size):
        chunk_ids = ids[start : start + chunk_size]
        with transaction.atomic():
            hold_accounts(account_ids=chunk_ids)
            arrangements = list(
                PrepaidArrangement.objects.select_for_update(of=("self",))
                .select_related("account", "cutoff_order")
                .filter(account_id__in=chunk_ids, status=PrepaidStatus.ACTIVE)
                .order_by("account_id")
            )
            dues = amounts_due(account_ids=[row.account_id for row in arrangements], on=local_date(now))
            for arrangement in arrangements:
                arrangement.estimated_charges = round_to_fen(estimates[arrangement.account_id])
                arrangement.estimate_through = through
                arrangement.estimated_at = now
                arrangement.available_balance = available_balance(
                    due=dues[arrangement.account_id], estimated_charges=arrangement.estimated_charges
                )
                arrangement.balance_at = now
                _rearm(arrangement)
            below = [row for row in arrangements if row.available_balance < -row.allowed_overdraft]
            alerting = [
                row.account_id
                for row in arrangements
                if any(
                    row.available_balance <= Decimal(threshold) and threshold not in row.alerts_sent
                    for threshold in row.alert_thresholds
                )
            ]
            recipients = {
                int(recipient.key.split(":")[1]): recipient
                for recipient in recipients_for_accounts(accounts=Account.objects.filter(pk__in=alerting))
            }
            below_ids = [row.account_id for row in below]
            chunk = _Chunk(
                protection=protection_reasons(accounts=[row.account for row in below]),
                supplies={
                    row.account_id: row for row in AccountSupply.objects.filter(account_id__in=below_ids)
                },
                open_disconnections={
                    order.account_id: order
                    for order in SupplyOrder.objects.filter(
                        account_id__in=below_ids,
                        kind=SupplyOrderKind.DISCONNECTION,
                        status=SupplyOrderStatus.OPEN,
                    )
                },
                quiet=quiet,
            )
            for arrangement in arrangements:
                summary.arrangements += 1
                if _send_alert(
                    arrangement=arrangement,
                    recipient=recipients.get(arrangement.account_id),
                    through=through,
                    now=now,
                ):
                    summary.alerts_sent += 1
                was = (arrangement.cutoff, arrangement.cutoff_order)
                if arrangement.available_balance < -arrangement.allowed_overdraft:
                    _cut_off_if_due(arrangement=arrangement, chunk=chunk, now=now)
                    if (arrangement.cutoff, arrangement.cutoff_order) != was:
                        summary.cutoffs_ordered += arrangement.cutoff == PrepaidCutoff.ORDERED
                        summary.cutoffs_waiting += arrangement.cutoff == PrepaidCutoff.WAITING
                        summary.cutoffs_skipped_protected += arrangement.cutoff == PrepaidCutoff.PROTECTED
                elif _lift_due(arrangement):
                    _lift_cutoff(
                        arrangement=arrangement, actor=None, reason="prepaid balance restored", now=now
                    )
                    summary.cutoffs_lifted += 1
                arrangement.save()
    return summary


def _lift_due(arrangement: PrepaidArrangement) -> bool:
    return (
        arrangement.cutoff != PrepaidCutoff.NONE
        and arrangement.cutoff_threshold is not None
        and arrangement.available_balance > arrangement.cutoff_threshold
    )


def reconnect_prepaid_if_topped_up(*, account_ids: Sequence[int], actor: User | None, now: datetime) -> int:
    """After a payment (in its transaction): refresh the available balance of each of
    ``account_ids`` that is prepaid, re-arm the alerts it rose above, and lift its cut-off when
    it is back above the threshold it was cut at — a reconnection order at once (due within
    the reconnection limit) when the cut-off was carried out. The number of reconnection
    orders made."""
    with transaction.atomic():
        arrangements = list(
            PrepaidArrangement.objects.select_for_update(of=("self",))
            .select_related("account", "cutoff_order")
            .filter(account_id__in=list(account_ids), status=PrepaidStatus.ACTIVE)
        )
        if not arrangements:
            return 0
        dues = amounts_due(account_ids=[row.account_id for row in arrangements], on=local_date(now))
        created = 0
        for arrangement in arrangements:
            arrangement.available_balance = available_balance(
                due=dues[arrangement.account_id], estimated_charges=arrangement.estimated_charges
            )
            arrangement.balance_at = now
            _rearm(arrangement)
            if _lift_due(arrangement):
                created += (
                    _lift_cutoff(arrangement=arrangement, actor=actor, reason="prepaid topped up", now=now)
                    is not None
                )
            arrangement.save()
    return created


def cut_off_prepaid_account_ids(*, account_ids: Sequence[int]) -> set[int]:
    """Which of ``account_ids`` have a prepaid cut-off in effect (waiting, ordered or skipped):
    their reconnection is prepaid's, on the balance, not dunning's, on the arrears."""
    return set(
        PrepaidArrangement.objects.filter(account_id__in=list(account_ids), status=PrepaidStatus.ACTIVE)
        .exclude(cutoff=PrepaidCutoff.NONE)
        .values_list("account_id", flat=True)
    )


# --- reads ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PrepaidStanding:
    """An account's prepaid standing, for the portal's balance page."""

    account_id: int
    started_on: date
    #: The prepaid balance (预收电费) in the ledger.
    prepaid: Decimal
    estimated_charges: Decimal
    #: The last day of usage estimated (None before the first estimate).
    estimate_through: date | None
    #: Prepaid less what is owed less the estimate, as of ``balance_at``.
    available_balance: Decimal
    balance_at: datetime
    #: Thresholds, highest first; the next alert is the highest one still above the balance.
    alert_thresholds: tuple[Decimal, ...]
    allowed_overdraft: Decimal
    #: Whether supply is cut off or being cut off for the balance (an order made).
    cut_off: bool
    #: What to pay to get above the cut-off threshold again (0.00 when not cut off).
    to_reconnect: Decimal


def prepaid_status(*, account_id: int) -> PrepaidStanding | None:
    """The prepaid standing of ``account_id`` (the caller has checked access), None when it
    is not prepaid."""
    arrangement = PrepaidArrangement.objects.filter(
        account_id=account_id, status=PrepaidStatus.ACTIVE
    ).first()
    if arrangement is None:
        return None
    prepaid = (
        AccountBalance.objects.filter(customer_account_id=account_id)
        .values_list("prepaid", flat=True)
        .first()
        or _ZERO
    )
    cut_off = arrangement.cutoff == PrepaidCutoff.ORDERED
    threshold = arrangement.cutoff_threshold if arrangement.cutoff_threshold is not None else _ZERO
    return PrepaidStanding(
        account_id=account_id,
        started_on=arrangement.started_on,
        prepaid=prepaid,
        estimated_charges=arrangement.estimated_charges,
        estimate_through=arrangement.estimate_through,
        available_balance=arrangement.available_balance,
        balance_at=arrangement.balance_at,
        alert_thresholds=tuple(Decimal(value) for value in arrangement.alert_thresholds),
        allowed_overdraft=arrangement.allowed_overdraft,
        cut_off=cut_off,
        # Strictly above the threshold: one fen more than the gap.
        to_reconnect=(
            round_to_fen(threshold - arrangement.available_balance + Decimal("0.01")) if cut_off else _ZERO
        ),
    )


def prepaid_arrangements_for(*, user: Any, org_unit: OrgUnit | None = None) -> QuerySet[PrepaidArrangement]:
    """The active arrangements ``user`` may see (within ``org_unit``'s subtree when given), with
    their accounts and org units, lowest available balance first."""
    rows = PrepaidArrangement.objects.visible_to(user).filter(status=PrepaidStatus.ACTIVE)
    if org_unit is not None:
        rows = rows.filter(org_unit__path__startswith=org_unit.path)
    return rows.select_related("account", "org_unit", "cutoff_order").order_by(
        "available_balance", "account_id"
    )
