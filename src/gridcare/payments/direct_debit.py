"""Direct debit (银行代扣, docs/bank-channels.md): the accounts' debit mandates, the debit
batches written to a bank, and the bank's results — each success posted as a payment, each
failure kept on its line, each later bounce reversed — exactly once however often a result
file is read.

Writing and reading the files themselves (with their signed manifests) is the exchange
layer's (:mod:`gridcare.exchange.debit_files`); the formats are in
:mod:`gridcare.payments.debit_files`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import Integration, IntegrationKind, User
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_midnight, to_local
from gridcare.kit.masking import mask_bank_account_no
from gridcare.organization.operations import reserve_sequence_numbers
from gridcare.payments.bank_collection import hold_bank
from gridcare.payments.debit_files import (
    SEPARATOR,
    DebitFile,
    DebitFileLine,
    DebitResult,
    ResultFile,
    ResultLine,
    batch_serial,
    parse_result_file,
    render_debit_file,
)
from gridcare.payments.errors import (
    DebitBankInvalid,
    DebitFileProblem,
    DebitMandateExists,
    DebitMandateFieldInvalid,
    DebitMandateNotActive,
    DebitResultFileInvalid,
    DebitRunEmpty,
)
from gridcare.payments.models import (
    DebitBatch,
    DebitBatchLine,
    DebitLineStatus,
    DebitMandate,
    DebitMandateStatus,
    Payment,
    PaymentChannel,
)
from gridcare.payments.operations import record_payment, reverse_payment
from gridcare.payments.queries import amounts_due

BANK_ACCOUNT_NO_PATTERN = re.compile(r"^[0-9]{8,30}$")


def _in_subtree(*, account: Account, bank: Integration) -> bool:
    return str(account.org_unit.path).startswith(str(bank.org_unit.path))


def _check_bank(bank: Integration) -> None:
    if bank.kind != IntegrationKind.BANK or not bank.is_active:
        raise DebitBankInvalid(name=bank.name)


@denials_audited
@transaction.atomic
def create_debit_mandate(
    *,
    actor: User | None,
    account: Account,
    bank: Integration,
    bank_account_no: str,
    holder_name: str,
    signed_date: date,
    now: datetime,
) -> DebitMandate:
    """Record an account's direct-debit mandate (代扣协议) with ``bank``: one active mandate per
    account; the account must lie in the bank's org units."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_DIRECT_DEBIT,
        org_unit=account.org_unit,
        operation="create_debit_mandate",
    )
    _check_bank(bank)
    if not _in_subtree(account=account, bank=bank):
        raise DebitMandateFieldInvalid(
            field="bank",
            reason_zh=f"银行接口 {bank.name} 不服务户号 {account.account_no} 所在单位",
            reason_en=f"bank {bank.name} does not serve the org unit of account {account.account_no}",
        )
    if not BANK_ACCOUNT_NO_PATTERN.match(bank_account_no):
        raise DebitMandateFieldInvalid(
            field="bank_account_no",
            reason_zh="银行账号须为 8–30 位数字",
            reason_en="a bank account number is 8–30 digits",
        )
    holder_name = holder_name.strip()
    if (
        not holder_name
        or len(holder_name) > 100
        or any(mark in holder_name for mark in (SEPARATOR, "\n", "\r"))
    ):
        raise DebitMandateFieldInvalid(
            field="holder_name",
            reason_zh="户名须为 1–100 个字符，不含“|”和换行",
            reason_en='the holder name is 1–100 characters without "|" or line breaks',
        )
    if DebitMandate.objects.filter(account=account, status=DebitMandateStatus.ACTIVE).exists():
        raise DebitMandateExists(account_no=account.account_no)
    mandate: DebitMandate = DebitMandate.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        bank=bank,
        bank_account_no=bank_account_no,
        holder_name=holder_name,
        signed_date=signed_date,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.debit_mandate_created",
        target=mandate,
        occurred_at=now,
        changes={
            "account_no": account.account_no,
            "bank": bank.name,
            "bank_account_no": mask_bank_account_no(bank_account_no),
            "holder_name": holder_name,
            "signed_date": signed_date.isoformat(),
        },
    )
    return mandate


@denials_audited
@transaction.atomic
def cancel_debit_mandate(
    *, actor: User | None, mandate: DebitMandate, reason: str, cancelled_date: date, now: datetime
) -> DebitMandate:
    """Cancel a debit mandate (解约): later debit runs leave the account out."""
    locked: DebitMandate = (
        DebitMandate.objects.select_for_update(of=("self",))
        .select_related("account__org_unit")
        .get(pk=mandate.pk)
    )
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_DIRECT_DEBIT,
        org_unit=locked.account.org_unit,
        operation="cancel_debit_mandate",
    )
    if locked.status != DebitMandateStatus.ACTIVE:
        raise DebitMandateNotActive(account_no=locked.account.account_no)
    if not reason.strip():
        raise DebitMandateFieldInvalid(
            field="reason", reason_zh="解约须写明原因", reason_en="cancelling needs a reason"
        )
    locked.status = DebitMandateStatus.CANCELLED
    locked.cancelled_date = cancelled_date
    locked.cancel_reason = reason[:200]
    locked.save(update_fields=["status", "cancelled_date", "cancel_reason"])
    record_audit_event(
        actor=actor,
        action="payments.debit_mandate_cancelled",
        target=locked,
        occurred_at=now,
        changes={
            "account_no": locked.account.account_no,
            "reason": reason,
            "cancelled_date": cancelled_date.isoformat(),
        },
    )
    return locked


@dataclass(frozen=True, kw_only=True)
class WrittenBatch:
    batch: DebitBatch
    content: bytes


@denials_audited
@transaction.atomic
def create_debit_batch(*, actor: User | None, bank: Integration, on: date, now: datetime) -> WrittenBatch:
    """Make ``bank``'s debit batch of ``on``: one line per account with an active mandate signed
    by then and an amount due that day, except accounts still waiting for the bank's result of
    an earlier batch (so nothing is debited twice). Returns the batch and its file's bytes."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_DIRECT_DEBIT,
        org_unit=bank.org_unit,
        operation="create_debit_batch",
    )
    _check_bank(bank)
    # Two runs of one bank at once would both pick the same accounts: the second waits and
    # then finds them waiting for the first one's result.
    hold_bank(bank)
    waiting = DebitBatchLine.objects.filter(status=DebitLineStatus.PENDING).values("account_id")
    mandates = list(
        DebitMandate.objects.filter(bank=bank, status=DebitMandateStatus.ACTIVE, signed_date__lte=on)
        .exclude(account_id__in=waiting)
        .select_related("account")
        .order_by("account__account_no")
    )
    due = amounts_due(account_ids=[mandate.account_id for mandate in mandates], on=on)
    to_debit = [
        (mandate, due[mandate.account_id].total) for mandate in mandates if due[mandate.account_id].total > 0
    ]
    if not to_debit:
        raise DebitRunEmpty(bank=bank.name, on=on.isoformat())
    (number,) = reserve_sequence_numbers(name="debit_batch", count=1)
    batch_no = f"DD{on:%Y%m%d}{number:06d}"
    total = sum((amount for _mandate, amount in to_debit), Decimal("0.00"))
    batch = DebitBatch.objects.create(
        org_unit_id=bank.org_unit_id,
        bank=bank,
        batch_no=batch_no,
        debit_date=on,
        file_name=f"DD_{bank.name}_{batch_no}.txt",
        line_count=len(to_debit),
        total=total,
        created_by=actor,
        created_at=now,
    )
    lines = [
        DebitBatchLine(
            org_unit_id=mandate.org_unit_id,
            batch=batch,
            line_no=line_no,
            serial=batch_serial(batch_no=batch_no, line_no=line_no),
            account_id=mandate.account_id,
            mandate=mandate,
            amount=amount,
        )
        for line_no, (mandate, amount) in enumerate(to_debit, start=1)
    ]
    DebitBatchLine.objects.bulk_create(lines)
    content = render_debit_file(
        DebitFile(
            batch_no=batch_no,
            bank=bank.name,
            org_unit_code=bank.org_unit.code,
            debit_date=on,
            created_at=to_local(now),
            lines=[
                DebitFileLine(
                    line_no=line.line_no,
                    serial=line.serial,
                    account_no=mandate.account.account_no,
                    bank_account_no=str(mandate.bank_account_no),
                    holder_name=mandate.holder_name,
                    amount=line.amount,
                )
                for line, (mandate, _amount) in zip(lines, to_debit, strict=True)
            ],
        )
    )
    record_audit_event(
        actor=actor,
        action="payments.debit_batch_created",
        target=batch,
        occurred_at=now,
        changes={
            "batch_no": batch_no,
            "bank": bank.name,
            "debit_date": on.isoformat(),
            "lines": len(lines),
            "total": str(total),
        },
    )
    return WrittenBatch(batch=batch, content=content)


@dataclass(frozen=True, kw_only=True)
class DebitResultReport:
    """What reading a result file did: lines newly debited, failed and bounced, and lines whose
    result was known already (a file read again)."""

    batch: DebitBatch
    debited: int
    failed: int
    bounced: int
    unchanged: int


#: The result each line status may receive: the same again changes nothing; a success may
#: later bounce; anything else contradicts what the bank said before.
_TRANSITIONS: dict[tuple[str, DebitResult], str] = {
    (DebitLineStatus.PENDING, DebitResult.SUCCESS): "debit",
    (DebitLineStatus.PENDING, DebitResult.FAILURE): "fail",
    (DebitLineStatus.DEBITED, DebitResult.SUCCESS): "same",
    (DebitLineStatus.DEBITED, DebitResult.BOUNCED): "bounce",
    (DebitLineStatus.FAILED, DebitResult.FAILURE): "same",
    (DebitLineStatus.BOUNCED, DebitResult.BOUNCED): "same",
    (DebitLineStatus.BOUNCED, DebitResult.SUCCESS): "same",
}
_STATUS_TEXT = {
    DebitLineStatus.PENDING: ("待回盘", "waiting for the bank"),
    DebitLineStatus.DEBITED: ("已扣款", "debited"),
    DebitLineStatus.FAILED: ("扣款失败", "failed"),
    DebitLineStatus.BOUNCED: ("已退回", "bounced"),
}


@denials_audited
@transaction.atomic
def import_debit_result(
    *, actor: User | None, bank: Integration, content: bytes, file_name: str, now: datetime
) -> DebitResultReport:
    """Read ``bank``'s result file: every line is checked first (format, batch, serial, amount,
    and that the result fits what is known of the line); any bad line rejects the whole file
    (:class:`DebitResultFileInvalid` listing each) and nothing is posted. Then each success is
    recorded as a bank-debit payment keyed by its serial, received on the batch's debit date; each
    failure is kept on its line; each bounce reverses the payment. Lines already so are left."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_DIRECT_DEBIT,
        org_unit=bank.org_unit,
        operation="import_debit_result",
    )
    parsed, problems = parse_result_file(content)
    if parsed is None:  # no header: no batch to check the lines against
        raise DebitResultFileInvalid(file_name=file_name, problems=problems)
    batch: DebitBatch | None = (
        DebitBatch.objects.select_related("org_unit").filter(batch_no=parsed.batch_no).first()
    )
    if batch is None or batch.bank != bank or parsed.bank != bank.name:
        problem = DebitFileProblem(
            line=1,
            field="batch_no",
            reason_zh=f"银行 {bank.name} 没有批次 {parsed.batch_no}",
            reason_en=f"bank {bank.name} has no batch {parsed.batch_no}",
        )
        raise DebitResultFileInvalid(file_name=file_name, problems=[problem, *problems])
    lines = {
        line.serial: line
        for line in DebitBatchLine.objects.select_for_update(of=("self",))
        .select_related("account__org_unit", "payment")
        .filter(batch=batch, serial__in=[result.serial for result in parsed.lines])
    }
    plan = _plan(parsed=parsed, lines=lines, problems=problems)
    if problems:
        by_line = sorted(problems, key=lambda problem: problem.line)
        raise DebitResultFileInvalid(file_name=file_name, problems=by_line)
    # The money is taken on the batch's debit date, the day its amounts were computed for: late
    # fees run to that day, so the amount debited clears what it was meant to (the bank's delay
    # in reporting costs the customer nothing).
    received_at = local_midnight(batch.debit_date)
    counts = {"debit": 0, "fail": 0, "bounce": 0, "same": 0}
    for result, line, action in plan:
        counts[action] += 1
        if action == "debit":
            line.payment = record_payment(
                actor=actor,
                account=line.account,
                amount=line.amount,
                channel=PaymentChannel.BANK_DEBIT,
                idempotency_key=line.serial,
                received_at=received_at,
                now=now,
            )
            line.status = DebitLineStatus.DEBITED
        elif action == "fail":
            line.status = DebitLineStatus.FAILED
        elif action == "bounce":
            reverse_payment(
                actor=actor,
                payment=_debited_payment(line),
                reason=f"代扣退回 {line.serial}：{result.reason_code} {result.reason}",
                now=now,
            )
            line.status = DebitLineStatus.BOUNCED
        if action != "same":
            line.result_code = result.reason_code
            line.failure_reason = result.reason[:200]
            line.result_at = now
            line.save(update_fields=["payment", "status", "result_code", "failure_reason", "result_at"])
    report = DebitResultReport(
        batch=batch,
        debited=counts["debit"],
        failed=counts["fail"],
        bounced=counts["bounce"],
        unchanged=counts["same"],
    )
    record_audit_event(
        actor=actor,
        action="payments.debit_result_imported",
        target=batch,
        occurred_at=now,
        changes={
            "file_name": file_name,
            "result_date": parsed.result_date.isoformat(),
            "debited": report.debited,
            "failed": report.failed,
            "bounced": report.bounced,
            "unchanged": report.unchanged,
        },
    )
    return report


def _debited_payment(line: DebitBatchLine) -> Payment:
    if line.payment is None:
        raise TypeError(f"The debited line {line.serial} has no payment.")
    payment: Payment = line.payment
    return payment


def _plan(
    *, parsed: ResultFile, lines: dict[str, DebitBatchLine], problems: list[DebitFileProblem]
) -> list[tuple[ResultLine, DebitBatchLine, str]]:
    """What to do with each result line; what contradicts the batch is added to ``problems``."""
    plan = []
    for result in parsed.lines:
        line = lines.get(result.serial)
        if line is None:
            problems.append(
                DebitFileProblem(
                    line=result.line,
                    field="serial",
                    reason_zh=f"批次 {parsed.batch_no} 没有流水号 {result.serial}",
                    reason_en=f"batch {parsed.batch_no} has no serial {result.serial}",
                )
            )
            continue
        if result.result != DebitResult.FAILURE and result.amount != line.amount:
            problems.append(
                DebitFileProblem(
                    line=result.line,
                    field="amount",
                    reason_zh=f"金额 {result.amount:.2f} 与代扣金额 {line.amount:.2f} 不符",
                    reason_en=f"amount {result.amount:.2f} differs from the {line.amount:.2f} to debit",
                )
            )
            continue
        action = _TRANSITIONS.get((line.status, result.result))
        if action is None:
            status_zh, status_en = _STATUS_TEXT[DebitLineStatus(line.status)]
            problems.append(
                DebitFileProblem(
                    line=result.line,
                    field="result",
                    reason_zh=f"结果 {result.result.value} 与该笔已知状态“{status_zh}”矛盾",
                    reason_en=(
                        f'result {result.result.value} contradicts the line\'s known state "{status_en}"'
                    ),
                )
            )
            continue
        plan.append((result, line, action))
    return plan


def debit_batches(*, user: Any) -> QuerySet[DebitBatch]:
    """The debit batches ``user`` may see, newest first, with their bank and, per batch, the
    lines ``pending``, ``debited``, ``failed`` and ``bounced`` and the amount ``debited_total``
    (of the lines debited and not bounced). One query."""

    def lines(status: str) -> Count:
        return Count("lines", filter=Q(lines__status=status))

    batches: QuerySet[DebitBatch] = (
        DebitBatch.objects.visible_to(user)
        .select_related("bank", "org_unit")
        .annotate(
            pending=lines(DebitLineStatus.PENDING),
            debited=lines(DebitLineStatus.DEBITED),
            failed=lines(DebitLineStatus.FAILED),
            bounced=lines(DebitLineStatus.BOUNCED),
            debited_total=Coalesce(
                Sum("lines__amount", filter=Q(lines__status=DebitLineStatus.DEBITED)),
                Value(Decimal("0.00")),
                output_field=DecimalField(max_digits=16, decimal_places=2),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    return batches


def debit_batch(*, user: Any, batch_id: int) -> DebitBatch | None:
    """The batch ``batch_id`` with its counts (:func:`debit_batches`) if ``user`` may see it."""
    batch: DebitBatch | None = debit_batches(user=user).filter(pk=batch_id).first()
    return batch


def debit_batch_lines(*, user: Any, batch: DebitBatch) -> QuerySet[DebitBatchLine]:
    """The lines of ``batch`` that ``user`` may see, with account and payment."""
    return (
        DebitBatchLine.objects.visible_to(user)
        .filter(batch=batch)
        .select_related("account", "mandate", "payment")
        .order_by("line_no")
    )
