"""``gridcare restore PATH --yes``: replace the database's contents with a backup made by
``gridcare backup``, after checking its SHA-256 sidecar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from gridcare.exchange.backups import restore_backup
from gridcare.kit.errors import GridCareError


class Command(BaseCommand):
    help = "Restore the database from a backup. Everything in the database now is replaced."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="The backup file (its .sha256 and .manifest.json beside it)."
        )
        parser.add_argument("--yes", action="store_true", help="Confirm: replace the current database.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        database = connection.settings_dict
        if not options["yes"]:
            raise CommandError(
                f"Restoring {path} replaces everything in the database {database['NAME']}; "
                "run again with --yes to confirm."
            )
        try:
            restore_backup(database=database, path=path)
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        self.stdout.write(f"Database {database['NAME']} restored from {path}.")
