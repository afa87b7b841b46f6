"""``gridcare ledger check``: prove the receivables ledger consistent (docs/ledger.md)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridcare.ledger.queries import check_ledger


class Command(BaseCommand):
    help = (
        "The receivables ledger. 'check' proves every journal entry balanced and every customer "
        "account's cached balance equal to the sum of its postings; exit status 1 when not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("check", help="Check entries and cached balances against the postings.")

    def handle(self, *args: Any, **options: Any) -> None:
        check = check_ledger()
        self.stdout.write(
            f"entries {check.entries:,}: {len(check.unbalanced_entries)} unbalanced; "
            f"accounts {check.accounts:,}: {len(check.balance_mismatches)} cached balances ≠ postings"
        )
        for entry_id, debits, credits in check.unbalanced_entries:
            self.stdout.write(f"  entry {entry_id}: debits {debits}, credits {credits}")
        for account_id, name, cached, derived in check.balance_mismatches:
            self.stdout.write(f"  account {account_id} {name}: cached {cached}, postings {derived}")
        if not check.passed:
            sys.exit(1)
