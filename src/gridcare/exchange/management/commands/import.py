"""``gridcare import KIND FILE``: import a CSV or XLSX file of customers, accounts, metering
points, meters or reads, reporting every bad row. See :mod:`gridcare.exchange.kinds` for the
columns of each kind and :mod:`gridcare.exchange.files` for the accepted encodings."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.exchange.kinds import KINDS
from gridcare.exchange.manifests import check_manifest
from gridcare.exchange.operations import ImportReport, import_file
from gridcare.exchange.queries import resolve_scope
from gridcare.exchange.reports import csv_report_writer, format_table
from gridcare.kit.errors import GridCareError


class Command(BaseCommand):
    help = (
        "Import a .csv (UTF-8 with or without BOM, or GB18030) or .xlsx file of KIND. A file with "
        "bad rows imports nothing unless --partial; every bad row is reported (row, column, value, "
        "reason in zh-Hans and English)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file.")
        parser.add_argument(
            "--partial", action="store_true", help="Import the good rows even if some rows are bad."
        )
        parser.add_argument("--report", type=Path, help="Also write every problem to this CSV file.")
        parser.add_argument(
            "--org-unit",
            dest="org_unit",
            help="Limit the import to this org unit's subtree; rows without org_unit belong to it.",
        )
        parser.add_argument(
            "--user",
            help="Import as this staff user, within their org units (default: unrestricted, no actor).",
        )
        parser.add_argument(
            "--manifest",
            type=Path,
            help="The file's signed manifest: its SHA-256, size and signature are checked first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        report_path: Path | None = options["report"]
        try:
            scope = resolve_scope(username=options["user"], org_unit_code=options["org_unit"])
            with ExitStack() as files:
                stream = files.enter_context(path.open("rb"))
                if options["manifest"] is not None:
                    manifest_file: Path = options["manifest"]
                    check_manifest(
                        stream=stream,
                        file_name=path.name,
                        manifest=manifest_file.read_bytes(),
                        manifest_name=manifest_file.name,
                    )
                on_problem = None
                if report_path is not None:
                    report_file = files.enter_context(report_path.open("w", encoding="utf-8-sig", newline=""))
                    on_problem = csv_report_writer(report_file)
                report = import_file(
                    kind=options["kind"],
                    stream=stream,
                    file_name=path.name,
                    scope=scope,
                    partial=options["partial"],
                    now=timezone.now(),
                    on_problem=on_problem,
                )
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        self._print(report, report_path=report_path)
        if report.has_problems and not report.is_committed:
            raise CommandError(
                f"文件有错误，未导入任何数据 / The file has errors: nothing was imported "
                f"({report.rows_rejected} rows rejected)."
            )

    def _print(self, report: ImportReport, *, report_path: Path | None) -> None:
        if report.problems:
            self.stdout.write(format_table(report.problems))
            hidden = report.problem_count - len(report.problems)
            if hidden:
                where = f" (all in {report_path})" if report_path else " (write them all with --report)"
                self.stdout.write(f"… and {hidden} more problems{where}")
        self.stdout.write(
            f"{report.kind}: {report.rows_read} rows read, {report.rows_imported} imported, "
            f"{report.rows_rejected} rejected."
        )
