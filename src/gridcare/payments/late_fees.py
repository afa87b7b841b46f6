"""Charging late fees on accounts (电费违约金计收) and waiving them (违约金减免, four-eyes).

A bill's late fee accrues day by day on what is unpaid of it (late_fee_rules.py). It is charged
in pieces: whenever what is unpaid of an account's bills is about to change (a payment, prepaid
applied, a refund settling a bill) and at each accrual run, every overdue bill of the account
is charged the fee of the days since its last charge on what is unpaid of it now — so each
piece has one base, and the pieces add up to the day-by-day fee. Each piece is a
:class:`~gridcare.payments.models.LateFeeCharge` and a receivable of its own on 应收违约金, which
a payment pays before the bills (docs/late-fees.md, "Charging").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridcare.audit.operations import record_audit_event
from gridcare.customers.models import Account, UsageCategory
from gridcare.identity.access import denials_audited, ensure_changeable
from gridcare.identity.approvals import ApprovalKind, register_approval_kind
from gridcare.identity.models import ApprovalRequest, User
from gridcare.identity.operations import request_approval
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import local_date
from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.ledger.queries import OpenItem, open_items_by_account
from gridcare.payments.errors import LateFeeWaiverInvalid
from gridcare.payments.late_fee_rules import CustomerClass, DayCount, LateFeeRules, late_fee_of_bill
from gridcare.payments.models import LateFeeCharge

_ZERO = Decimal("0.00")
_CHUNK = 2000
#: The approval kind of a late-fee waiver.
WAIVE_LATE_FEES = "waive_late_fees"


def customer_class_of(*, usage_category: str) -> CustomerClass:
    """The late-fee class of an account of ``usage_category``: residential (居民生活) or not."""
    if usage_category == UsageCategory.RESIDENTIAL:
        return CustomerClass.RESIDENTIAL
    return CustomerClass.NON_RESIDENTIAL


def rules_in_force() -> LateFeeRules:
    """The late-fee rule set the settings choose (GRIDCARE_LATE_FEE_MINIMUM,
    GRIDCARE_LATE_FEE_DAY_COUNT)."""
    minimum = settings.GRIDCARE_LATE_FEE_MINIMUM
    return LateFeeRules(
        minimum_total=Decimal(minimum) if minimum else None,
        day_count=DayCount(settings.GRIDCARE_LATE_FEE_DAY_COUNT),
    )


#: How a late-fee item's name starts: ``payments.late_fee:<bill item>``.
LATE_FEE_ITEM_PREFIX = "payments.late_fee:"


def late_fee_item(*, bill_item: str) -> str:
    """The ledger item of the late fees of the bill whose item is ``bill_item``."""
    return f"{LATE_FEE_ITEM_PREFIX}{bill_item}"


def last_day_charged_for_payment(*, paid_on: date, rules: LateFeeRules) -> date:
    """The last overdue day a payment on ``paid_on`` pays the fee of (the rule set's day count)."""
    if rules.day_count is DayCount.BEFORE_PAYMENT_DATE:
        return paid_on - timedelta(days=1)
    return paid_on


@dataclass(frozen=True, kw_only=True)
class AccruingFee:
    """The fee an overdue bill has accrued since its last charge: ``days`` days from
    ``from_date`` through ``through_date`` on its unpaid ``base``."""

    account_id: int
    org_unit_id: int
    bill_item: str
    bill_due_date: date
    base: Decimal
    from_date: date
    through_date: date
    days: int
    late_fee: Decimal
    #: What the rule set's minimum added to ``late_fee`` (only when collecting).
    minimum_added: Decimal = _ZERO


def accruing_fees(
    *, account_ids: Iterable[int], through: date, rules: LateFeeRules | None = None
) -> dict[int, list[AccruingFee]]:
    """The fees the overdue bills of each of ``account_ids`` (at most a few thousand) accrued
    from the day after their last charge (or their due date) through ``through``, not yet
    charged; bills with none are left out, and so are accounts. A few queries in all."""
    rules = rules or rules_in_force()
    # A piece counts every day through ``through``; which day a payment counts to is the
    # caller's choice (last_day_charged_for_payment). The minimum applies to what is collected.
    piece_rules = dataclasses.replace(rules, minimum_total=None, day_count=DayCount.THROUGH_PAYMENT_DATE)
    ids = list(account_ids)
    items = open_items_by_account(customer_account_ids=ids, codes=[ChartCode.RECEIVABLE_ENERGY])
    overdue = {
        account_id: [item for item in account_items if item.due_date is not None and item.due_date < through]
        for account_id, account_items in items.items()
    }
    overdue = {account_id: found for account_id, found in overdue.items() if found}
    if not overdue:
        return {}
    charged_through = {
        (row["account_id"], row["bill_item"]): row["last"]
        for row in LateFeeCharge.objects.filter(account_id__in=list(overdue))
        .values("account_id", "bill_item")
        .annotate(last=Max("through_date"))
    }
    accounts = {
        row["pk"]: row
        for row in Account.objects.filter(pk__in=list(overdue)).values("pk", "org_unit_id", "usage_category")
    }
    fees: dict[int, list[AccruingFee]] = {}
    for account_id, account_items in overdue.items():
        account = accounts[account_id]
        customer_class = customer_class_of(usage_category=account["usage_category"])
        found = [
            fee
            for item in account_items
            if (
                fee := _accruing_fee(
                    account_id=account_id,
                    org_unit_id=account["org_unit_id"],
                    item=item,
                    charged_through=charged_through.get((account_id, item.item)),
                    through=through,
                    customer_class=customer_class,
                    rules=piece_rules,
                )
            )
            is not None
        ]
        if found:
            fees[account_id] = sorted(found, key=lambda fee: (fee.bill_due_date, fee.bill_item))
    return fees


def _accruing_fee(
    *,
    account_id: int,
    org_unit_id: int,
    item: OpenItem,
    charged_through: date | None,
    through: date,
    customer_class: CustomerClass,
    rules: LateFeeRules,
) -> AccruingFee | None:
    assert item.due_date is not None  # noqa: S101 — accruing_fees keeps only items with one
    start = max(item.due_date, charged_through) if charged_through else item.due_date
    if start >= through:
        return None
    # The piece is a bill "due" on its last charged day and paid on ``through``; its year stays
    # the bill's (the later-year rate starts after the bill's year, not the piece's).
    fee = late_fee_of_bill(
        amount=item.open_amount,
        due_date=start,
        paid_date=through,
        customer_class=customer_class,
        rules=rules,
        bill_year=item.due_date.year,
    )
    if fee.late_fee == 0:
        # Nothing to charge yet: the days stay uncharged and count in the next piece.
        return None
    return AccruingFee(
        account_id=account_id,
        org_unit_id=org_unit_id,
        bill_item=item.item,
        bill_due_date=item.due_date,
        base=item.open_amount,
        from_date=start + timedelta(days=1),
        through_date=through,
        days=fee.days,
        late_fee=fee.late_fee,
    )


def charge_late_fees(
    *,
    account_ids: Iterable[int],
    through: date,
    actor: User | None,
    now: datetime,
    collecting: bool = False,
    rules: LateFeeRules | None = None,
) -> int:
    """Charge each of ``account_ids`` the late fees its overdue bills accrued through
    ``through`` (:func:`accruing_fees`), in the caller's transaction, which holds the accounts
    (payments.operations.hold_accounts): one entry per account, Dr 应收违约金 per bill / Cr
    违约金收入, and a :class:`LateFeeCharge` per bill. ``collecting`` (a payment is about to pay
    them) applies the rule set's minimum to what the account then owes in late fees. Returns
    how many entries were posted."""
    rules = rules or rules_in_force()
    ids = sorted(set(account_ids))
    posted = 0
    for start in range(0, len(ids), _CHUNK):
        fees = accruing_fees(account_ids=ids[start : start + _CHUNK], through=through, rules=rules)
        if collecting and rules.minimum_total is not None and fees:
            fees = _with_minimum(fees=fees, minimum=rules.minimum_total)
        posted += _post_charges(fees=fees, actor=actor, now=now)
    return posted


def minimum_top_ups(*, fees: Mapping[int, list[AccruingFee]], minimum: Decimal) -> dict[int, Decimal]:
    """What the minimum adds when each account pays the pieces ``fees`` (供电营业规则 1996
    Art. 98: a late fee under 1 yuan is charged as 1 yuan): the late fees of the bills it pays
    fees on — everything ever charged on them plus the new pieces — are raised to ``minimum``
    when below it. So one payment of several bills is raised once, as in the quote, and a bill
    paid in instalments is raised at most to the minimum in all. Accounts with nothing to add
    are left out."""
    bill_keys = {(account_id, piece.bill_item) for account_id, pieces in fees.items() for piece in pieces}
    charged: dict[int, Decimal] = {}
    rows = (
        LateFeeCharge.objects.filter(
            account_id__in=list(fees), bill_item__in={item for _a, item in bill_keys}
        )
        .values("account_id", "bill_item")
        .annotate(total=Sum("late_fee"))
    )
    for row in rows:
        if (row["account_id"], row["bill_item"]) in bill_keys:
            charged[row["account_id"]] = charged.get(row["account_id"], _ZERO) + row["total"]
    top_ups = {}
    for account_id, pieces in fees.items():
        total = charged.get(account_id, _ZERO) + sum((piece.late_fee for piece in pieces), _ZERO)
        if 0 < total < minimum:
            top_ups[account_id] = minimum - total
    return top_ups


def _with_minimum(*, fees: dict[int, list[AccruingFee]], minimum: Decimal) -> dict[int, list[AccruingFee]]:
    """``fees`` with each account's last piece raised by its :func:`minimum_top_ups`."""
    top_ups = minimum_top_ups(fees=fees, minimum=minimum)
    raised = {}
    for account_id, pieces in fees.items():
        added = top_ups.get(account_id)
        if added:
            last = pieces[-1]
            pieces = [
                *pieces[:-1],
                dataclasses.replace(last, late_fee=last.late_fee + added, minimum_added=added),
            ]
        raised[account_id] = pieces
    return raised


def _post_charges(*, fees: Mapping[int, list[AccruingFee]], actor: User | None, now: datetime) -> int:
    account_ids = sorted(fees)
    if not account_ids:
        return 0
    entries = post_journal_entries(
        entries=[_charge_entry(pieces=fees[account_id], now=now) for account_id in account_ids],
        actor=actor,
        now=now,
    )
    LateFeeCharge.objects.bulk_create(
        [
            LateFeeCharge(
                org_unit_id=piece.org_unit_id,
                account_id=piece.account_id,
                bill_item=piece.bill_item,
                bill_due_date=piece.bill_due_date,
                base=piece.base,
                from_date=piece.from_date,
                through_date=piece.through_date,
                days=piece.days,
                late_fee=piece.late_fee,
                minimum_added=piece.minimum_added,
                journal_entry=entry,
                charged_at=now,
            )
            for account_id, entry in zip(account_ids, entries, strict=True)
            for piece in fees[account_id]
        ],
        batch_size=1000,
    )
    return len(entries)


def _charge_entry(*, pieces: Sequence[AccruingFee], now: datetime) -> NewEntry:
    first = pieces[0]
    total = sum((piece.late_fee for piece in pieces), _ZERO)
    return NewEntry(
        org_unit_id=first.org_unit_id,
        kind=JournalEntryKind.LATE_FEE,
        entry_date=local_date(now),
        description=f"电费违约金 至{first.through_date:%Y-%m-%d}",
        source=f"customers.account:{first.account_id}",
        lines=[
            *(
                PostingLine(
                    code=ChartCode.RECEIVABLE_LATE_FEE,
                    debit=piece.late_fee,
                    customer_account_id=piece.account_id,
                    item=late_fee_item(bill_item=piece.bill_item),
                    due_date=piece.through_date,
                )
                for piece in pieces
            ),
            PostingLine(code=ChartCode.LATE_FEE_INCOME, credit=total),
        ],
    )


# --- waivers (违约金减免): requested by one user, done on a second user's approval ----------------


def late_fees_owed(*, account_id: int, on: date) -> Decimal:
    """What ``account_id`` owes in late fees if it pays on ``on``: charged and open, plus
    accruing (the minimum aside)."""
    charged = open_items_by_account(customer_account_ids=[account_id], codes=[ChartCode.RECEIVABLE_LATE_FEE])
    rules = rules_in_force()
    accruing = accruing_fees(
        account_ids=[account_id], through=last_day_charged_for_payment(paid_on=on, rules=rules), rules=rules
    )
    return sum((item.open_amount for item in charged.get(account_id, [])), _ZERO) + sum(
        (fee.late_fee for fee in accruing.get(account_id, [])), _ZERO
    )


@denials_audited
@transaction.atomic
def request_late_fee_waiver(
    *, actor: User, account: Account, amount: Decimal, reason: str, now: datetime
) -> ApprovalRequest:
    """File a request to waive ``amount`` of the late fees ``account`` owes (charged and
    accruing, today); a second user approves it (identity's four-eyes approvals), which
    waives it then."""
    # Who may ask comes first: a refusal must not tell an outsider what the account owes.
    ensure_changeable(
        user=actor,
        permission=Permission.WAIVE_LATE_FEES,
        org_unit=account.org_unit,
        operation="request_late_fee_waiver",
    )
    _check_waiver(account_id=account.pk, amount=amount, on=local_date(now))
    return request_approval(
        kind=WAIVE_LATE_FEES,
        payload={"account_id": account.pk, "account_no": account.account_no, "amount": str(amount)},
        org_unit=account.org_unit,
        justification=reason,
        actor=actor,
        now=now,
    )


def _check_waiver(*, account_id: int, amount: Decimal, on: date) -> None:
    owed = late_fees_owed(account_id=account_id, on=on)
    if amount <= 0 or round_to_fen(amount) != amount or amount > owed:
        raise LateFeeWaiverInvalid(amount=amount, owed=owed)


def waive_approved_late_fees(*, request: ApprovalRequest, actor: User, now: datetime) -> None:
    """The approval's executor: charge the account's late fees through today, then post the
    waiver — Dr 违约金收入 / Cr 应收违约金, oldest fees first — and audit it."""
    # Imported here: operations imports this module for the charge a payment makes first.
    from gridcare.payments.operations import hold_accounts

    account_id = int(request.payload["account_id"])
    amount = Decimal(str(request.payload["amount"]))
    hold_accounts(account_ids=[account_id])
    on = local_date(now)
    _check_waiver(account_id=account_id, amount=amount, on=on)
    charge_late_fees(
        account_ids=[account_id],
        through=last_day_charged_for_payment(paid_on=on, rules=rules_in_force()),
        actor=actor,
        now=now,
    )
    items = sorted(
        open_items_by_account(customer_account_ids=[account_id], codes=[ChartCode.RECEIVABLE_LATE_FEE]).get(
            account_id, []
        ),
        key=lambda item: (item.due_date or item.first_entry_date, item.item),
    )
    left, lines = amount, []
    for item in items:
        part = min(left, item.open_amount)
        if part:
            lines.append(
                PostingLine(
                    code=ChartCode.RECEIVABLE_LATE_FEE,
                    credit=part,
                    customer_account_id=account_id,
                    item=item.item,
                    due_date=item.due_date,
                )
            )
        left -= part
    org_unit_id = Account.objects.filter(pk=account_id).values_list("org_unit_id", flat=True).get()
    (entry,) = post_journal_entries(
        entries=[
            NewEntry(
                org_unit_id=org_unit_id,
                kind=JournalEntryKind.WAIVER,
                entry_date=on,
                description=f"违约金减免 审批{request.pk}",
                source=f"identity.approvalrequest:{request.pk}",
                lines=[PostingLine(code=ChartCode.LATE_FEE_INCOME, debit=amount), *lines],
                idempotency_key=f"payments.late_fee_waiver:{request.pk}",
            )
        ],
        actor=actor,
        now=now,
    )
    record_audit_event(
        actor=actor,
        action="payments.late_fee_waived",
        target=request,
        occurred_at=now,
        changes={
            "account_id": account_id,
            "amount": str(amount),
            "requested_by": request.requested_by_id,
            "journal_entry": entry.pk,
        },
    )


def describe_late_fee_waiver(payload: Mapping[str, Any]) -> str:
    """The request in one line, for the approvals inbox."""
    return gettext("Waive %(amount)s yuan of late fees of account %(account_no)s") % {
        "amount": payload["amount"],
        "account_no": payload["account_no"],
    }


def register_payment_approval_kinds() -> None:
    """Register the late-fee waiver (called from the app's ``ready``)."""
    register_approval_kind(
        ApprovalKind(
            name=WAIVE_LATE_FEES,
            label=_("Waive late fees"),
            request_permission=Permission.WAIVE_LATE_FEES,
            execute=waive_approved_late_fees,
            describe=describe_late_fee_waiver,
        )
    )


# --- the month-end accrual (月末计提) ----------------------------------------------------------


def last_month_end(*, today: date) -> date:
    """The last day of the month before ``today``'s."""
    return today.replace(day=1) - timedelta(days=1)


def accrue_late_fees(*, through: date, now: datetime, progress: Any = None) -> int:
    """Charge every account that owes electricity the late fees its overdue bills accrued
    through ``through`` (the month-end accrual, so 应收违约金 shows what was earned in the
    month), 2,000 accounts per transaction; a rerun charges nothing twice (each bill's charges
    continue from its last). ``progress(done, total)`` is told after each batch. Returns the
    number of entries posted."""
    # Imported here: operations imports this module for the charge a payment makes first.
    from gridcare.payments.operations import hold_accounts

    owing = list(
        AccountBalance.objects.filter(energy_owed__gt=0)
        .order_by("customer_account_id")
        .values_list("customer_account_id", flat=True)
    )
    posted = 0
    for start in range(0, len(owing), _CHUNK):
        chunk = owing[start : start + _CHUNK]
        with transaction.atomic():
            hold_accounts(account_ids=chunk)
            posted += charge_late_fees(account_ids=chunk, through=through, actor=None, now=now)
        if progress is not None:
            progress(min(start + _CHUNK, len(owing)), len(owing))
    return posted
