"""Posting to the receivables ledger: balanced entries only, written once, reversed not edited,
posted once per idempotency key, and the cached balances equal to the postings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from ledger_world import LedgerWorld, bill_issued, payment_entry

from gridcare.audit.models import AuditEvent
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.errors import (
    JournalEntryAlreadyReversed,
    JournalEntryIsReversal,
    JournalEntryUnbalanced,
    LedgerEntryImmutable,
    PostingInvalid,
)
from gridcare.ledger.models import AccountBalance, JournalEntry, JournalEntryKind, Posting
from gridcare.ledger.operations import (
    NewEntry,
    PostingLine,
    post_journal_entries,
    reverse_journal_entry,
)
from gridcare.ledger.queries import balances_from_postings

pytestmark = pytest.mark.django_db


def _balance(account_id: int) -> tuple[Decimal, Decimal, Decimal]:
    row = AccountBalance.objects.get(customer_account_id=account_id)
    return row.energy_owed, row.late_fees_owed, row.prepaid


def test_a_bill_issue_posts_receivable_revenue_and_funds_and_moves_the_balance(
    ledger_world: LedgerWorld, now: datetime
) -> None:
    (entry,) = post_journal_entries(
        entries=[bill_issued(ledger_world, ledger_world.first, "149.49", funds="8.70")], actor=None, now=now
    )

    assert entry.number == "JE2025030000000001"
    assert [
        (posting.ledger_account.code, posting.debit, posting.credit, posting.customer_account_id)
        for posting in entry.postings.order_by("id")
    ] == [
        (ChartCode.RECEIVABLE_ENERGY, Decimal("149.49"), Decimal("0.00"), ledger_world.first.pk),
        (ChartCode.ENERGY_REVENUE, Decimal("0.00"), Decimal("140.79"), None),
        (ChartCode.FUNDS_PAYABLE, Decimal("0.00"), Decimal("8.70"), None),
    ]
    assert _balance(ledger_world.first.pk) == (Decimal("149.49"), Decimal("0.00"), Decimal("0.00"))
    event = AuditEvent.objects.get(action="ledger.entries_posted")
    assert (event.object_id, event.changes["entries"], event.changes["debits"]) == (entry.number, 1, "149.49")


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(
    ledger_world: LedgerWorld, now: datetime
) -> None:
    good = bill_issued(ledger_world, ledger_world.first, "10.00")
    bad = NewEntry(
        org_unit_id=ledger_world.tree.station.pk,
        kind=JournalEntryKind.BILL_ISSUED,
        entry_date=date(2025, 3, 10),
        description="电费发行",
        source="billing.bill:2",
        lines=[
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY,
                debit=Decimal("10.00"),
                customer_account_id=ledger_world.second.pk,
            ),
            PostingLine(code=ChartCode.ENERGY_REVENUE, credit=Decimal("9.99")),
        ],
    )

    with pytest.raises(JournalEntryUnbalanced) as refused:
        post_journal_entries(entries=[good, bad], actor=None, now=now)

    assert refused.value.message("en") == "The journal entry does not balance: debits 10.00, credits 9.99."
    assert (JournalEntry.objects.count(), Posting.objects.count(), AccountBalance.objects.count()) == (
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            PostingLine(code=ChartCode.ENERGY_REVENUE, debit=Decimal("1.00"), credit=Decimal("1.00")),
            "exactly one of debit and credit",
        ),
        (PostingLine(code=ChartCode.ENERGY_REVENUE, credit=Decimal("0.005")), "in whole fen"),
        (PostingLine(code=ChartCode.RECEIVABLE_ENERGY, credit=Decimal("1.00")), "needs customer account"),
    ],
)
def test_a_posting_line_that_cannot_be_posted_is_named(
    ledger_world: LedgerWorld, now: datetime, line: PostingLine, reason: str
) -> None:
    entry = NewEntry(
        org_unit_id=ledger_world.tree.station.pk,
        kind=JournalEntryKind.BILL_ISSUED,
        entry_date=date(2025, 3, 10),
        description="x",
        source="test",
        lines=[PostingLine(code=ChartCode.CASH, debit=Decimal("1.00")), line],
    )

    with pytest.raises(PostingInvalid) as refused:
        post_journal_entries(entries=[entry], actor=None, now=now)

    assert refused.value.message("en").startswith("Posting line 2 is invalid: ")
    assert reason in refused.value.message("en")
    assert JournalEntry.objects.count() == 0


def test_the_same_idempotency_key_posts_once(ledger_world: LedgerWorld, now: datetime) -> None:
    entry = bill_issued(ledger_world, ledger_world.first, "20.00", key="bill-7")

    first = post_journal_entries(entries=[entry], actor=None, now=now)
    again = post_journal_entries(
        entries=[entry, bill_issued(ledger_world, ledger_world.second, "5.00")], actor=None, now=now
    )

    assert again[0].pk == first[0].pk
    assert JournalEntry.objects.count() == 2
    assert _balance(ledger_world.first.pk)[0] == Decimal("20.00")


def test_entries_and_postings_are_never_changed_or_deleted(ledger_world: LedgerWorld, now: datetime) -> None:
    (entry,) = post_journal_entries(
        entries=[bill_issued(ledger_world, ledger_world.first, "20.00")], actor=None, now=now
    )
    posting = entry.postings.first()
    assert posting is not None

    for change in (
        lambda: entry.save(),
        lambda: entry.delete(),
        lambda: posting.save(),
        lambda: JournalEntry.objects.filter(pk=entry.pk).update(description="改"),
        lambda: Posting.objects.filter(entry=entry).delete(),
    ):
        with pytest.raises(LedgerEntryImmutable):
            change()

    assert Posting.objects.filter(entry=entry).count() == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database's own guards are PostgreSQL triggers"
)
def test_the_database_refuses_an_edit_and_an_unbalanced_entry_whatever_code_writes_them(
    ledger_world: LedgerWorld, now: datetime
) -> None:
    (entry,) = post_journal_entries(
        entries=[bill_issued(ledger_world, ledger_world.first, "20.00")], actor=None, now=now
    )
    with (
        pytest.raises(Exception, match="ledger rows are never changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_posting SET debit = 30 WHERE entry_id = %s AND debit > 0", [entry.pk])
    with pytest.raises(Exception, match="does not balance"), transaction.atomic():
        _add_a_debit_and_check_now(entry_id=entry.pk)

    assert list(Posting.objects.filter(entry=entry).values_list("debit", "credit").order_by("id")) == [
        (Decimal("20.00"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("20.00")),
    ]


def _add_a_debit_and_check_now(*, entry_id: int) -> None:
    """A 5.00 debit more on entry ``entry_id``, written past the operations, then the deferred
    checks run at once (as at the commit the test never reaches)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_posting"
            " (org_unit_id, entry_id, ledger_account_id, debit, credit, item, entry_date)"
            " SELECT org_unit_id, entry_id, ledger_account_id, 5, 0, item, entry_date"
            " FROM ledger_posting WHERE entry_id = %s AND debit > 0",
            [entry_id],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_reversal_posts_the_other_side_once_and_restores_the_balance(
    ledger_world: LedgerWorld, now: datetime
) -> None:
    (entry,) = post_journal_entries(
        entries=[bill_issued(ledger_world, ledger_world.first, "149.49", funds="8.70")], actor=None, now=now
    )

    reversal = reverse_journal_entry(
        entry=entry, reason="抄表错误", entry_date=date(2025, 3, 12), actor=None, now=now
    )

    assert (reversal.kind, reversal.reverses_id, reversal.entry_date) == (
        JournalEntryKind.REVERSAL,
        entry.pk,
        date(2025, 3, 12),
    )
    assert [(p.ledger_account.code, p.debit, p.credit) for p in reversal.postings.order_by("id")] == [
        (ChartCode.RECEIVABLE_ENERGY, Decimal("0.00"), Decimal("149.49")),
        (ChartCode.ENERGY_REVENUE, Decimal("140.79"), Decimal("0.00")),
        (ChartCode.FUNDS_PAYABLE, Decimal("8.70"), Decimal("0.00")),
    ]
    assert _balance(ledger_world.first.pk) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(JournalEntryAlreadyReversed):
        reverse_journal_entry(entry=entry, reason="again", entry_date=date(2025, 3, 12), actor=None, now=now)
    with pytest.raises(JournalEntryIsReversal):
        reverse_journal_entry(
            entry=reversal, reason="again", entry_date=date(2025, 3, 12), actor=None, now=now
        )
    assert AuditEvent.objects.filter(action="ledger.entry_reversed").count() == 1


def test_the_cached_balances_equal_the_postings(ledger_world: LedgerWorld, now: datetime) -> None:
    prepaid = payment_entry(ledger_world, ledger_world.second, "50.00", into=ChartCode.PREPAID_ENERGY)
    post_journal_entries(
        entries=[
            bill_issued(ledger_world, ledger_world.first, "30.00"),
            bill_issued(ledger_world, ledger_world.first, "12.34"),
            prepaid,
        ],
        actor=None,
        now=now,
    )

    derived = balances_from_postings()

    assert derived == {
        ledger_world.first.pk: {
            "energy_owed": Decimal("42.34"),
            "late_fees_owed": Decimal("0.00"),
            "prepaid": Decimal("0.00"),
        },
        ledger_world.second.pk: {
            "energy_owed": Decimal("0.00"),
            "late_fees_owed": Decimal("0.00"),
            "prepaid": Decimal("50.00"),
        },
    }
    for account_id, balances in derived.items():
        assert _balance(account_id) == (
            balances["energy_owed"],
            balances["late_fees_owed"],
            balances["prepaid"],
        )
