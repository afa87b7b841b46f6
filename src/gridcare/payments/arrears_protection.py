"""What holds dunning back: the protected list (hospitals, key accounts, a configurable list —
never disconnected automatically) and instalment agreements (分期缴费协议 — no dunning at all
while kept). Every change is audited and needs ``payments.manage_arrears`` (docs/dunning.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Min

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.models import User
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_date
from gridcare.kit.money import round_to_fen
from gridcare.payments.errors import (
    AccountAlreadyProtected,
    DunningReasonMissing,
    InstalmentAgreementExists,
    InstalmentAgreementNotActive,
    InstalmentScheduleInvalid,
    ProtectionNotInForce,
)
from gridcare.payments.models import (
    Instalment,
    InstalmentAgreement,
    InstalmentStatus,
    Payment,
    PaymentStatus,
    ProtectedAccount,
    ProtectionReason,
)
from gridcare.payments.operations import hold_accounts
from gridcare.payments.supply_orders import (
    cancel_unstarted_disconnections,
    dunning_setting,
)

#: GB/T 4754-2017 industry codes whose accounts are protected as hospitals (841 医院);
#: ``GRIDCARE_DUNNING["PROTECTED_INDUSTRY_PREFIXES"]`` replaces the list.
DEFAULT_PROTECTED_INDUSTRY_PREFIXES = ("841",)


# --- protection -----------------------------------------------------------------------------


def protection_reasons(*, accounts: Iterable[Account]) -> dict[int, ProtectionReason]:
    """Why each of ``accounts`` that is protected from automatic disconnection is: on the list,
    a hospital (its industry code), a key account, or under an instalment agreement being kept
    — the first that applies. One query for the list, one for the agreements."""
    accounts = list(accounts)
    ids = [account.pk for account in accounts]
    listed = set(
        ProtectedAccount.objects.filter(account_id__in=ids, removed_at__isnull=True).values_list(
            "account_id", flat=True
        )
    )
    kept = set(
        InstalmentAgreement.objects.filter(account_id__in=ids, status=InstalmentStatus.ACTIVE).values_list(
            "account_id", flat=True
        )
    )
    prefixes = tuple(dunning_setting("PROTECTED_INDUSTRY_PREFIXES", DEFAULT_PROTECTED_INDUSTRY_PREFIXES))
    reasons: dict[int, ProtectionReason] = {}
    for account in accounts:
        if account.pk in listed:
            reasons[account.pk] = ProtectionReason.LISTED
        elif prefixes and account.industry_code.startswith(prefixes):
            reasons[account.pk] = ProtectionReason.HOSPITAL
        elif account.is_key_account:
            reasons[account.pk] = ProtectionReason.KEY_ACCOUNT
        elif account.pk in kept:
            reasons[account.pk] = ProtectionReason.PAYMENT_PLAN
    return reasons


@denials_audited
@transaction.atomic
def add_protected_account(
    *, actor: User | None, account: Account, reason: str, now: datetime
) -> ProtectedAccount:
    """Put ``account`` on the protected list for ``reason`` (e.g. 重要用户、生命支持设备) and
    cancel its open dunning disconnection order unless started (a started one, once confirmed,
    is reconnected at once: supply_orders)."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=account.org_unit,
        operation="add_protected_account",
    )
    if not reason.strip():
        raise DunningReasonMissing()
    # The account first, as payments and the dunning run lock it, then its orders.
    hold_accounts(account_ids=[account.pk])
    if ProtectedAccount.objects.filter(account=account, removed_at__isnull=True).exists():
        raise AccountAlreadyProtected(account_no=account.account_no)
    entry = ProtectedAccount.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        reason=reason.strip()[:200],
        added_by=actor,
        added_at=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.account_protected",
        target=entry,
        occurred_at=now,
        changes={"account_no": account.account_no, "reason": entry.reason},
    )
    cancel_unstarted_disconnections(account_ids=[account.pk], actor=actor, reason="protected", now=now)
    return entry


@denials_audited
@transaction.atomic
def remove_protected_account(
    *, actor: User | None, entry: ProtectedAccount, now: datetime
) -> ProtectedAccount:
    """Take an account off the protected list (the entry is kept, ended)."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=entry.org_unit,
        operation="remove_protected_account",
    )
    locked: ProtectedAccount = ProtectedAccount.objects.select_for_update().get(pk=entry.pk)
    if locked.removed_at is not None:
        raise ProtectionNotInForce()
    locked.removed_at, locked.removed_by = now, actor
    locked.save(update_fields=["removed_at", "removed_by"])
    record_audit_event(
        actor=actor, action="payments.account_unprotected", target=locked, occurred_at=now, changes={}
    )
    return locked


# --- instalment agreements ------------------------------------------------------------------


def _invalid(reason_zh: str, reason_en: str) -> InstalmentScheduleInvalid:
    return InstalmentScheduleInvalid(reason_zh=reason_zh, reason_en=reason_en)


def _checked_schedule(
    *, instalments: Sequence[tuple[date, Decimal]], today: date
) -> list[tuple[date, Decimal]]:
    if not instalments:
        raise _invalid("至少一期", "it needs at least one instalment")
    schedule = sorted(instalments)
    for due_date, amount in schedule:
        if amount <= 0 or round_to_fen(amount) != amount:
            raise _invalid(
                f"{due_date} 一期金额 {amount} 须大于零且精确到分",
                f"the amount {amount} of {due_date} must be above zero in whole fen",
            )
        if due_date < today:
            raise _invalid(f"{due_date} 一期已过期", f"the instalment of {due_date} is in the past")
    days = [due_date for due_date, _amount in schedule]
    if len(set(days)) != len(days):
        raise _invalid("同一日只能有一期", "two instalments fall on one day")
    return schedule


@denials_audited
@transaction.atomic
def create_instalment_agreement(
    *, actor: User | None, account: Account, instalments: Sequence[tuple[date, Decimal]], now: datetime
) -> InstalmentAgreement:
    """Agree an instalment schedule (``(due_date, amount)`` pairs) with ``account``: dunning of
    the account stops while it is kept, and its open dunning disconnection order is cancelled
    unless started (a started one, once confirmed, is reconnected at once: the account is
    protected by the agreement)."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=account.org_unit,
        operation="create_instalment_agreement",
    )
    schedule = _checked_schedule(instalments=instalments, today=local_date(now))
    hold_accounts(account_ids=[account.pk])
    if InstalmentAgreement.objects.filter(account=account, status=InstalmentStatus.ACTIVE).exists():
        raise InstalmentAgreementExists(account_no=account.account_no)
    agreement = InstalmentAgreement.objects.create(
        org_unit_id=account.org_unit_id,
        account=account,
        total=sum((amount for _day, amount in schedule), Decimal("0.00")),
        created_by=actor,
        created_at=now,
    )
    Instalment.objects.bulk_create(
        Instalment(agreement=agreement, due_date=due_date, amount=amount) for due_date, amount in schedule
    )
    cancel_unstarted_disconnections(
        account_ids=[account.pk], actor=actor, reason="instalment agreement", now=now
    )
    record_audit_event(
        actor=actor,
        action="payments.instalment_agreement_created",
        target=agreement,
        occurred_at=now,
        changes={
            "account_no": account.account_no,
            "total": str(agreement.total),
            "instalments": [[due_date.isoformat(), str(amount)] for due_date, amount in schedule],
        },
    )
    return agreement


def _end(
    *,
    agreement: InstalmentAgreement,
    status: InstalmentStatus,
    actor: User | None,
    reason: str,
    now: datetime,
) -> None:
    agreement.status = status
    agreement.ended_at, agreement.ended_by, agreement.end_reason = now, actor, reason[:200]
    agreement.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    record_audit_event(
        actor=actor,
        action=f"payments.instalment_agreement_{status.value}",
        target=agreement,
        occurred_at=now,
        changes={"reason": agreement.end_reason},
    )


@denials_audited
@transaction.atomic
def cancel_instalment_agreement(
    *, actor: User | None, agreement: InstalmentAgreement, reason: str, now: datetime
) -> InstalmentAgreement:
    """End an agreement being kept, for ``reason``: dunning resumes at the next run."""
    ensure_changeable(
        user=actor,
        permission=Permission.MANAGE_ARREARS,
        org_unit=agreement.org_unit,
        operation="cancel_instalment_agreement",
    )
    if not reason.strip():
        raise DunningReasonMissing()
    locked: InstalmentAgreement = InstalmentAgreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != InstalmentStatus.ACTIVE:
        raise InstalmentAgreementNotActive(status=locked.status)
    _end(agreement=locked, status=InstalmentStatus.CANCELLED, actor=actor, reason=reason.strip(), now=now)
    return locked


@dataclass(frozen=True, kw_only=True)
class AgreementReview:
    broken: int
    completed: int


@transaction.atomic
def review_instalment_agreements(*, on: date, now: datetime) -> AgreementReview:
    """Check every agreement being kept on day ``on``: one whose account has paid, since the
    agreement, less than the instalments due before ``on`` is broken (dunning resumes); one
    paid in full is completed. Three queries however many agreements there are."""
    agreements = list(
        InstalmentAgreement.objects.select_for_update().filter(status=InstalmentStatus.ACTIVE).order_by("pk")
    )
    if not agreements:
        return AgreementReview(broken=0, completed=0)
    schedules: dict[int, list[Instalment]] = defaultdict(list)
    for instalment in Instalment.objects.filter(agreement__in=agreements).order_by("due_date"):
        schedules[instalment.agreement_id].append(instalment)
    since = InstalmentAgreement.objects.filter(pk__in=[a.pk for a in agreements]).aggregate(
        first=Min("created_at")
    )
    paid_rows = Payment.objects.filter(
        account_id__in={agreement.account_id for agreement in agreements},
        status=PaymentStatus.POSTED,
        received_at__gte=since["first"],
    ).values_list("account_id", "received_at", "amount")
    payments: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for account_id, received_at, amount in paid_rows:
        payments[account_id].append((received_at, amount))
    broken = completed = 0
    for agreement in agreements:
        paid = sum(
            (
                amount
                for received_at, amount in payments[agreement.account_id]
                if received_at >= agreement.created_at
            ),
            Decimal("0.00"),
        )
        due = Decimal("0.00")
        missed: Instalment | None = None
        for instalment in schedules[agreement.pk]:
            if instalment.due_date >= on:
                break
            due += instalment.amount
            if paid < due:
                missed = instalment
                break
        if missed is not None:
            reason = f"instalment of {missed.due_date.isoformat()} missed"
            _end(agreement=agreement, status=InstalmentStatus.BROKEN, actor=None, reason=reason, now=now)
            broken += 1
        elif paid >= agreement.total:
            _end(agreement=agreement, status=InstalmentStatus.COMPLETED, actor=None, reason="", now=now)
            completed += 1
    return AgreementReview(broken=broken, completed=completed)
