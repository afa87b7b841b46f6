"""``gridcare debit``: direct debit (银行代扣, docs/bank-channels.md) — write a bank's debit
file with its signed manifest, and read a bank's result file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.exchange.debit_files import (
    end_debit_mandate,
    read_debit_result_file,
    sign_debit_mandate,
    write_debit_file,
)
from gridcare.exchange.queries import find_exchange_user
from gridcare.kit.errors import GridCareError
from gridcare.payments.errors import DebitResultFileInvalid


class Command(BaseCommand):
    help = (
        "Direct debit: record or cancel an account's mandate (mandate, cancel-mandate), write a "
        "bank's debit file (write), read a bank's result file (read-result)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        write = actions.add_parser(
            "write", help="Write the debit file of a bank for a day, with its manifest."
        )
        write.add_argument(
            "--bank", required=True, help="The bank integration's name (its code in the files)."
        )
        write.add_argument("--on", required=True, type=date.fromisoformat, help="The debit date, YYYY-MM-DD.")
        write.add_argument("--out", required=True, type=Path, help="The folder to write into.")
        write.add_argument("--user", help="Act as this staff user (default: the operator, unrestricted).")
        read = actions.add_parser(
            "read-result", help="Read a bank's result file after checking its manifest."
        )
        read.add_argument("file", type=Path)
        read.add_argument("--manifest", type=Path, help="The signed manifest (default: FILE.manifest.json).")
        read.add_argument("--user", help="Act as this staff user (default: the operator, unrestricted).")
        mandate = actions.add_parser("mandate", help="Record an account's debit mandate (代扣协议).")
        mandate.add_argument("--account", required=True, help="The account number (户号).")
        mandate.add_argument("--bank", required=True, help="The bank integration's name.")
        mandate.add_argument("--bank-account-no", required=True, dest="bank_account_no")
        mandate.add_argument("--holder", required=True, help="The bank account holder's name (户名).")
        mandate.add_argument("--signed-on", required=True, dest="signed_on", type=date.fromisoformat)
        mandate.add_argument("--user", help="Act as this staff user (default: the operator, unrestricted).")
        cancel = actions.add_parser("cancel-mandate", help="Cancel an account's active debit mandate.")
        cancel.add_argument("--account", required=True, help="The account number (户号).")
        cancel.add_argument("--reason", required=True)
        cancel.add_argument("--on", required=True, type=date.fromisoformat, help="Cancelled on, YYYY-MM-DD.")
        cancel.add_argument("--user", help="Act as this staff user (default: the operator, unrestricted).")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            actor = find_exchange_user(username=options["user"]) if options["user"] else None
            if options["action"] == "mandate":
                signed = sign_debit_mandate(
                    actor=actor,
                    account_no=options["account"],
                    bank_name=options["bank"],
                    bank_account_no=options["bank_account_no"],
                    holder_name=options["holder"],
                    signed_date=options["signed_on"],
                    now=now,
                )
                self.stdout.write(f"{options['account']}: mandate {signed.pk} with {options['bank']}")
                return
            if options["action"] == "cancel-mandate":
                ended = end_debit_mandate(
                    actor=actor,
                    account_no=options["account"],
                    reason=options["reason"],
                    cancelled_date=options["on"],
                    now=now,
                )
                self.stdout.write(f"{options['account']}: mandate {ended.pk} cancelled")
                return
            if options["action"] == "write":
                written = write_debit_file(
                    actor=actor, bank_name=options["bank"], on=options["on"], out_dir=options["out"], now=now
                )
                batch = written.batch
                self.stdout.write(
                    f"{batch.batch_no}: {batch.line_count} lines, {batch.total:.2f} → "
                    f"{written.path} ({written.manifest.name})"
                )
                return
            report = read_debit_result_file(
                actor=actor, path=options["file"], manifest=options["manifest"], now=now
            )
        except DebitResultFileInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(
                    f"line {problem.line}, {problem.field}: {problem.reason_zh} / {problem.reason_en}"
                )
            raise CommandError(f"{invalid.message('zh-hans')} / {invalid.message('en')}") from invalid
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        self.stdout.write(
            f"{report.batch.batch_no}: {report.debited} debited, {report.failed} failed, "
            f"{report.bounced} bounced, {report.unchanged} already known"
        )
