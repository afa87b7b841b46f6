"""The ledger's reads: the day's trial balance, org-scoped; the consistency check and its command,
which catch a cached balance that drifted from the postings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from ledger_world import LedgerWorld, bill_issued, payment_entry

from gridcare.customers.models import Account, UsageCategory
from gridcare.identity.models import Role
from gridcare.ledger.chart import ChartCode
from gridcare.ledger.models import AccountBalance, JournalEntryKind
from gridcare.ledger.operations import NewEntry, PostingLine, post_journal_entries
from gridcare.ledger.queries import aged_receivables, check_ledger, trial_balance

pytestmark = pytest.mark.django_db


def test_the_trial_balance_of_a_day_carries_the_days_before_and_balances(
    ledger_world: LedgerWorld, now: datetime, staff_user_factory: Any
) -> None:
    # 10 March: bills of 149.49 (8.70 funds) and 30.00; 11 March: 100.00 paid in cash.
    post_journal_entries(
        entries=[
            bill_issued(ledger_world, ledger_world.first, "149.49", funds="8.70"),
            bill_issued(ledger_world, ledger_world.second, "30.00"),
            payment_entry(ledger_world, ledger_world.first, "100.00"),
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
            payment_entry(ledger_world, ledger_world.first, "100.00"),
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


def _owed(world: LedgerWorld, account: Any, amount: str, item: str, due: date, *, on: date) -> NewEntry:
    return NewEntry(
        org_unit_id=world.tree.station.pk,
        kind=JournalEntryKind.BILL_ISSUED,
        entry_date=on,
        description=item,
        source=item,
        lines=[
            PostingLine(
                code=ChartCode.RECEIVABLE_ENERGY,
                debit=Decimal(amount),
                customer_account_id=account.pk,
                item=item,
                due_date=due,
            ),
            PostingLine(code=ChartCode.ENERGY_REVENUE, credit=Decimal(amount)),
        ],
    )


def test_aged_receivables_sum_each_open_bill_by_days_past_due_per_org_unit_and_usage_category(
    ledger_world: LedgerWorld, now: datetime, staff_user_factory: Any
) -> None:
    """As of 2025-04-10, residential 户 1: A 100.00 due 03-20 (21 days: 0–30), B 50.00 due 01-20
    (80: 31–90), C 30.00 due 2024-10-20 (172: 91–180), D 20.00 due 2024-09-01 (221: >180) of
    which 5.00 paid, E 10.00 due 05-01 (not due: 0–30); commercial 户 2: F 40.00 due 04-01 (9);
    G 70.00 posted on 04-11, after the day, left out."""
    world, first, second = ledger_world, ledger_world.first, ledger_world.second
    Account.objects.filter(pk=second.pk).update(usage_category=UsageCategory.GENERAL_COMMERCIAL)
    posted = date(2025, 3, 1)
    payment = payment_entry(world, first, "5.00", on=date(2025, 4, 2), item="D")
    post_journal_entries(
        entries=[
            _owed(world, first, "100.00", "A", date(2025, 3, 20), on=posted),
            _owed(world, first, "50.00", "B", date(2025, 1, 20), on=posted),
            _owed(world, first, "30.00", "C", date(2024, 10, 20), on=posted),
            _owed(world, first, "20.00", "D", date(2024, 9, 1), on=posted),
            _owed(world, first, "10.00", "E", date(2025, 5, 1), on=posted),
            _owed(world, second, "40.00", "F", date(2025, 4, 1), on=posted),
            _owed(world, second, "70.00", "G", date(2025, 5, 11), on=date(2025, 4, 11)),
            payment,
        ],
        actor=None,
        now=now,
    )
    auditor = staff_user_factory(username="ledger-aged", org_unit=world.tree.county, roles=[Role.AUDITOR])
    outsider = staff_user_factory(
        username="ledger-aged-other", org_unit=world.tree.other_station, roles=[Role.AUDITOR]
    )

    rows = aged_receivables(user=auditor, as_of=date(2025, 4, 10))

    assert [(row.org_unit_id, row.usage_category, row.bands, row.total) for row in rows] == [
        (
            world.tree.station.pk,
            "general_commercial",
            (Decimal("40.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
            Decimal("40.00"),
        ),
        (
            world.tree.station.pk,
            "residential",
            (Decimal("110.00"), Decimal("50.00"), Decimal("30.00"), Decimal("15.00")),
            Decimal("205.00"),
        ),
    ]
    assert aged_receivables(user=outsider, as_of=date(2025, 4, 10)) == []
