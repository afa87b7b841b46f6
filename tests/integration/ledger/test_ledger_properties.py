"""Property: whatever sequence of bill issues, payments, prepayments and reversals is posted,
every journal entry balances, the trial balance balances, and every account's cached balance
equals its postings. (Payments, late fees, waivers and refunds proper join as issue 6 adds them.)"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_world import LedgerWorld, bill_issued, payment_entry

from gridcare.identity.models import Role
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.errors import JournalEntryAlreadyReversed, JournalEntryIsReversal
from gridcare.ledger.models import JournalEntry
from gridcare.ledger.operations import post_journal_entries, reverse_journal_entry
from gridcare.ledger.queries import check_ledger, trial_balance

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=5_000_000).map(lambda fen: Decimal(fen) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("bill"), st.booleans(), amounts, st.integers(0, 100)),
        st.tuples(st.just("pay"), st.booleans(), amounts, st.sampled_from(["receivable", "prepaid"])),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_any_sequence_leaves_every_entry_balanced_and_the_cache_equal_to_the_postings(
    ledger_world: LedgerWorld, now: datetime, staff_user_factory: Any, sequence: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        auditor = staff_user_factory(
            username="ledger-auditor", org_unit=ledger_world.tree.province, roles=[Role.AUDITOR]
        )
        for step in sequence:
            if step[0] == "bill":
                _kind, first, amount, funds_percent = step
                funds = (amount * funds_percent / 100).quantize(Decimal("0.01"))
                account = ledger_world.first if first else ledger_world.second
                entry = bill_issued(ledger_world, account, str(amount), funds=str(funds))
                post_journal_entries(entries=[entry], actor=None, now=now)
            elif step[0] == "pay":
                _kind, first, amount, into = step
                post_journal_entries(
                    entries=[
                        payment_entry(
                            ledger_world,
                            ledger_world.first if first else ledger_world.second,
                            str(amount),
                            into=ChartCode.RECEIVABLE_ENERGY
                            if into == "receivable"
                            else ChartCode.PREPAID_ENERGY,
                            cash=ChartCode.BANK_IN_TRANSIT,
                        )
                    ],
                    actor=None,
                    now=now,
                )
            else:
                entries = list(JournalEntry.objects.order_by("id"))
                if entries:
                    target = entries[step[1] % len(entries)]
                    with contextlib.suppress(JournalEntryAlreadyReversed, JournalEntryIsReversal):
                        reverse_journal_entry(
                            entry=target, reason="测试", entry_date=date(2025, 3, 12), actor=None, now=now
                        )

            check = check_ledger()
            assert check.unbalanced_entries == []
            assert check.balance_mismatches == []
        assert check.entries == JournalEntry.objects.count()
        rows = trial_balance(user=auditor, on=date(2025, 3, 12))
        assert sum((row.closing for row in rows if row.account.debit_normal), Decimal(0)) == sum(
            (row.closing for row in rows if not row.account.debit_normal), Decimal(0)
        )
        transaction.set_rollback(True)
