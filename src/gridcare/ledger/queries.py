"""Reads of the receivables ledger: the trial balance of a day (org-scoped), and the checks that
prove the ledger consistent (every entry balanced, every cached balance equal to its postings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Min, Q, Sum

from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import BALANCE_FIELDS, CREDIT_BALANCE_FIELDS, ChartCode
from gridcare.ledger.models import AccountBalance, LedgerAccount, Posting

_ZERO = Decimal("0.00")
BALANCE_NAMES = ("energy_owed", "late_fees_owed", "prepaid")


@dataclass(frozen=True, kw_only=True)
class TrialBalanceRow:
    """One ledger account's day: its balance before the day, the day's debits and credits, and
    its balance after (debit-positive for assets and expenses, credit-positive otherwise)."""

    account: LedgerAccount
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal


def trial_balance(*, user: Any, on: date) -> list[TrialBalanceRow]:
    """The trial balance (试算平衡表) of day ``on`` over the postings of the user's org subtree:
    every ledger account that has postings up to that day, in code order."""
    rows = (
        Posting.objects.visible_to(user)
        .filter(entry_date__lte=on)
        .values("ledger_account_id")
        .annotate(
            debits_before=Sum("debit", filter=Q(entry_date__lt=on), default=_ZERO),
            credits_before=Sum("credit", filter=Q(entry_date__lt=on), default=_ZERO),
            debits=Sum("debit", filter=Q(entry_date=on), default=_ZERO),
            credits=Sum("credit", filter=Q(entry_date=on), default=_ZERO),
        )
    )
    accounts = {account.pk: account for account in LedgerAccount.objects.all()}
    result = []
    for row in rows:
        account = accounts[row["ledger_account_id"]]
        sign = 1 if account.debit_normal else -1
        opening = round_to_fen(sign * (row["debits_before"] - row["credits_before"]))
        debits, credits = round_to_fen(row["debits"]), round_to_fen(row["credits"])
        result.append(
            TrialBalanceRow(
                account=account,
                opening=opening,
                debits=debits,
                credits=credits,
                closing=round_to_fen(opening + sign * (debits - credits)),
            )
        )
    return sorted(result, key=lambda item: item.account.code)


# --- consistency (system scope: the check command reads the whole ledger) ----------------------


def balances_from_postings(
    *, customer_account_ids: Iterable[int] | None = None
) -> dict[int, dict[str, Decimal]]:
    """Each customer account's balances summed from its postings (what the cached
    :class:`AccountBalance` must equal), for the accounts with postings."""
    codes = {**BALANCE_FIELDS, **CREDIT_BALANCE_FIELDS}
    postings = Posting.objects.filter(customer_account__isnull=False, ledger_account__code__in=list(codes))
    if customer_account_ids is not None:
        postings = postings.filter(customer_account_id__in=list(customer_account_ids))
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(BALANCE_NAMES, _ZERO))
    for row in postings.values("customer_account_id", "ledger_account__code").annotate(
        debits=Sum("debit"), credits=Sum("credit")
    ):
        code = row["ledger_account__code"]
        debit_minus_credit = round_to_fen(row["debits"] - row["credits"])
        if code in BALANCE_FIELDS:
            totals[row["customer_account_id"]][BALANCE_FIELDS[code]] = debit_minus_credit
        else:
            totals[row["customer_account_id"]][CREDIT_BALANCE_FIELDS[code]] = -debit_minus_credit
    return dict(totals)


@dataclass(kw_only=True)
class LedgerCheck:
    """What :func:`check_ledger` found: entries whose postings do not balance (by id, with their
    debits and credits), and accounts whose cached balances differ from their postings."""

    entries: int = 0
    unbalanced_entries: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    accounts: int = 0
    balance_mismatches: list[tuple[int, str, Decimal, Decimal]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.unbalanced_entries and not self.balance_mismatches


def check_ledger() -> LedgerCheck:
    """Prove the ledger consistent: every journal entry balances, and every customer account's
    cached balance (:class:`AccountBalance`) equals the sum of its postings."""
    check = LedgerCheck()
    per_entry = Posting.objects.values("entry_id").annotate(debits=Sum("debit"), credits=Sum("credit"))
    for row in per_entry:
        check.entries += 1
        if row["debits"] != row["credits"]:
            check.unbalanced_entries.append((row["entry_id"], row["debits"], row["credits"]))
    derived = balances_from_postings()
    cached = {balance.customer_account_id: balance for balance in AccountBalance.objects.all()}
    for account_id in sorted(set(derived) | set(cached)):
        check.accounts += 1
        expected = derived.get(account_id, dict.fromkeys(BALANCE_NAMES, _ZERO))
        balance = cached.get(account_id)
        for name in BALANCE_NAMES:
            have = getattr(balance, name) if balance is not None else _ZERO
            if have != expected[name]:
                check.balance_mismatches.append((account_id, name, have, expected[name]))
    return check


# --- open items (system scope: the calling operation has checked the account's access) ---------


@dataclass(frozen=True, kw_only=True)
class OpenItem:
    """What is still open of one item (a bill, a late fee) on one ledger account of a customer
    account: its debits less its credits, above zero."""

    code: str
    item: str
    due_date: date | None
    first_entry_date: date
    open_amount: Decimal


def open_items(*, customer_account_id: int, codes: Iterable[str]) -> list[OpenItem]:
    """The open items of ``customer_account_id`` on the ledger accounts ``codes``, in no order."""
    return open_items_by_account(customer_account_ids=[customer_account_id], codes=codes).get(
        customer_account_id, []
    )


def open_items_by_account(
    *, customer_account_ids: Iterable[int], codes: Iterable[str]
) -> dict[int, list[OpenItem]]:
    """The open items of each of ``customer_account_ids`` (at most a few thousand) on the
    ledger accounts ``codes``, by account, in one query; accounts with none are left out."""
    rows = _item_balances(
        Posting.objects.filter(
            customer_account_id__in=list(customer_account_ids), ledger_account__code__in=list(codes)
        ),
        "customer_account_id",
        "ledger_account__code",
    )
    items: dict[int, list[OpenItem]] = defaultdict(list)
    for row in rows:
        open_amount = row["open_amount"]
        if open_amount > 0:
            items[row["customer_account_id"]].append(
                OpenItem(
                    code=row["ledger_account__code"],
                    item=row["item"],
                    due_date=row["due"],
                    first_entry_date=row["since"],
                    open_amount=open_amount,
                )
            )
    return dict(items)


def _item_balances(postings: Any, *group: str) -> Iterable[dict[str, Any]]:
    """Per item of ``postings`` (those that name one) and the ``group`` columns: what is open of
    it (``open_amount``: its debits less its credits), its due date (``due``) and the day it was
    first posted (``since``)."""
    rows = (
        postings.exclude(item="")
        .values(*group, "item")
        .annotate(debits=Sum("debit"), credits=Sum("credit"), due=Min("due_date"), since=Min("entry_date"))
    )
    for row in rows:
        row["open_amount"] = round_to_fen(row["debits"] - row["credits"])
        yield row


# --- ageing -------------------------------------------------------------------------------------

#: The age bands of the aged-receivables report, in days past the due date (inclusive bounds;
#: the last has none). Items not yet due count in the first band.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 30), (31, 90), (91, 180), (181, None))


@dataclass(frozen=True, kw_only=True)
class AgedReceivables:
    """What is owed for electricity in one org unit and usage category on a day, by age band
    (:data:`AGE_BANDS`), and in all."""

    org_unit_id: int
    usage_category: str
    bands: tuple[Decimal, ...]
    total: Decimal


def aged_receivables(*, user: Any, as_of: date) -> list[AgedReceivables]:
    """The aged receivables (应收电费账龄) of day ``as_of`` over the user's org subtree: each open
    bill (its postings up to that day) by how many days past its due date it is, summed by org
    unit and usage category."""
    rows = _item_balances(
        Posting.objects.visible_to(user).filter(
            ledger_account__code=ChartCode.RECEIVABLE_ENERGY, entry_date__lte=as_of
        ),
        "org_unit_id",
        "customer_account__usage_category",
    )
    sums: dict[tuple[int, str], list[Decimal]] = defaultdict(lambda: [_ZERO] * len(AGE_BANDS))
    for row in rows:
        open_amount = row["open_amount"]
        if open_amount <= 0:
            continue
        days_past_due = max((as_of - row["due"]).days, 0) if row["due"] is not None else 0
        band = next(
            index for index, (_low, high) in enumerate(AGE_BANDS) if high is None or days_past_due <= high
        )
        sums[(row["org_unit_id"], row["customer_account__usage_category"])][band] += open_amount
    return [
        AgedReceivables(
            org_unit_id=org_unit_id, usage_category=category, bands=tuple(bands), total=sum(bands, _ZERO)
        )
        for (org_unit_id, category), bands in sorted(sums.items())
    ]
