"""The ledger's reads: the day's trial balance, org-scoped; the consistency check and its command,
which catch a cached balance that drifted from the postings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from ledger_world import LedgerWorld, bill_issued

from gridcare.identity.models import Role
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.ledger.queries import check_ledger, trial_balance

pytestmark = pytest.mark.django_db


def _payment(world: LedgerWorld, amount: str, day: date) -> NewEntry:
    return NewEntry(
        org_unit_id=world.tree.station.pk,
        kind=JournalEntryKind.PAYMENT,
        entry_date=day,
        description="坐收",
        source="test",
        lines=[
            PostingLine(code=ChartCode.CASH, debit=Decimal(amount)),
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY, credit=Decimal(amount), customer_account_id=world.first.pk
            ),
        ],
    )


def test_the_trial_balance_of_a_day_carries_the_days_before_and_balances(
    ledger_world: LedgerWorld, now: datetime, staff_user_factory: Any
) -> None:
    # 10 March: bills of 149.49 (8.70 funds) and 30.00; 11 March: 100.00 paid in cash.
    post_journal_entries(
        entries=[
            bill_issued(ledger_world, ledger_world.first, "149.49", funds="8.70"),
            bill_issued(ledger_world, ledger_world.second, "30.00"),
            _payment(ledger_world, "100.00", date(2025, 3, 11)),
        ],
        actor=None,
        now=now,
    )
    clerk = staff_user_factory(
        username="ledger-clerk", org_unit=ledger_world.tree.county, roles=[Role.AUDITOR]
    )
    outsider = staff_user_factory(
        username="ledger-other", org_unit=ledger_world.tree.other_station, roles=[Role.AUDITOR]
    )

    rows = trial_balance(user=clerk, on=date(2025, 3, 11))

    assert [(row.account.code, row.opening, row.debits, row.credits, row.closing) for row in rows] == [
        ("cash.on_hand", Decimal("0.00"), Decimal("100.00"), Decimal("0.00"), Decimal("100.00")),
        ("payable.funds", Decimal("8.70"), Decimal("0.00"), Decimal("0.00"), Decimal("8.70")),
        ("receivable.energy", Decimal("179.49"), Decimal("0.00"), Decimal("100.00"), Decimal("79.49")),
        ("revenue.energy", Decimal("170.79"), Decimal("0.00"), Decimal("0.00"), Decimal("170.79")),
    ]
    debit_normal = sum((row.closing for row in rows if row.account.debit_normal), Decimal(0))
    credit_normal = sum((row.closing for row in rows if not row.account.debit_normal), Decimal(0))
    assert debit_normal == credit_normal == Decimal("179.49")
    assert trial_balance(user=outsider, on=date(2025, 3, 11)) == []


def test_the_check_proves_the_cache_equal_to_the_postings_and_catches_a_drift(
    ledger_world: LedgerWorld, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    post_journal_entries(
        entries=[
            bill_issued(ledger_world, ledger_world.first, "149.49"),
            _payment(ledger_world, "100.00", date(2025, 3, 11)),
        ],
        actor=None,
        now=now,
    )
    check = check_ledger()
    assert (check.passed, check.entries, check.accounts) == (True, 2, 1)

    AccountBalance.objects.filter(customer_account=ledger_world.first).update(energy_owed=Decimal("50.00"))

    check = check_ledger()
    assert not check.passed
    assert check.balance_mismatches == [
        (ledger_world.first.pk, "energy_owed", Decimal("50.00"), Decimal("49.49"))
    ]
    with pytest.raises(SystemExit) as exited:
        call_command("ledger", "check")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "entries 2: 0 unbalanced; accounts 1: 1 cached balances ≠ postings" in out
    assert f"account {ledger_world.first.pk} energy_owed: cached 50.00, postings 49.49" in out
