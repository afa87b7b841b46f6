"""Posting to the receivables ledger: journal entries of balanced postings, their reversals, and
the customer accounts' cached balances, in the caller's transaction (docs/ledger.md).

Other apps post through :func:`post_journal_entries`; nothing else writes ledger rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from gridcare.audit.operations import record_audit_event
from gridcare.identity.models import User
from gridcare.kit.money import round_to_fen
from gridcare.ledger.chart import BALANCE_FIELDS, CREDIT_BALANCE_FIELDS
from gridcare.ledger.errors import (
    JournalEntryAlreadyReversed,
    JournalEntryIsReversal,
    JournalEntryUnbalanced,
    LedgerAccountUnknown,
    PostingInvalid,
)
from gridcare.ledger.models import AccountBalance, JournalEntry, JournalEntryKind, LedgerAccount, Posting
from gridcare.ledger.reports import gl_export_rows
from gridcare.organization.operations import reserve_sequence_numbers

_ZERO = Decimal("0.00")


@dataclass(frozen=True, kw_only=True)
class PostingLine:
    """One line of a new entry: a debit or a credit (exactly one of them above zero, in fen) to
    the ledger account ``code``."""

    code: str
    debit: Decimal = _ZERO
    credit: Decimal = _ZERO
    #: The customer account, for ledger accounts kept per customer account (and only for those).
    customer_account_id: int | None = None
    #: The open item ("billing.bill:42") a receivable, or what settles it, belongs to.
    item: str = ""
    due_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class NewEntry:
    """A journal entry to post: its postings must balance."""

    org_unit_id: int
    kind: JournalEntryKind
    entry_date: date
    description: str
    source: str
    lines: Sequence[PostingLine]
    idempotency_key: str | None = None


@dataclass(kw_only=True)
class _Chart:
    by_code: dict[str, LedgerAccount] = field(default_factory=dict)

    def account(self, code: str) -> LedgerAccount:
        found = self.by_code.get(code)
        if found is None:
            raise LedgerAccountUnknown(field="code", code=code)
        return found


def _chart() -> _Chart:
    return _Chart(by_code={account.code: account for account in LedgerAccount.objects.all()})


@transaction.atomic
def post_journal_entries(
    *, entries: Sequence[NewEntry], actor: User | None, now: datetime
) -> list[JournalEntry]:
    """Post ``entries`` (each checked to balance) with their postings, update the customer
    accounts' balances, and audit the batch; in the caller's transaction.

    An entry whose idempotency key is already posted is not posted again: the entry already
    there is returned in its place (a replayed bank notification, an issue run again)."""
    if not entries:
        return []
    chart = _chart()
    for entry in entries:
        _check(entry=entry, chart=chart)
    keys = [entry.idempotency_key for entry in entries if entry.idempotency_key]
    existing = {row.idempotency_key: row for row in JournalEntry.objects.filter(idempotency_key__in=keys)}
    fresh = [entry for entry in entries if entry.idempotency_key not in existing]
    numbers = reserve_sequence_numbers(name="journal_entry", count=len(fresh)) if fresh else range(0)
    made = [
        JournalEntry(
            org_unit_id=entry.org_unit_id,
            number=f"JE{entry.entry_date:%Y%m}{number:010d}",
            kind=entry.kind,
            entry_date=entry.entry_date,
            posted_at=now,
            description=entry.description[:200],
            source=entry.source,
            idempotency_key=entry.idempotency_key,
            posted_by=actor if actor is not None and actor.pk else None,
        )
        for entry, number in zip(fresh, numbers, strict=True)
    ]
    try:
        with transaction.atomic():
            saved = JournalEntry.objects.bulk_create(made)
    except IntegrityError:
        # Another transaction posted one of the keys since we looked: post one by one, taking
        # theirs where it is there.
        return [_post_one_racing(entry=entry, actor=actor, now=now) for entry in entries]
    _write_postings(pairs=list(zip(saved, fresh, strict=True)), chart=chart, now=now)
    by_key = {**existing, **{row.idempotency_key: row for row in saved if row.idempotency_key}}
    result: list[JournalEntry] = []
    fresh_rows = iter(saved)
    for entry in entries:
        if entry.idempotency_key in existing:
            result.append(by_key[entry.idempotency_key])
        else:
            result.append(next(fresh_rows))
    if saved:
        record_audit_event(
            actor=actor,
            action="ledger.entries_posted",
            target=None,
            object_type="ledger.journalentry",
            object_id=saved[0].number if len(saved) == 1 else f"{saved[0].number}…{saved[-1].number}",
            org_unit_id=saved[0].org_unit_id,
            occurred_at=now,
            changes={
                "entries": len(saved),
                "kinds": sorted({row.kind for row in saved}),
                "debits": str(sum((line.debit for entry in fresh for line in entry.lines), _ZERO)),
            },
        )
    return result


def _post_one_racing(*, entry: NewEntry, actor: User | None, now: datetime) -> JournalEntry:
    if entry.idempotency_key:
        found: JournalEntry | None = JournalEntry.objects.filter(
            idempotency_key=entry.idempotency_key
        ).first()
        if found is not None:
            return found
    (posted,) = post_journal_entries(entries=[entry], actor=actor, now=now)
    return posted


def _check(*, entry: NewEntry, chart: _Chart) -> None:
    debits = credits = _ZERO
    for number, line in enumerate(entry.lines, start=1):
        account = chart.account(line.code)
        for side in (line.debit, line.credit):
            if side < 0 or round_to_fen(side) != side:
                raise PostingInvalid(
                    field="lines",
                    line=number,
                    reason_zh=f"金额 {side} 须为非负、精确到分",
                    reason_en=f"the amount {side} must be non-negative and in whole fen",
                )
        if (line.debit > 0) == (line.credit > 0):
            raise PostingInvalid(
                field="lines",
                line=number,
                reason_zh="借方、贷方须有且只有一方大于零",
                reason_en="exactly one of debit and credit must be above zero",
            )
        if account.per_customer_account != (line.customer_account_id is not None):
            raise PostingInvalid(
                field="lines",
                line=number,
                reason_zh=f"科目“{account.code}”{'须' if account.per_customer_account else '不'}按户记账",
                reason_en=(
                    f'ledger account "{account.code}" '
                    f"{'needs' if account.per_customer_account else 'takes no'} customer account"
                ),
            )
        debits += line.debit
        credits += line.credit
    if not entry.lines or debits != credits:
        raise JournalEntryUnbalanced(field="lines", debit=debits, credit=credits)


def _write_postings(*, pairs: list[tuple[JournalEntry, NewEntry]], chart: _Chart, now: datetime) -> None:
    postings = [
        Posting(
            org_unit_id=row.org_unit_id,
            entry_id=row.pk,
            ledger_account_id=chart.account(line.code).pk,
            customer_account_id=line.customer_account_id,
            debit=line.debit,
            credit=line.credit,
            item=line.item,
            due_date=line.due_date,
            entry_date=row.entry_date,
        )
        for row, entry in pairs
        for line in entry.lines
    ]
    Posting.objects.bulk_create(postings, batch_size=2000)
    deltas: defaultdict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: _ZERO))
    org_units: dict[int, int] = {}
    for row, entry in pairs:
        for line in entry.lines:
            if line.customer_account_id is None:
                continue
            org_units.setdefault(line.customer_account_id, row.org_unit_id)
            if line.code in BALANCE_FIELDS:
                deltas[line.customer_account_id][BALANCE_FIELDS[line.code]] += line.debit - line.credit
            elif line.code in CREDIT_BALANCE_FIELDS:
                deltas[line.customer_account_id][CREDIT_BALANCE_FIELDS[line.code]] += line.credit - line.debit
    _apply_balance_deltas(deltas=deltas, org_units=org_units, now=now)


def _apply_balance_deltas(
    *, deltas: dict[int, dict[str, Decimal]], org_units: dict[int, int], now: datetime
) -> None:
    """Add ``deltas`` to the accounts' balance rows, locked in account order (so two batches
    touching the same accounts wait for each other instead of deadlocking)."""
    if not deltas:
        return
    account_ids = sorted(deltas)
    AccountBalance.objects.bulk_create(
        [
            AccountBalance(customer_account_id=account_id, org_unit_id=org_units[account_id], updated_at=now)
            for account_id in account_ids
        ],
        ignore_conflicts=True,
    )
    rows = list(
        AccountBalance.objects.select_for_update()
        .filter(customer_account_id__in=account_ids)
        .order_by("customer_account_id")
    )
    names = sorted({name for changes in deltas.values() for name in changes})
    for row in rows:
        for name, delta in deltas[row.customer_account_id].items():
            setattr(row, name, getattr(row, name) + delta)
        row.updated_at = now
    AccountBalance.objects.bulk_update(rows, [*names, "updated_at"], batch_size=1000)


@transaction.atomic
def reverse_journal_entry(
    *, entry: JournalEntry, reason: str, entry_date: date, actor: User | None, now: datetime
) -> JournalEntry:
    """Post the reversal (冲销) of ``entry``: the same postings on the other side, dated
    ``entry_date``. An entry is reversed at most once, and a reversal is not reversed."""
    locked = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.kind == JournalEntryKind.REVERSAL:
        raise JournalEntryIsReversal(number=locked.number)
    if JournalEntry.objects.filter(reverses=locked).exists():
        raise JournalEntryAlreadyReversed(number=locked.number)
    chart = _chart()
    chart_codes = {account.pk: code for code, account in chart.by_code.items()}
    lines = [
        PostingLine(
            code=chart_codes[posting.ledger_account_id],
            debit=posting.credit,
            credit=posting.debit,
            customer_account_id=posting.customer_account_id,
            item=posting.item,
            due_date=posting.due_date,
        )
        for posting in locked.postings.order_by("id")
    ]
    new = NewEntry(
        org_unit_id=locked.org_unit_id,
        kind=JournalEntryKind.REVERSAL,
        entry_date=entry_date,
        description=f"冲销 {locked.number}: {reason}",
        source=f"ledger.journalentry:{locked.pk}",
        lines=lines,
    )
    _check(entry=new, chart=chart)
    (number,) = reserve_sequence_numbers(name="journal_entry", count=1)
    reversal = JournalEntry.objects.create(
        org_unit_id=new.org_unit_id,
        number=f"JE{entry_date:%Y%m}{number:010d}",
        kind=new.kind,
        entry_date=entry_date,
        posted_at=now,
        description=new.description[:200],
        source=new.source,
        reverses=locked,
        posted_by=actor if actor is not None and actor.pk else None,
    )
    _write_postings(pairs=[(reversal, new)], chart=chart, now=now)
    record_audit_event(
        actor=actor,
        action="ledger.entry_reversed",
        target=reversal,
        occurred_at=now,
        changes={"reverses": locked.number, "reason": reason},
    )
    return reversal


@transaction.atomic
def export_general_ledger_day(*, actor: User, on: date, now: datetime) -> list[tuple[str, ...]]:
    """The general-ledger export of day ``on`` over the actor's org subtree
    (:func:`gridcare.ledger.reports.gl_export_rows`); the export is audited (``ledger.gl_exported``
    with the day and row count)."""
    rows = list(gl_export_rows(user=actor, on=on))
    record_audit_event(
        actor=actor,
        action="ledger.gl_exported",
        target=None,
        occurred_at=now,
        changes={"entry_date": on.isoformat(), "rows": len(rows)},
        object_type="ledger.gl_export",
        object_id=on.isoformat(),
        org_unit_id=actor.org_unit_id,
    )
    return rows
