"""The daily dunning run (催费) and reconnection once arrears are cleared (docs/dunning.md).

:func:`run_dunning` keeps one :class:`DunningCase` per account with overdue bills and takes the
plan steps that are due, each once per case: the unique (case, step code) row and the outbox's
deduplication key (``dunning-step:<its id>``) are the step's idempotency keys, and each chunk of
accounts commits its steps with their outbox messages, so a run that crashed and is run again
sends nothing twice. Reads are batched per chunk of :data:`CHUNK_SIZE` accounts.

:func:`reconnect_if_cleared` runs when a payment is recorded: an account whose arrears and late
fees are all paid has its open disconnection order cancelled (unless its remote command has left:
supply_orders), its case closed and — when its supply is off — a reconnection order created at
once.

Locks are always taken in one order: the accounts (:func:`hold_accounts`, as every payment does),
then their cases, then their orders.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.customers.notification_recipients import recipients_for_accounts
from gridcare.identity.models import User
from gridcare.kit.clock import local_date
from gridcare.kit.errors import GridCareError
from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance
from gridcare.ledger.queries import OpenItem, open_items_by_account
from gridcare.notifications.models import LetterService
from gridcare.notifications.operations import notify
from gridcare.notifications.recipients import Recipient
from gridcare.payments.arrears_protection import protection_reasons, review_instalment_agreements
from gridcare.payments.dunning_plans import (
    ACTION_EVENTS,
    MIN_DAYS_OVERDUE_TO_DISCONNECT,
    NOTICE_DAYS_BEFORE_DISCONNECTION,
    PlanStep,
    parse_dunning_plan,
    plan_version_in_force,
)

# One rule for which accounts are residential, shared with the late fees.
from gridcare.payments.late_fees import customer_class_of
from gridcare.payments.models import (
    AccountSupply,
    DunningAction,
    DunningCase,
    DunningCaseStatus,
    DunningPlanVersion,
    DunningStepOutcome,
    DunningStepTaken,
    InstalmentAgreement,
    InstalmentStatus,
    SupplyOrder,
    SupplyOrderKind,
    SupplyOrderStatus,
)
from gridcare.payments.operations import hold_accounts
from gridcare.payments.supply_orders import (
    arrears_cleared_account_ids,
    cancel_unstarted_disconnections,
    create_supply_order,
)

logger = logging.getLogger(__name__)

#: Accounts read and written per transaction.
CHUNK_SIZE = 1000
_ZERO = Decimal("0.00")
_ARREARS_CODES = (ChartCode.RECEIVABLE_ENERGY, ChartCode.RECEIVABLE_LATE_FEE)


@dataclasses.dataclass(kw_only=True)
class DunningRunSummary:
    """What one run did."""

    accounts_overdue: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    steps_sent: int = 0
    steps_skipped: int = 0
    disconnection_orders: int = 0
    orders_cancelled: int = 0
    reconnection_orders: int = 0
    agreements_broken: int = 0
    failures: int = 0

    def as_data(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Overdue:
    #: The oldest electricity bill past due; ``None`` when only late fees are open.
    oldest_due_date: date | None
    #: The bills past due and the late fees open.
    amount: Decimal


def _overdue(items: Sequence[OpenItem], *, on: date) -> _Overdue | None:
    """The arrears in ``items`` on ``on`` (electricity bills past their due date and open late
    fees), or ``None``: the arrears and the late fees are chased, and cleared, together."""
    late = [
        item
        for item in items
        if item.code == ChartCode.RECEIVABLE_LATE_FEE
        or (item.code == ChartCode.RECEIVABLE_ENERGY and item.due_date is not None and item.due_date < on)
    ]
    if not late:
        return None
    bill_dates = [
        item.due_date for item in late if item.code == ChartCode.RECEIVABLE_ENERGY and item.due_date
    ]
    return _Overdue(
        oldest_due_date=min(bill_dates) if bill_dates else None,
        amount=round_to_fen(sum((item.open_amount for item in late), _ZERO)),
    )


@dataclasses.dataclass(kw_only=True)
class _Chunk:
    """Everything the run reads about one chunk of accounts, read in a few queries."""

    accounts: dict[int, Account]
    overdue: dict[int, _Overdue]
    cases: dict[int, DunningCase]
    taken: dict[int, dict[str, DunningStepTaken]]
    kept_agreements: set[int]
    agreements_ended: dict[int, datetime]
    protected: dict[int, str]
    supplies: dict[int, AccountSupply]
    open_orders: dict[tuple[int, str], SupplyOrder]
    served: dict[int, datetime]
    recipients: dict[int, Recipient]


def _read_chunk(*, account_ids: list[int], on: date) -> _Chunk:
    """Lock the accounts (first, as payments do: a payment committed meanwhile is seen, and the
    locks are taken in one order), then read their arrears, then lock their cases and orders."""
    hold_accounts(account_ids=account_ids)
    items = open_items_by_account(customer_account_ids=account_ids, codes=list(_ARREARS_CODES))
    overdue = {
        account_id: found
        for account_id in account_ids
        if (found := _overdue(items.get(account_id, []), on=on)) is not None
    }
    cases = {
        case.account_id: case
        for case in DunningCase.objects.select_for_update(of=("self",))
        .select_related("plan_version")
        .filter(account_id__in=account_ids, status=DunningCaseStatus.OPEN)
    }
    taken: dict[int, dict[str, DunningStepTaken]] = defaultdict(dict)
    for step in DunningStepTaken.objects.filter(case__in=list(cases.values())):
        taken[step.case_id][step.step_code] = step
    accounts = {account.pk: account for account in Account.objects.filter(pk__in=list(overdue))}
    letter_ids = [
        message_id
        for steps in taken.values()
        for step in steps.values()
        if step.action == DunningAction.DISCONNECTION_NOTICE
        for message_id in step.message_ids
    ]
    served = dict(
        LetterService.objects.filter(message_id__in=letter_ids).values_list("message_id", "served_at")
    )
    return _Chunk(
        accounts=accounts,
        overdue=overdue,
        cases=cases,
        taken=taken,
        kept_agreements=set(
            InstalmentAgreement.objects.filter(
                account_id__in=account_ids, status=InstalmentStatus.ACTIVE
            ).values_list("account_id", flat=True)
        ),
        agreements_ended=dict(
            InstalmentAgreement.objects.filter(account_id__in=account_ids, ended_at__isnull=False)
            .values("account_id")
            .annotate(last=Max("ended_at"))
            .values_list("account_id", "last")
        ),
        protected={key: value.value for key, value in protection_reasons(accounts=accounts.values()).items()},
        supplies={
            supply.account_id: supply for supply in AccountSupply.objects.filter(account_id__in=account_ids)
        },
        open_orders={
            (order.account_id, order.kind): order
            for order in SupplyOrder.objects.select_for_update().filter(
                account_id__in=account_ids, status=SupplyOrderStatus.OPEN
            )
        },
        served=served,
        recipients={
            int(recipient.key.split(":")[1]): recipient
            for recipient in recipients_for_accounts(accounts=Account.objects.filter(pk__in=list(overdue)))
        },
    )


def _candidate_account_ids() -> list[int]:
    """Accounts that may be overdue (owing electricity charges) or have an open case."""
    owing = AccountBalance.objects.filter(energy_owed__gt=0).values_list("customer_account_id", flat=True)
    with_case = DunningCase.objects.filter(status=DunningCaseStatus.OPEN).values_list("account_id", flat=True)
    return sorted(set(owing) | set(with_case))


def run_dunning(*, on: date, now: datetime, chunk_size: int = CHUNK_SIZE) -> DunningRunSummary:
    """The dunning run of day ``on``: review the instalment agreements, then for every account
    with overdue bills keep its case and take the step that is due (the earliest due step not
    yet taken, one per account and run); close the cases of accounts no longer overdue. Safe to
    run again the same day (nothing is done twice)."""
    summary = DunningRunSummary()
    summary.agreements_broken = review_instalment_agreements(on=on, now=now).broken
    plans: dict[int, dict[str, tuple[PlanStep, ...]]] = {}
    candidates = _candidate_account_ids()
    for start in range(0, len(candidates), chunk_size):
        with transaction.atomic():
            chunk = _read_chunk(account_ids=candidates[start : start + chunk_size], on=on)
            for account_id in candidates[start : start + chunk_size]:
                try:
                    with transaction.atomic():
                        _dun_account(
                            account_id=account_id, chunk=chunk, on=on, now=now, plans=plans, summary=summary
                        )
                except GridCareError:
                    logger.exception("Dunning of account %s failed on %s", account_id, on)
                    summary.failures += 1
            # Accounts that cleared without a payment (prepaid applied, an adjustment): their
            # supply, if off, is reconnected as after a payment.
            no_longer_overdue = [
                account_id
                for account_id in candidates[start : start + chunk_size]
                if account_id not in chunk.overdue
            ]
            summary.reconnection_orders += reconnect_if_cleared(
                account_ids=no_longer_overdue, actor=None, now=now
            )
    return summary


def _plan_steps(
    version: DunningPlanVersion, account: Account, plans: dict[int, dict[str, tuple[PlanStep, ...]]]
) -> tuple[PlanStep, ...]:
    if version.pk not in plans:
        plan = parse_dunning_plan(version.document)
        plans[version.pk] = {
            customer_class.value: plan.steps_for(customer_class)
            for customer_class in NOTICE_DAYS_BEFORE_DISCONNECTION
        }
    return plans[version.pk][customer_class_of(usage_category=account.usage_category).value]


def _dun_account(
    *,
    account_id: int,
    chunk: _Chunk,
    on: date,
    now: datetime,
    plans: dict[int, dict[str, tuple[PlanStep, ...]]],
    summary: DunningRunSummary,
) -> None:
    overdue = chunk.overdue.get(account_id)
    case = chunk.cases.get(account_id)
    if overdue is None:
        if case is not None:
            summary.cases_closed += _close_case(case=case, actor=None, now=now, reason="arrears paid")
            summary.orders_cancelled += cancel_unstarted_disconnections(
                account_ids=[account_id], actor=None, reason="arrears paid", now=now
            )
        return
    account = chunk.accounts[account_id]
    if case is not None and (reason := _case_outdated(case=case, overdue=overdue, chunk=chunk)):
        # Its notices were about other arrears: they must not carry a disconnection now.
        summary.cases_closed += _close_case(case=case, actor=None, now=now, reason=reason)
        summary.orders_cancelled += cancel_unstarted_disconnections(
            account_ids=[account_id], actor=None, reason=reason, now=now
        )
        case = None
    if case is None:
        if overdue.oldest_due_date is None:
            return  # only late fees open: late fees alone open no case
        case = _open_case(
            account=account, oldest_due_date=overdue.oldest_due_date, amount=overdue.amount, on=on, now=now
        )
        if case is None:
            return  # opened by a run at the same time: that run takes today's step
        summary.cases_opened += 1
    summary.accounts_overdue += 1
    oldest_due_date = overdue.oldest_due_date or case.oldest_due_date
    kept = (case.oldest_due_date, case.amount_overdue, case.stage, case.waiting_reason)
    case.oldest_due_date, case.amount_overdue = oldest_due_date, overdue.amount
    days_overdue = (on - oldest_due_date).days
    taken = chunk.taken.get(case.pk, {})
    waiting = ""
    if account_id in chunk.kept_agreements:
        waiting = "instalment agreement being kept"
    else:
        steps = _plan_steps(case.plan_version, account, plans)
        due = next((step for step in steps if step.day <= days_overdue and step.code not in taken), None)
        if due is not None:
            waiting = _take_step(
                step=due,
                case=case,
                account=account,
                days_overdue=days_overdue,
                steps=steps,
                chunk=chunk,
                on=on,
                now=now,
                summary=summary,
            )
    case.waiting_reason = waiting
    # A quiet day (no step due, nothing paid) writes nothing: the run's queries stay per chunk.
    if (case.oldest_due_date, case.amount_overdue, case.stage, case.waiting_reason) != kept:
        case.save(update_fields=["oldest_due_date", "amount_overdue", "stage", "waiting_reason"])


def _case_outdated(*, case: DunningCase, overdue: _Overdue, chunk: _Chunk) -> str:
    """Why the open ``case`` no longer describes the account's arrears (blank: it does): its
    oldest overdue bill was paid and a later one is now the oldest, or an instalment agreement
    ended after it opened (dunning resumes on arrears its notices did not state)."""
    if overdue.oldest_due_date is not None and overdue.oldest_due_date > case.oldest_due_date:
        return "oldest overdue bill changed"
    ended = chunk.agreements_ended.get(case.account_id)
    if ended is not None and ended > case.opened_at:
        return "instalment agreement ended"
    return ""


def _open_case(
    *, account: Account, oldest_due_date: date, amount: Decimal, on: date, now: datetime
) -> DunningCase | None:
    """The account's new open case; ``None`` when another run opened one at the same time (the
    unique open case per account, tried in a savepoint, so the run goes on)."""
    try:
        with transaction.atomic():
            case = DunningCase.objects.create(
                org_unit_id=account.org_unit_id,
                account=account,
                plan_version=plan_version_in_force(on=on),
                oldest_due_date=oldest_due_date,
                amount_overdue=amount,
                opened_at=now,
            )
    except IntegrityError:
        return None
    record_audit_event(
        actor=None,
        action="payments.dunning_case_opened",
        target=case,
        occurred_at=now,
        changes={"account_no": account.account_no, "oldest_due_date": oldest_due_date.isoformat()},
    )
    return case


def _disconnect_date(
    *, step: PlanStep, steps: Sequence[PlanStep], case: DunningCase, account: Account, on: date
) -> date | None:
    """The disconnection date a message of ``step`` states: the plan's cut day of the account's
    class, and for a notice no earlier than the class's notice period from ``on`` (the run
    never cuts before the date a served notice stated: :func:`_disconnection_waits_for`)."""
    cut = next((other for other in steps if other.action == DunningAction.DISCONNECTION), None)
    if cut is None:
        return None
    lead = (
        NOTICE_DAYS_BEFORE_DISCONNECTION[customer_class_of(usage_category=account.usage_category)]
        if step.action == DunningAction.DISCONNECTION_NOTICE
        else 1
    )
    return max(case.oldest_due_date + timedelta(days=cut.day), on + timedelta(days=lead))


def _take_step(
    *,
    step: PlanStep,
    case: DunningCase,
    account: Account,
    days_overdue: int,
    steps: Sequence[PlanStep],
    chunk: _Chunk,
    on: date,
    now: datetime,
    summary: DunningRunSummary,
) -> str:
    """Take ``step`` of ``case`` (send its messages, or create the disconnection order, or
    record why it is skipped). What the case waits for, when the step cannot be taken yet."""
    if step.action == DunningAction.DISCONNECTION:
        waiting = _disconnection_waits_for(
            case=case, account=account, days_overdue=days_overdue, steps=steps, chunk=chunk, on=on
        )
        if waiting:
            return waiting
    try:
        with transaction.atomic():
            # The step's row first: it is the idempotency key of all the step does.
            taken = DunningStepTaken.objects.create(
                case=case,
                step_code=step.code,
                action=step.action,
                taken_on=on,
                days_overdue=days_overdue,
                outcome=DunningStepOutcome.SENT,
                taken_at=now,
            )
    except IntegrityError:
        return ""  # taken by another run at the same time
    if step.action == DunningAction.DISCONNECTION:
        _disconnect(taken=taken, case=case, account=account, chunk=chunk, now=now, summary=summary)
    else:
        _send(taken=taken, step=step, steps=steps, case=case, account=account, chunk=chunk, on=on, now=now)
        if taken.outcome == DunningStepOutcome.SENT:
            summary.steps_sent += 1
    if taken.outcome == DunningStepOutcome.SKIPPED:
        summary.steps_skipped += 1
    else:
        case.stage = step.action
    taken.save(update_fields=["outcome", "channels", "message_ids", "detail", "disconnect_on"])
    record_audit_event(
        actor=None,
        action="payments.dunning_step_taken",
        target=case,
        occurred_at=now,
        changes={
            "step": step.code,
            "outcome": taken.outcome,
            "channels": taken.channels,
            "detail": taken.detail,
        },
    )
    return ""


def _disconnect(
    *,
    taken: DunningStepTaken,
    case: DunningCase,
    account: Account,
    chunk: _Chunk,
    now: datetime,
    summary: DunningRunSummary,
) -> None:
    protected = chunk.protected.get(account.pk)
    existing = chunk.open_orders.get((account.pk, SupplyOrderKind.DISCONNECTION))
    if protected:
        taken.outcome, taken.detail = DunningStepOutcome.SKIPPED, f"protected: {protected}"
    elif existing is not None:
        taken.outcome, taken.detail = DunningStepOutcome.SKIPPED, f"order already open: {existing.order_no}"
    else:
        supply = chunk.supplies.get(account.pk)
        order = create_supply_order(
            actor=None,
            account=account,
            kind=SupplyOrderKind.DISCONNECTION,
            case=case,
            remote_capable=supply is not None and supply.remote_switch_capable,
            now=now,
        )
        taken.outcome, taken.detail = DunningStepOutcome.ORDER_CREATED, order.order_no
        summary.disconnection_orders += 1


def _send(
    *,
    taken: DunningStepTaken,
    step: PlanStep,
    steps: Sequence[PlanStep],
    case: DunningCase,
    account: Account,
    chunk: _Chunk,
    on: date,
    now: datetime,
) -> None:
    recipient = chunk.recipients[account.pk]
    reachable = dataclasses.replace(
        recipient,
        addresses={
            channel: address for channel, address in recipient.addresses.items() if channel in step.channels
        },
    )
    disconnect_date = _disconnect_date(step=step, steps=steps, case=case, account=account, on=on)
    taken.disconnect_on = disconnect_date
    messages = notify(
        event=ACTION_EVENTS[step.action],
        recipients=[reachable],
        context={
            "customer_name": account.name,
            "account_no": account.account_no,
            "amount": f"{case.amount_overdue:.2f}",
            "due_date": case.oldest_due_date.isoformat(),
            "days_overdue": taken.days_overdue,
            "disconnect_date": disconnect_date.isoformat() if disconnect_date else "—",
        },
        now=now,
        dedupe_key=f"dunning-step:{taken.pk}",
    )
    taken.channels = sorted({message.channel for message in messages})
    taken.message_ids = [message.pk for message in messages]
    if not messages:
        taken.outcome, taken.detail = DunningStepOutcome.SKIPPED, "no address on the step's channels"


def _disconnection_waits_for(
    *,
    case: DunningCase,
    account: Account,
    days_overdue: int,
    steps: Sequence[PlanStep],
    chunk: _Chunk,
    on: date,
) -> str:
    """Why the disconnection of ``case`` may not happen on ``on`` (blank: it may). The legal
    minimums, checked here whatever the plan says: more than 30 days overdue, the disconnection
    notice served (as a letter) the required days before, a reminder on an earlier day after
    the notice."""
    if days_overdue < MIN_DAYS_OVERDUE_TO_DISCONNECT:
        return "not more than 30 days overdue"
    taken = chunk.taken.get(case.pk, {})
    notice = next(
        (step for step in taken.values() if step.action == DunningAction.DISCONNECTION_NOTICE), None
    )
    served_dates = [
        local_date(chunk.served[message_id])
        for message_id in (notice.message_ids if notice else [])
        if message_id in chunk.served
    ]
    if not served_dates:
        return "disconnection notice not served"
    lead_days = NOTICE_DAYS_BEFORE_DISCONNECTION[customer_class_of(usage_category=account.usage_category)]
    if min(served_dates) + timedelta(days=lead_days) > on:
        return f"notice served less than {lead_days} days ago"
    if notice is not None and notice.disconnect_on is not None and on < notice.disconnect_on:
        return f"notice stated disconnection on {notice.disconnect_on.isoformat()}"
    reminded = [
        step
        for step in taken.values()
        if step.action == DunningAction.PRE_DISCONNECTION_REMINDER
        and step.outcome == DunningStepOutcome.SENT
        and notice is not None
        and notice.taken_on <= step.taken_on < on
    ]
    if not reminded:
        return "no reminder before disconnection yet"
    return ""


def _close_case(*, case: DunningCase, actor: User | None, now: datetime, reason: str) -> int:
    case.status, case.closed_at, case.waiting_reason = DunningCaseStatus.CLOSED, now, ""
    case.save(update_fields=["status", "closed_at", "waiting_reason"])
    record_audit_event(
        actor=actor,
        action="payments.dunning_case_closed",
        target=case,
        occurred_at=now,
        changes={"reason": reason},
    )
    return 1


# --- reconnection ---------------------------------------------------------------------------


def reconnect_if_cleared(*, account_ids: Sequence[int], actor: User | None, now: datetime) -> int:
    """For each of ``account_ids`` whose arrears and late fees are all paid (no late fee open, no
    bill open past its due date): cancel its open disconnection order unless its remote command
    has left (that one, once confirmed, is reconnected at once: supply_orders), close its
    dunning case, and — when its supply is off for arrears — create a reconnection order at
    once, due within the reconnection limit. In the caller's transaction (a payment's), locking
    the accounts, then the cases, then the orders. The number of reconnection orders created."""
    if not account_ids:
        return 0
    hold_accounts(account_ids=account_ids)
    cleared_ids = arrears_cleared_account_ids(account_ids=account_ids, on=local_date(now))
    cleared = [account_id for account_id in account_ids if account_id in cleared_ids]
    # prepaid (docs/prepaid.md): an account cut off for its prepaid balance owes no arrears;
    # prepaid's own hook reconnects it when the balance is back, not any payment.
    from gridcare.payments.prepaid import cut_off_prepaid_account_ids

    held = cut_off_prepaid_account_ids(account_ids=cleared)
    cleared = [account_id for account_id in cleared if account_id not in held]
    if not cleared:
        return 0
    with transaction.atomic():
        for case in DunningCase.objects.select_for_update().filter(
            account_id__in=cleared, status=DunningCaseStatus.OPEN
        ):
            _close_case(case=case, actor=actor, now=now, reason="arrears paid")
        cancel_unstarted_disconnections(account_ids=cleared, actor=actor, reason="arrears paid", now=now)
        disconnected = AccountSupply.objects.filter(account_id__in=cleared, disconnected=True).select_related(
            "account"
        )
        already = set(
            SupplyOrder.objects.filter(
                account_id__in=cleared, kind=SupplyOrderKind.RECONNECTION, status=SupplyOrderStatus.OPEN
            ).values_list("account_id", flat=True)
        )
        created = 0
        for supply in disconnected:
            if supply.account_id in already:
                continue
            create_supply_order(
                actor=actor,
                account=supply.account,
                kind=SupplyOrderKind.RECONNECTION,
                case=None,
                remote_capable=supply.remote_switch_capable,
                now=now,
            )
            created += 1
    return created
