"""Every state change of bill runs and bills (docs/billing-runs.md): creating a run, the review
(hold, release, send back for a read check, recalculate, approve), issuing (电费发行), cancelling
a run before issue, and adjusting an issued bill (退补电费: cancel or rebill).

Calculating a run is the runner's (:mod:`gridcare.billing.runners.local`), queued as a background job
when the run is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from gridcare.audit.operations import record_audit_event
from gridcare.billing.calculation import accounts_of_run, calculate_bills, store_estimated_reads
from gridcare.billing.errors import (
    AdjustmentReasonMissing,
    BillRunNoAccounts,
    BillRunNotReviewed,
    BillRunOverlaps,
    BillRunPeriodInvalid,
    BillRunStatusForbids,
    BillStatusForbids,
)
from gridcare.billing.models import (
    DEFAULT_PARTITION_SIZE,
    Bill,
    BillKind,
    BillLine,
    BillRun,
    BillRunPartition,
    BillRunStatus,
    BillStatus,
)
from gridcare.billing.receivables import post_issued_bills
from gridcare.billing.review import has_blocking_exception
from gridcare.billing.run_locks import hold_run_for_a_status_change
from gridcare.billing.tasks import calculate_bill_run_task
from gridcare.customers.models import ReadingRoute
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.jobs.operations import enqueue
from gridcare.kit.clock import local_date
from gridcare.kit.money import round_to_fen
from gridcare.organization.models import OrgUnit
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.late_fees import charge_late_fees
from gridcare.payments.operations import apply_prepaid, hold_accounts

#: The longest period one run bills (a quarter): longer periods are a typo, not a cycle.
MAX_PERIOD_DAYS = 92


@denials_audited
@transaction.atomic
def create_bill_run(
    *,
    actor: User,
    org_unit: OrgUnit,
    period_start: date,
    period_end: date,
    reading_routes: Sequence[ReadingRoute] = (),
    partition_size: int = DEFAULT_PARTITION_SIZE,
    now: datetime,
) -> BillRun:
    """Create a run billing ``org_unit``'s accounts (those of ``reading_routes`` when given) for
    ``[period_start, period_end)``, split into partitions of ``partition_size`` accounts, and
    queue its calculation as a background job when the transaction commits."""
    ensure_changeable(
        user=actor, permission=Permission.RUN_BILLING, org_unit=org_unit, operation="create_bill_run"
    )
    if not period_start < period_end <= period_start + timedelta(days=MAX_PERIOD_DAYS):
        raise BillRunPeriodInvalid(period_start=period_start.isoformat(), period_end=period_end.isoformat())
    overlapping = _overlapping_run(
        org_unit=org_unit, period_start=period_start, period_end=period_end, reading_routes=reading_routes
    )
    if overlapping is not None:
        raise BillRunOverlaps(
            number=overlapping.number,
            org_unit=org_unit.name,
            period_start=overlapping.period_start.isoformat(),
            period_end=overlapping.period_end.isoformat(),
        )
    (sequence,) = reserve_sequence_numbers(name="bill_run")
    run = BillRun.objects.create(
        org_unit=org_unit,
        number=f"HS{period_start:%Y%m}{sequence:06d}",
        period_start=period_start,
        period_end=period_end,
        partition_size=partition_size,
        created_by=actor,
        created_at=now,
    )
    run.reading_routes.set(reading_routes)
    account_ids = list(accounts_of_run(run=run).values_list("id", flat=True))
    if not account_ids:
        raise BillRunNoAccounts(org_unit=org_unit.name)
    BillRunPartition.objects.bulk_create(
        BillRunPartition(
            run=run,
            index=index,
            account_id_from=chunk[0],
            account_id_to=chunk[-1],
            accounts=len(chunk),
        )
        for index, chunk in enumerate(
            account_ids[start : start + partition_size]
            for start in range(0, len(account_ids), partition_size)
        )
    )
    run.accounts_total = len(account_ids)
    run.save(update_fields=["accounts_total"])
    record_audit_event(
        actor=actor,
        action="billing.run_created",
        target=run,
        occurred_at=now,
        changes={
            "period": [period_start.isoformat(), period_end.isoformat()],
            "reading_routes": [route.code for route in reading_routes],
            "accounts": len(account_ids),
        },
    )
    # Queued in this transaction: the worker sees the job only once the run it calculates exists.
    job = enqueue(calculate_bill_run_task, now=now, idempotency_key=f"bill-run-{run.pk}", run_id=run.pk)
    run.job_run_id = job.pk
    run.save(update_fields=["job_run_id"])
    return run


# --- review -------------------------------------------------------------------------------------


def _locked_bill(
    *, actor: User, bill: Bill, operation: str, allowed: Sequence[str], action_zh: str, action_en: str
) -> Bill:
    ensure_changeable(
        user=actor, permission=Permission.RUN_BILLING, org_unit=bill.org_unit, operation=operation
    )
    locked: Bill = Bill.objects.select_for_update().select_related("account").get(pk=bill.pk)
    if locked.status not in allowed:
        raise BillStatusForbids(
            account_no=locked.account.account_no,
            period_start=locked.period_start.isoformat(),
            status=BillStatus(locked.status).label,
            action_zh=action_zh,
            action_en=action_en,
        )
    return locked


def _set_status(*, actor: User, bill: Bill, status: str, note: str, action: str, now: datetime) -> Bill:
    previous = bill.status
    bill.status = status
    bill.review_note = note[:300]
    bill.save(update_fields=["status", "review_note"])
    record_audit_event(
        actor=actor,
        action=action,
        target=bill,
        occurred_at=now,
        changes={"status": [previous, status], "note": note},
    )
    return bill


@denials_audited
@transaction.atomic
def hold_bill(*, actor: User, bill: Bill, note: str, now: datetime) -> Bill:
    """Hold a bill out of issue (暂缓发行) with the reviewer's note."""
    locked = _locked_bill(
        actor=actor,
        bill=bill,
        operation="hold_bill",
        allowed=(BillStatus.CALCULATED, BillStatus.APPROVED),
        action_zh="暂缓发行",
        action_en="be held",
    )
    return _set_status(
        actor=actor, bill=locked, status=BillStatus.HELD, note=note, action="billing.bill_held", now=now
    )


@denials_audited
@transaction.atomic
def release_bill(*, actor: User, bill: Bill, now: datetime) -> Bill:
    """Release a held bill back to review."""
    locked = _locked_bill(
        actor=actor,
        bill=bill,
        operation="release_bill",
        allowed=(BillStatus.HELD,),
        action_zh="解除暂缓",
        action_en="be released",
    )
    return _set_status(
        actor=actor,
        bill=locked,
        status=BillStatus.CALCULATED,
        note="",
        action="billing.bill_released",
        now=now,
    )


@denials_audited
@transaction.atomic
def send_back_for_read_check(*, actor: User, bill: Bill, note: str, now: datetime) -> Bill:
    """Send a bill's meter reads back for checking (退回复核抄表); recalculate it afterwards."""
    locked = _locked_bill(
        actor=actor,
        bill=bill,
        operation="send_back_for_read_check",
        allowed=(BillStatus.CALCULATED, BillStatus.HELD, BillStatus.APPROVED),
        action_zh="退回复核抄表",
        action_en="be sent back for a read check",
    )
    return _set_status(
        actor=actor,
        bill=locked,
        status=BillStatus.READ_CHECK,
        note=note,
        action="billing.bill_sent_back",
        now=now,
    )


@denials_audited
@transaction.atomic
def recalculate_bill(*, actor: User, bill: Bill, now: datetime) -> Bill:
    """Withdraw an unissued bill and calculate it again from today's reads, terms and tariffs
    (after a read check, a corrected read or billing terms); the new bill replaces it in its run."""
    locked = _locked_bill(
        actor=actor,
        bill=bill,
        operation="recalculate_bill",
        allowed=(BillStatus.CALCULATED, BillStatus.HELD, BillStatus.READ_CHECK),
        action_zh="重新计算",
        action_en="be recalculated",
    )
    locked.status = BillStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    (calculated,) = calculate_bills(
        accounts=[locked.account],
        period_start=locked.period_start,
        period_end=locked.period_end,
        run=locked.run,
        now=now,
    )
    store_estimated_reads(bills=[calculated], now=now)
    calculated.bill.save()
    for line in calculated.lines:
        line.bill = calculated.bill
    BillLine.objects.bulk_create(calculated.lines)
    if locked.run_id is not None:
        flagged_change = int(bool(calculated.bill.exceptions)) - int(bool(locked.exceptions))
        if flagged_change:
            BillRun.objects.filter(pk=locked.run_id).update(bills_flagged=F("bills_flagged") + flagged_change)
    record_audit_event(
        actor=actor,
        action="billing.bill_recalculated",
        target=calculated.bill,
        occurred_at=now,
        changes={"replaces": locked.pk, "total": [str(locked.total), str(calculated.bill.total)]},
    )
    return calculated.bill


@denials_audited
@transaction.atomic
def approve_bills(*, actor: User, run: BillRun, bills: Sequence[Bill] | None = None, now: datetime) -> int:
    """Approve (审核通过) the given bills of ``run``, or, without ``bills``, every calculated bill
    of the run with no exception; returns how many were approved. A bill with a blocking
    exception is never approved."""
    ensure_changeable(
        user=actor, permission=Permission.RUN_BILLING, org_unit=run.org_unit, operation="approve_bills"
    )
    _ensure_run_status(
        run=run,
        allowed=(BillRunStatus.IN_REVIEW, BillRunStatus.ISSUED),
        action_zh="审核",
        action_en="be reviewed",
    )
    candidates = Bill.objects.select_for_update().filter(run=run, status=BillStatus.CALCULATED)
    if bills is None:
        candidates = candidates.filter(exceptions=[])
    else:
        candidates = candidates.filter(pk__in=[bill.pk for bill in bills])
    approved = [bill.pk for bill in candidates if not has_blocking_exception(bill.exceptions)]
    Bill.objects.filter(pk__in=approved).update(status=BillStatus.APPROVED)
    record_audit_event(
        actor=actor,
        action="billing.bills_approved",
        target=run,
        occurred_at=now,
        changes={"bills": len(approved), "selection": "clean" if bills is None else "chosen"},
    )
    return len(approved)


def _overlapping_run(
    *, org_unit: OrgUnit, period_start: date, period_end: date, reading_routes: Sequence[ReadingRoute]
) -> BillRun | None:
    """A live run whose accounts may be among this one's over overlapping days: its org unit
    contains this one's or lies inside it, and the two share a reading route (a run without
    routes takes all of its org unit's). Runs of different reading-day groups of one org unit
    overlap in dates but not in accounts, so they do not conflict."""
    ancestors = [code for code in org_unit.path.strip("/").split("/") if code]
    candidates = (
        BillRun.objects.filter(period_start__lt=period_end, period_end__gt=period_start)
        .filter(Q(org_unit__path__startswith=org_unit.path) | Q(org_unit__code__in=ancestors))
        .exclude(status=BillRunStatus.CANCELLED)
        .prefetch_related("reading_routes")
        .order_by("created_at", "id")
    )
    route_ids = {route.pk for route in reading_routes}
    candidate: BillRun
    for candidate in candidates:
        theirs = {route.pk for route in candidate.reading_routes.all()}
        if not route_ids or not theirs or route_ids & theirs:
            return candidate
    return None


def _locked_run(*, run: BillRun) -> BillRun:
    hold_run_for_a_status_change(run_id=run.pk)
    locked: BillRun = BillRun.objects.select_for_update().get(pk=run.pk)
    return locked


def _ensure_run_status(*, run: BillRun, allowed: Sequence[str], action_zh: str, action_en: str) -> None:
    if run.status not in allowed:
        raise BillRunStatusForbids(
            number=run.number,
            status=BillRunStatus(run.status).label,
            action_zh=action_zh,
            action_en=action_en,
        )


# --- issue --------------------------------------------------------------------------------------


def due_date_for(*, issued_on: date) -> date:
    """The payment due date of a bill issued on ``issued_on`` (GRIDCARE_BILL_DUE_DAYS later)."""
    return issued_on + timedelta(days=settings.GRIDCARE_BILL_DUE_DAYS)


def _issue(*, bills: Sequence[Bill], actor: User, now: datetime) -> None:
    """Number, date and mark ``bills`` issued, and post each one to the receivables ledger."""
    # The accounts first, as every operation moving an account's money takes them (no deadlock
    # with a payment arriving meanwhile).
    hold_accounts(account_ids=[bill.account_id for bill in bills])
    issued_on = local_date(now)
    numbers = reserve_sequence_numbers(name="bill", count=len(bills)) if bills else range(0)
    due = due_date_for(issued_on=issued_on)
    for bill, number in zip(bills, numbers, strict=True):
        bill.status = BillStatus.ISSUED
        bill.number = f"{issued_on:%Y%m}{number:010d}"
        bill.issued_at = now
        bill.due_date = due
    Bill.objects.bulk_update(bills, ["status", "number", "issued_at", "due_date"], batch_size=1000)
    # A refund settles what is open of the bill it adjusts: the late fees that bill accrued on
    # it until today are charged first, on the amount unpaid until then.
    refunding = [bill.account_id for bill in bills if bill.total < 0 and bill.adjusts_id is not None]
    if refunding:
        charge_late_fees(account_ids=refunding, through=issued_on, actor=actor, now=now)
    post_issued_bills(bills=bills, actor=actor, now=now)
    # An overpayment kept as prepaid pays the bills just issued.
    apply_prepaid(account_ids=[bill.account_id for bill in bills], actor=actor, now=now)


@denials_audited
@transaction.atomic
def issue_bill_run(*, actor: User, run: BillRun, now: datetime) -> int:
    """Issue (电费发行) every approved bill of ``run``: each gets a bill number and a due date and
    is never changed again. Refused while a bill still awaits review or a read check; held bills
    stay held (issue them later with :func:`issue_bill`). Returns how many were issued."""
    ensure_changeable(
        user=actor, permission=Permission.RUN_BILLING, org_unit=run.org_unit, operation="issue_bill_run"
    )
    run = _locked_run(run=run)
    _ensure_run_status(run=run, allowed=(BillRunStatus.IN_REVIEW,), action_zh="发行", action_en="be issued")
    waiting = Bill.objects.filter(run=run, status__in=[BillStatus.CALCULATED, BillStatus.READ_CHECK]).count()
    if waiting:
        raise BillRunNotReviewed(number=run.number, count=waiting)
    bills = list(Bill.objects.filter(run=run, status=BillStatus.APPROVED).order_by("account_id"))
    _issue(bills=bills, actor=actor, now=now)
    run.status = BillRunStatus.ISSUED
    run.issued_at = now
    run.issued_by = actor
    run.save(update_fields=["status", "issued_at", "issued_by"])
    record_audit_event(
        actor=actor,
        action="billing.run_issued",
        target=run,
        occurred_at=now,
        changes={"bills": len(bills), "total": str(sum((bill.total for bill in bills), Decimal(0)))},
    )
    return len(bills)


@denials_audited
@transaction.atomic
def issue_bill(*, actor: User, bill: Bill, now: datetime) -> Bill:
    """Issue one approved bill of an issued run (a bill held at the run's issue and approved since)."""
    locked = _locked_bill(
        actor=actor,
        bill=bill,
        operation="issue_bill",
        allowed=(BillStatus.APPROVED,),
        action_zh="发行",
        action_en="be issued",
    )
    if locked.run is not None:
        _ensure_run_status(
            run=locked.run,
            allowed=(BillRunStatus.ISSUED,),
            action_zh="单张发行",
            action_en="issue single bills",
        )
    _issue(bills=[locked], actor=actor, now=now)
    record_audit_event(
        actor=actor,
        action="billing.bill_issued",
        target=locked,
        occurred_at=now,
        changes={"number": locked.number},
    )
    return locked


@denials_audited
@transaction.atomic
def cancel_bill_run(*, actor: User, run: BillRun, reason: str, now: datetime) -> BillRun:
    """Cancel a run that is not issued: its bills are withdrawn (kept, never deleted)."""
    ensure_changeable(
        user=actor, permission=Permission.RUN_BILLING, org_unit=run.org_unit, operation="cancel_bill_run"
    )
    run = _locked_run(run=run)
    _ensure_run_status(
        run=run,
        allowed=(BillRunStatus.CREATED, BillRunStatus.CALCULATING, BillRunStatus.IN_REVIEW),
        action_zh="作废",
        action_en="be cancelled",
    )
    withdrawn = (
        Bill.objects.filter(run=run)
        .exclude(status__in=[BillStatus.ISSUED, BillStatus.WITHDRAWN])
        .update(status=BillStatus.WITHDRAWN)
    )
    previous = run.status
    run.status = BillRunStatus.CANCELLED
    run.save(update_fields=["status"])
    record_audit_event(
        actor=actor,
        action="billing.run_cancelled",
        target=run,
        occurred_at=now,
        changes={"status": [previous, run.status], "bills_withdrawn": withdrawn, "reason": reason},
    )
    return run


# --- adjustments (退补电费) ----------------------------------------------------------------------


def effective_lines(*, bill: Bill) -> list[BillLine]:
    """The lines in force for an issued regular bill: its own, or those its latest issued
    adjustment recalculated (none when that adjustment cancelled it)."""
    latest = Bill.objects.filter(adjusts=bill, status=BillStatus.ISSUED).order_by("-issued_at", "-id").first()
    if latest is None:
        return list(bill.lines.order_by("position"))
    return list(latest.lines.filter(inputs__adjustment="recalculated").order_by("position"))


@denials_audited
@transaction.atomic
def adjust_bill(*, actor: User, bill: Bill, reason: str, rebill: bool, now: datetime) -> Bill:
    """Correct an issued regular bill with an issued adjustment bill (退补电费): it reverses the
    lines in force and, when ``rebill``, adds the bill calculated again from today's reads and
    terms; its total is the difference (positive: owed, negative: refunded). The issued bill is
    never changed."""
    ensure_changeable(
        user=actor, permission=Permission.ADJUST_BILLS, org_unit=bill.org_unit, operation="adjust_bill"
    )
    if not reason.strip():
        raise AdjustmentReasonMissing()
    original = Bill.objects.select_for_update().select_related("account").get(pk=bill.pk)
    if original.status != BillStatus.ISSUED or original.kind != BillKind.REGULAR:
        raise BillStatusForbids(
            account_no=original.account.account_no,
            period_start=original.period_start.isoformat(),
            status=BillStatus(original.status).label,
            action_zh="退补（只能退补已发行的正常账单）",
            action_en="be adjusted (only issued regular bills are)",
        )
    in_force = effective_lines(bill=original)
    lines = [
        BillLine(
            position=position,
            code=line.code,
            name_zh=f"冲减：{line.name_zh}",
            name_en=f"Reversal: {line.name_en}",
            quantity=-line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            amount=-line.amount,
            rule=line.rule,
            inputs={**line.inputs, "adjustment": "reversed", "reverses_line": line.pk},
            tariff_version=line.tariff_version,
        )
        for position, line in enumerate(in_force, start=1)
    ]
    reversed_kwh = _energy_in_force(bill=original)
    energy_delta = -reversed_kwh
    usage: dict[str, object] = {"reason": reason}
    if rebill:
        (calculated,) = calculate_bills(
            accounts=[original.account],
            period_start=original.period_start,
            period_end=original.period_end,
            run=None,
            now=now,
            kind=BillKind.ADJUSTMENT,
        )
        for line in calculated.lines:
            line.position = len(lines) + 1
            line.inputs = {**line.inputs, "adjustment": "recalculated"}
            lines.append(line)
        energy_delta += calculated.bill.energy_kwh
        usage = {**calculated.bill.usage, "reason": reason, "exceptions": calculated.bill.exceptions}
    adjustment = Bill.objects.create(
        org_unit=original.org_unit,
        account=original.account,
        kind=BillKind.ADJUSTMENT,
        status=BillStatus.APPROVED,
        period_start=original.period_start,
        period_end=original.period_end,
        tariff_code=original.tariff_code,
        tariff_version=original.tariff_version,
        energy_kwh=energy_delta,
        total=round_to_fen(sum((line.amount for line in lines), Decimal(0))),
        usage=usage,
        adjusts=original,
        adjustment_reason=reason[:300],
        calculated_at=now,
    )
    for line in lines:
        line.bill = adjustment
    BillLine.objects.bulk_create(lines)
    _issue(bills=[adjustment], actor=actor, now=now)
    record_audit_event(
        actor=actor,
        action="billing.bill_adjusted",
        target=adjustment,
        occurred_at=now,
        changes={
            "adjusts": original.number,
            "rebill": rebill,
            "reason": reason,
            "total": str(adjustment.total),
            "energy_kwh": str(energy_delta),
        },
    )
    return adjustment


def _energy_in_force(*, bill: Bill) -> Decimal:
    """The kWh billed for ``bill``'s period so far: its own plus its issued adjustments' changes."""
    changes = Bill.objects.filter(adjusts=bill, status=BillStatus.ISSUED).values_list("energy_kwh", flat=True)
    return bill.energy_kwh + sum(changes, Decimal(0))
