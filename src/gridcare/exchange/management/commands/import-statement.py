"""``gridcare import-statement FILE``: import a bank statement (camt.053, camt.054 or the
statement CSV of docs/reconciliation.md), match its lines to payments and clear the matched
ones; a bad file is refused whole with every bad entry or row reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.exchange.queries import covering_org_unit, resolve_scope
from gridcare.exchange.statements import import_statement_file
from gridcare.kit.errors import GridCareError
from gridcare.payments.errors import StatementFileInvalid
from gridcare.payments.models import LineStatus
from gridcare.payments.statement_formats import MAX_STATEMENT_BYTES


class Command(BaseCommand):
    help = (
        "Import a bank statement: ISO 20022 camt.053 or camt.054 XML, or the statement CSV "
        "(docs/reconciliation.md). Credit lines are matched to payments by serial number, amount "
        "and date; matched lines are cleared (Dr cash.bank / Cr cash.bank_in_transit), the others "
        "listed for reconciliation. A bad file imports nothing and every problem is printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The statement file (.xml or .csv).")
        parser.add_argument("--bank", default="", help="The bank's name, when the file does not give it.")
        parser.add_argument(
            "--org-unit",
            dest="org_unit",
            help="The org unit the statement belongs to; its subtree's payments are matched "
            "(default: the user's org unit, else the root of the org tree).",
        )
        parser.add_argument("--user", help="Import as this staff user (default: the operator, no actor).")
        parser.add_argument(
            "--manifest",
            type=Path,
            help="The file's signed manifest: its SHA-256, size and signature are checked first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            scope = resolve_scope(username=options["user"], org_unit_code=options["org_unit"])
            org_unit = covering_org_unit(scope=scope)
            if org_unit is None:
                raise CommandError("请用 --org-unit 指定单位 / Name the org unit with --org-unit.")
            if path.stat().st_size > MAX_STATEMENT_BYTES:
                raise CommandError(f"文件过大 / The file is larger than {MAX_STATEMENT_BYTES} bytes.")
            manifest_path: Path | None = options["manifest"]
            statement = import_statement_file(
                actor=scope.user,
                org_unit=org_unit,
                content=path.read_bytes(),
                file_name=path.name,
                bank=options["bank"],
                manifest=manifest_path.read_bytes() if manifest_path is not None else None,
                manifest_name=manifest_path.name if manifest_path is not None else "",
                now=timezone.now(),
            )
        except StatementFileInvalid as error:
            for problem in error.problems:
                self.stdout.write(
                    " | ".join(
                        (
                            f"{problem.where('zh-hans')} / {problem.where('en')}",
                            problem.field,
                            problem.value,
                            problem.reason_zh,
                            problem.reason_en,
                        )
                    )
                )
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        lines = list(statement.lines.values_list("status", flat=True))
        counts = ", ".join(
            f"{status} {lines.count(status)}" for status in LineStatus.values if status in lines
        )
        self.stdout.write(
            f"{statement.bank} {statement.account_no} {statement.statement_id} "
            f"({statement.get_file_format_display()}): {len(lines)} lines — {counts}."
        )
