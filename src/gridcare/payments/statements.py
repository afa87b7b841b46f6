"""Every state change of reconciliation (对账, docs/reconciliation.md): importing a bank statement
— matching its lines to payments and clearing the matched ones, in one transaction — and a
person's resolution of a line that did not match.

Clearing a line posts Dr 银行存款 (cash.bank) / Cr 银行在途 (cash.bank_in_transit) for its amount,
keyed by the payment it clears, so a payment is cleared once whatever happens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_date, local_midnight, to_local
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import JournalEntry, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.organization.models import OrgUnit
from gridcare.payments.errors import (
    StatementAlreadyImported,
    StatementLineNotOpen,
    StatementReasonMissing,
    StatementSerialTaken,
)
from gridcare.payments.models import (
    BankStatement,
    LineDirection,
    LineResolution,
    LineStatus,
    Payment,
    PaymentChannel,
    PaymentStatus,
    StatementLine,
)
from gridcare.payments.operations import payment_key, record_payment, reverse_payment
from gridcare.payments.statement_formats import ParsedLine, ParsedStatement, parse_statement

#: The channels whose money arrives through a bank account, in the order a serial is tried.
BANK_CHANNELS: tuple[PaymentChannel, ...] = (
    PaymentChannel.BANK_REALTIME,
    PaymentChannel.BANK_DEBIT,
    PaymentChannel.PROVIDER,
    PaymentChannel.COUNTER_CARD,
)
#: The statuses a person still has to resolve.
OPEN_STATUSES = frozenset(
    {LineStatus.UNMATCHED, LineStatus.DUPLICATE, LineStatus.AMOUNT_MISMATCH, LineStatus.DATE_MISMATCH}
)


def file_sha256(content: bytes) -> str:
    """The hex SHA-256 of a file's bytes: what tells a statement file imported before."""
    return hashlib.sha256(content).hexdigest()


@denials_audited
@transaction.atomic
def import_statement(
    *,
    actor: User | None,
    org_unit: OrgUnit,
    content: bytes,
    file_name: str,
    bank: str = "",
    manifest_integration: str = "",
    now: datetime,
) -> BankStatement:
    """Import the statement file ``content`` for ``org_unit`` (whose subtree's payments it is
    matched against): parse it whole (a bad file raises
    :class:`~gridcare.payments.errors.StatementFileInvalid` with every problem, nothing stored),
    store it and its lines, match each credit line to a payment and clear the matched ones.

    A file already imported (same SHA-256, or the same statement id of the same bank account)
    is refused with :class:`~gridcare.payments.errors.StatementAlreadyImported`."""
    ensure_changeable(
        user=actor, permission=Permission.RECONCILE, org_unit=org_unit, operation="import_statement"
    )
    sha256 = file_sha256(content)
    _refuse_if_imported(BankStatement.objects.filter(sha256=sha256).first())
    parsed = parse_statement(content=content, file_name=file_name, bank=bank)
    _refuse_if_imported(
        BankStatement.objects.filter(account_no=parsed.account_no, statement_id=parsed.statement_id).first()
    )
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                org_unit=org_unit,
                bank=parsed.bank,
                account_no=parsed.account_no,
                statement_id=parsed.statement_id,
                file_format=parsed.file_format,
                file_name=file_name[:255],
                sha256=sha256,
                manifest_integration=manifest_integration,
                period_start=parsed.period_start,
                period_end=parsed.period_end,
                imported_by=actor if actor is not None and actor.pk else None,
                imported_at=now,
            )
    except IntegrityError:
        # The same file imported by another transaction since we looked.
        _refuse_if_imported(
            BankStatement.objects.filter(sha256=sha256).first()
            or BankStatement.objects.filter(
                account_no=parsed.account_no, statement_id=parsed.statement_id
            ).first()
        )
        raise
    lines = _match(statement=statement, parsed=parsed)
    StatementLine.objects.bulk_create(lines)
    saved = list(
        statement.lines.select_related("payment", "statement").order_by("position", "transaction_no")
    )
    _clear(lines=[line for line in saved if line.status == LineStatus.MATCHED], actor=actor, now=now)
    counts = {status: sum(line.status == status for line in saved) for status in LineStatus.values}
    record_audit_event(
        actor=actor,
        action="payments.statement_imported",
        target=statement,
        occurred_at=now,
        changes={
            "file_name": file_name,
            "sha256": sha256,
            "statement_id": parsed.statement_id,
            "account_no": parsed.account_no,
            "lines": len(saved),
            "counts": {status: count for status, count in counts.items() if count},
            "manifest": manifest_integration,
        },
    )
    return statement


def _refuse_if_imported(statement: BankStatement | None) -> None:
    if statement is not None:
        raise StatementAlreadyImported(
            statement_id=statement.statement_id,
            account_no=statement.account_no,
            imported_at=f"{to_local(statement.imported_at):%Y-%m-%d %H:%M}",
        )


def _match(*, statement: BankStatement, parsed: ParsedStatement) -> list[StatementLine]:
    """The statement's lines, each with what matching found (see docs/reconciliation.md)."""
    references = {reference for line in parsed.lines for reference in line.references}
    by_key = _payments_by_key(org_unit=statement.org_unit, serials=references)
    # References already taken by a line of an earlier statement (not dismissed).
    claimed = set(
        StatementLine.objects.filter(matched_reference__in=references)
        .exclude(resolution=LineResolution.DISMISSED)
        .values_list("matched_reference", flat=True)
    )
    # Payments already named by such a line (perhaps under another of their references).
    claimed_payments = set(
        StatementLine.objects.filter(payment__in=list(by_key.values()))
        .exclude(resolution=LineResolution.DISMISSED)
        .values_list("payment_id", flat=True)
    )
    window = timedelta(days=settings.GRIDCARE_RECONCILIATION_DATE_WINDOW_DAYS)
    lines = []
    for parsed_line in parsed.lines:
        line = _new_line(statement=statement, parsed=parsed_line)
        if parsed_line.direction == LineDirection.CREDIT:
            reference, payment = _find_payment(parsed_line, by_key=by_key)
            line.matched_reference = reference or parsed_line.primary_reference
            line.payment = payment
            if (line.matched_reference and line.matched_reference in claimed) or (
                payment is not None and payment.pk in claimed_payments
            ):
                line.status = LineStatus.DUPLICATE
            elif payment is None:
                line.status = LineStatus.UNMATCHED
            elif payment.amount != parsed_line.amount:
                line.status = LineStatus.AMOUNT_MISMATCH
            elif abs(local_date(payment.received_at) - parsed_line.booking_date) > window:
                line.status = LineStatus.DATE_MISMATCH
            else:
                line.status = LineStatus.MATCHED
            if line.matched_reference:
                claimed.add(line.matched_reference)
            if payment is not None:
                claimed_payments.add(payment.pk)
        line.found_status = line.status
        lines.append(line)
    return lines


def _new_line(*, statement: BankStatement, parsed: ParsedLine) -> StatementLine:
    return StatementLine(
        org_unit_id=statement.org_unit_id,
        statement=statement,
        position=parsed.position,
        transaction_no=parsed.transaction_no,
        direction=parsed.direction,
        amount=parsed.amount,
        currency=parsed.currency,
        booking_date=parsed.booking_date,
        value_date=parsed.value_date,
        end_to_end_id=parsed.end_to_end_id,
        bank_reference=parsed.bank_reference,
        remittance_info=parsed.remittance_info,
        counterparty_name=parsed.counterparty_name,
        # Debit lines (money out) are never matched: listed for a person.
        status=LineStatus.UNMATCHED,
    )


def _payments_by_key(*, org_unit: OrgUnit, serials: Iterable[str]) -> dict[str, Payment]:
    """The posted bank-channel payments of ``org_unit``'s subtree whose serial is one of
    ``serials``, by payment key."""
    keys = [payment_key(channel=channel, serial=serial) for serial in serials for channel in BANK_CHANNELS]
    found = Payment.objects.filter(
        idempotency_key__in=keys, status=PaymentStatus.POSTED, org_unit__path__startswith=org_unit.path
    )
    return {payment.idempotency_key: payment for payment in found}


def _find_payment(line: ParsedLine, *, by_key: dict[str, Payment]) -> tuple[str, Payment | None]:
    for reference in line.references:
        for channel in BANK_CHANNELS:
            payment = by_key.get(payment_key(channel=channel, serial=reference))
            if payment is not None:
                return reference, payment
    return "", None


def _clear(*, lines: list[StatementLine], actor: User | None, now: datetime) -> None:
    """Post the clearing entry of each of ``lines`` (each linked to its payment) and link it."""
    if not lines:
        return
    entries = post_journal_entries(
        entries=[_clearing_entry(line=line, now=now) for line in lines], actor=actor, now=now
    )
    for line, entry in zip(lines, entries, strict=True):
        line.clearing_entry = entry
    StatementLine.objects.bulk_update(lines, ["clearing_entry"])


def _clearing_entry(*, line: StatementLine, now: datetime) -> NewEntry:
    payment = line.payment
    assert payment is not None  # noqa: S101 - only lines linked to a payment are cleared
    return NewEntry(
        org_unit_id=payment.org_unit_id,
        # The ledger has no kind of its own for a clearing: it completes the payment.
        kind=JournalEntryKind.PAYMENT,
        entry_date=local_date(now),
        description=f"银行对账 {line.statement.statement_id} 第{line.position}条 收费 {payment.receipt_no}",
        source=f"payments.statement_line:{line.pk}",
        lines=[
            PostingLine(code=ChartCode.BANK, debit=line.amount),
            PostingLine(code=ChartCode.BANK_IN_TRANSIT, credit=line.amount),
        ],
        # Once per payment: a second line naming it can never clear it again.
        idempotency_key=f"payments.clearing:{payment.idempotency_key}",
    )


# --- a person's resolution -------------------------------------------------------------------


def _open_line(*, actor: User | None, line: StatementLine, operation: str, reason: str) -> StatementLine:
    """``line`` locked, after checking the actor may reconcile it and gave a reason."""
    locked: StatementLine = (
        StatementLine.objects.select_for_update(of=("self",))
        .select_related("org_unit", "statement", "payment")
        .get(pk=line.pk)
    )
    ensure_changeable(
        user=actor, permission=Permission.RECONCILE, org_unit=locked.org_unit, operation=operation
    )
    if not reason.strip():
        raise StatementReasonMissing()
    return locked


def _refuse(line: StatementLine, *, action_zh: str, action_en: str) -> StatementLineNotOpen:
    return StatementLineNotOpen(
        field="line",
        line=f"{line.statement.statement_id}#{line.position}.{line.transaction_no}",
        status=LineStatus(line.status).label,
        action_zh=action_zh,
        action_en=action_en,
    )


def _resolve(
    *,
    line: StatementLine,
    resolution: LineResolution,
    actor: User | None,
    reason: str,
    now: datetime,
    changes: dict[str, object],
) -> StatementLine:
    line.status = LineStatus.RESOLVED
    line.resolution = resolution
    line.resolution_reason = reason.strip()[:200]
    line.resolved_by = actor if actor is not None and actor.pk else None
    line.resolved_at = now
    line.save()
    record_audit_event(
        actor=actor,
        action=f"payments.statement_line_{resolution}",
        target=line,
        occurred_at=now,
        changes={
            "statement": line.statement.statement_id,
            "line": f"{line.position}.{line.transaction_no}",
            "found": line.found_status,
            "amount": str(line.amount),
            "reason": line.resolution_reason,
            **changes,
        },
    )
    return line


@denials_audited
@transaction.atomic
def assign_statement_line(
    *,
    actor: User | None,
    line: StatementLine,
    account: Account,
    channel: PaymentChannel = PaymentChannel.BANK_REALTIME,
    reason: str,
    now: datetime,
) -> StatementLine:
    """Assign an unmatched credit line to ``account``: record the payment (its reference as the
    serial number, received at the booking date, on the bank ``channel``), clear it, and link
    the line to it."""
    locked = _open_line(actor=actor, line=line, operation="assign_statement_line", reason=reason)
    ensure_changeable(
        user=actor,
        permission=Permission.RECONCILE,
        org_unit=account.org_unit,
        operation="assign_statement_line",
    )
    if locked.status != LineStatus.UNMATCHED or locked.direction != LineDirection.CREDIT:
        raise _refuse(locked, action_zh="分配到用电户", action_en="assigned to an account")
    if channel not in BANK_CHANNELS:
        raise _refuse(
            locked, action_zh="按非银行渠道记账", action_en="recorded on a channel other than a bank's"
        )
    serial = (
        locked.matched_reference
        or f"statement:{locked.statement_id}:{locked.position}.{locked.transaction_no}"
    )
    taken = Payment.objects.filter(idempotency_key=payment_key(channel=channel, serial=serial)).first()
    if taken is not None:
        raise StatementSerialTaken(serial=serial, receipt_no=taken.receipt_no)
    # Recorded on the reconciler's authority (payments.reconcile, checked above), not a cashier's:
    # the operator records it, and this resolution's audit event names the person.
    payment = record_payment(
        actor=None,
        account=account,
        amount=locked.amount,
        channel=channel,
        idempotency_key=serial,
        received_at=local_midnight(locked.booking_date),
        now=now,
    )
    locked.payment = payment
    locked.matched_reference = serial
    _clear(lines=[locked], actor=actor, now=now)
    return _resolve(
        line=locked,
        resolution=LineResolution.ASSIGNED,
        actor=actor,
        reason=reason,
        now=now,
        changes={"account_no": account.account_no, "receipt_no": payment.receipt_no},
    )


@denials_audited
@transaction.atomic
def dismiss_statement_line(
    *, actor: User | None, line: StatementLine, reason: str, now: datetime
) -> StatementLine:
    """Dismiss a line that is not ours to post (returned to the payer by the bank, a duplicate,
    a bank fee booked elsewhere): nothing is posted."""
    locked = _open_line(actor=actor, line=line, operation="dismiss_statement_line", reason=reason)
    if locked.status not in OPEN_STATUSES:
        raise _refuse(locked, action_zh="作废", action_en="dismissed")
    return _resolve(
        line=locked, resolution=LineResolution.DISMISSED, actor=actor, reason=reason, now=now, changes={}
    )


@denials_audited
@transaction.atomic
def accept_statement_line(
    *, actor: User | None, line: StatementLine, reason: str, now: datetime
) -> StatementLine:
    """Accept what the bank says for a line that named a payment:

    - an amount mismatch: the recorded payment is reversed and the bank's amount recorded for
      the same account and channel (serial ``<serial>:bank``, received when the first was), then
      cleared;
    - a match outside the date window: the match is confirmed and cleared."""
    locked = _open_line(actor=actor, line=line, operation="accept_statement_line", reason=reason)
    payment = locked.payment
    if payment is None or locked.status not in (LineStatus.AMOUNT_MISMATCH, LineStatus.DATE_MISMATCH):
        raise _refuse(locked, action_zh="按银行记录确认", action_en="accepted as the bank has it")
    if _cleared(payment):
        raise _refuse(
            locked,
            action_zh="按银行记录确认（该收费已对账）",
            action_en="accepted (its payment is already cleared)",
        )
    changes: dict[str, object] = {"receipt_no": payment.receipt_no}
    resolution = LineResolution.MATCH_CONFIRMED
    if locked.status == LineStatus.AMOUNT_MISMATCH:
        resolution = LineResolution.BANK_AMOUNT_ACCEPTED
        reverse_payment(
            actor=None,
            payment=payment,
            reason=f"银行对账：银行入账 {locked.amount}，收费 {payment.amount}（{reason.strip()}）"[:200],
            now=now,
        )
        serial = payment.idempotency_key.split(":", 1)[1]
        corrected = record_payment(
            actor=None,
            account=payment.account,
            amount=locked.amount,
            channel=PaymentChannel(payment.channel),
            idempotency_key=f"{serial}:bank",
            received_at=payment.received_at,
            now=now,
        )
        changes |= {
            "reversed": payment.receipt_no,
            "receipt_no": corrected.receipt_no,
            "was": str(payment.amount),
        }
        locked.payment = corrected
    _clear(lines=[locked], actor=actor, now=now)
    return _resolve(line=locked, resolution=resolution, actor=actor, reason=reason, now=now, changes=changes)


def _cleared(payment: Payment) -> bool:
    return JournalEntry.objects.filter(
        idempotency_key=f"payments.clearing:{payment.idempotency_key}"
    ).exists()
