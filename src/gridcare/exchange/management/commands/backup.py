"""``gridcare backup [--output PATH] [--verify]``: back the database up (SQLite online backup or
``pg_dump``), with a SHA-256 sidecar and a manifest; ``--verify`` restores it into a scratch
database and compares row counts per table and the audit head."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from gridcare.exchange.backups import create_backup, default_backup_path, verify_backup
from gridcare.kit.errors import GridCareError


class Command(BaseCommand):
    help = "Back up the database to PATH (default var/backups/), optionally verifying the copy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="Where to write the backup.")
        parser.add_argument(
            "--verify", action="store_true", help="Restore into a scratch database and compare counts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = connection.settings_dict
        now = timezone.now()
        output: Path = options["output"] or default_backup_path(database=database, now=now)
        started = time.monotonic()
        try:
            result = create_backup(database=database, output=output, now=now)
            manifest = result.manifest
            self.stdout.write(
                f"Backup written to {result.path} ({result.path.stat().st_size} bytes, "
                f"{len(manifest.table_row_counts)} tables, {sum(manifest.table_row_counts.values())} rows, "
                f"audit head {manifest.audit_head}) in {time.monotonic() - started:.1f} s; "
                f"sha256 {result.sha256}."
            )
            if not options["verify"]:
                return
            started = time.monotonic()
            report = verify_backup(database=database, path=result.path)
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        elapsed = f"{time.monotonic() - started:.1f} s"
        if report.ok:
            self.stdout.write(
                f"Verify OK: {report.tables_checked} tables, {report.rows_checked} rows and the audit head "
                f"match the manifest ({elapsed})."
            )
            return
        for mismatch in report.mismatches:
            self.stderr.write(f"  {mismatch.table}: manifest {mismatch.expected}, restored {mismatch.found}")
        if not report.audit_head_matches:
            self.stderr.write(
                f"  audit head: manifest {report.expected_audit_head}, restored {report.found_audit_head}"
            )
        raise CommandError(f"Verify FAILED for {report.path} ({elapsed}).")
