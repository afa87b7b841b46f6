"""``gridcare export KIND FILE``: write every record of KIND in scope to a CSV or XLSX file in
the format ``gridcare import`` reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.exchange.files import file_format_of
from gridcare.exchange.kinds import KINDS
from gridcare.exchange.manifests import write_manifest
from gridcare.exchange.operations import export_file
from gridcare.exchange.queries import resolve_scope
from gridcare.identity.integrations import find_active_integration
from gridcare.kit.errors import GridCareError


class Command(BaseCommand):
    help = "Export KIND to a .csv (UTF-8 with BOM) or .xlsx file, streaming."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=list(KINDS), help="What to export.")
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file to write.")
        parser.add_argument("--org-unit", dest="org_unit", help="Only records of this org unit's subtree.")
        parser.add_argument(
            "--user", help="Export as this staff user: only their org units (default: unrestricted)."
        )
        parser.add_argument(
            "--integration",
            help="Write FILE.manifest.json beside the file, signed with this integration's key.",
        )
        parser.add_argument(
            "--unmask-pii",
            action="store_true",
            help="Write ID numbers and phones unmasked (audited; only without --user: the server "
            "operator holds the keys anyway). Default: masked.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            if options["unmask_pii"] and options["user"]:
                raise CommandError(
                    "--unmask-pii 仅限服务器操作员（不带 --user）/ --unmask-pii is for the server operator "
                    "only (without --user); a user needs a four-eyes bulk-unmask grant."
                )
            scope = resolve_scope(username=options["user"], org_unit_code=options["org_unit"])
            integration = (
                find_active_integration(name=options["integration"]) if options["integration"] else None
            )
            file_format = file_format_of(path.name)
            with path.open("wb") as stream:
                result = export_file(
                    kind=options["kind"],
                    stream=stream,
                    file_format=file_format,
                    file_name=path.name,
                    scope=scope,
                    now=timezone.now(),
                    unmask_pii=options["unmask_pii"],
                )
            if integration is not None:
                manifest = write_manifest(
                    path=path, integration=integration, rows=result.rows_exported, created_at=timezone.now()
                )
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        except OSError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{options['kind']}: {result.rows_exported} rows exported to {path}.")
        if integration is not None:
            self.stdout.write(f"Manifest signed by {integration.name}: {manifest}.")
