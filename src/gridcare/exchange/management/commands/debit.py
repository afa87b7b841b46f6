"""``gridcare debit``: direct debit (银行代扣, docs/bank-channels.md) — write a bank's debit
file with its signed manifest, and read a bank's result file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.exchange.debit_files import read_debit_result_file, write_debit_file
from gridcare.exchange.queries import find_exchange_user
from gridcare.kit.errors import GridCareError
from gridcare.payments.errors import DebitResultFileInvalid


class Command(BaseCommand):
    help = "Direct debit: write a bank's debit file (write), read a bank's result file (read-result)."

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

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            actor = find_exchange_user(username=options["user"]) if options["user"] else None
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
