"""``gridcare tariff load|list|show|schema|import-urdb``: the tariff catalog from the command line
(docs/tariffs.md). Bad input is refused with the field at fault and exit status 2."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from gridcare.billing.engine.tariff import tariff_json_schema
from gridcare.kit.clock import to_local
from gridcare.kit.errors import GridCareError
from gridcare.tariffs import operations, queries
from gridcare.tariffs.urdb_import import urdb_records_in, urdb_start_date


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"日期须为 YYYY-MM-DD：{value!r} / A date is written YYYY-MM-DD: {value!r}", returncode=2
        ) from error


class Command(BaseCommand):
    help = (
        "The tariff catalog. 'load' publishes a tariff document file as a new version, 'list' "
        "shows every tariff and its versions, 'show' prints a version's document, 'schema' prints "
        "the JSON Schema of tariff documents, 'import-urdb' stores an OpenEI URDB record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        load = subcommands.add_parser("load", help="Publish the tariff document in FILE as a new version.")
        load.add_argument("file", type=Path)
        load.add_argument(
            "--valid-from",
            help="First day of the version, YYYY-MM-DD (default today in Asia/Shanghai).",
        )
        subcommands.add_parser("list", help="Every tariff with its versions.")
        show = subcommands.add_parser("show", help="Print the document of the version valid on a day.")
        show.add_argument("code")
        show.add_argument("--on", help="The day, YYYY-MM-DD (default today in Asia/Shanghai).")
        subcommands.add_parser("schema", help="Print the JSON Schema of tariff documents.")
        urdb = subcommands.add_parser(
            "import-urdb", help="Store an OpenEI URDB record as tariff URDB-<label>."
        )
        urdb.add_argument("file", type=Path)
        urdb.add_argument(
            "--valid-from",
            help="First day of the version, YYYY-MM-DD (default the record's startdate, else today).",
        )
        urdb.add_argument("--label", help="The label naming the tariff when the record has none.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["subcommand"]:
                case "load":
                    self._load(options)
                case "list":
                    self._list()
                case "show":
                    self._show(options)
                case "schema":
                    self.stdout.write(json.dumps(tariff_json_schema(), ensure_ascii=False, indent=2))
                case "import-urdb":
                    self._import_urdb(options)
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}", returncode=2) from error

    def _load(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        valid_from = _iso_date(options["valid_from"]) if options["valid_from"] else to_local(now).date()
        version = operations.load_tariff_file(
            actor=None, path=options["file"], valid_from=valid_from, now=now
        )
        self.stdout.write(
            f"已发布电价 {version.tariff.code} 第 {version.version} 版，自 {version.valid_from} 起 / "
            f"Published tariff {version.tariff.code} version {version.version} from {version.valid_from}"
        )

    def _list(self) -> None:
        for tariff in queries.catalog().prefetch_related("versions"):
            self.stdout.write(f"{tariff.code}  [{tariff.kind}]  {tariff.name_zh} / {tariff.name_en}")
            for version in sorted(tariff.versions.all(), key=lambda version: version.version):
                valid_to = version.valid_to.isoformat() if version.valid_to else "—"
                self.stdout.write(
                    f"  v{version.version}  {version.valid_from.isoformat()} → {valid_to}  "
                    f"{version.source}  sha256:{version.document_sha256[:12]}"
                )

    def _show(self, options: dict[str, Any]) -> None:
        on = _iso_date(options["on"]) if options["on"] else to_local(timezone.now()).date()
        version = queries.tariff_version_for(code=options["code"], on=on)
        self.stdout.write(json.dumps(version.document, ensure_ascii=False, indent=2))

    def _import_urdb(self, options: dict[str, Any]) -> None:
        records = urdb_records_in(operations.read_json_file(options["file"]))
        if options["label"] and len(records) > 1:
            raise CommandError(
                f"--label 只能用于单条记录 / --label names a single record, the file holds {len(records)}",
                returncode=2,
            )
        now = timezone.now()
        # One file, one transaction: a bad record in it stores none of them.
        with transaction.atomic():
            self._import_urdb_records(records, options, now=now)

    def _import_urdb_records(
        self, records: list[dict[str, Any]], options: dict[str, Any], *, now: datetime
    ) -> None:
        for record in records:
            if options["valid_from"]:
                valid_from = _iso_date(options["valid_from"])
            else:
                valid_from = urdb_start_date(record) or to_local(now).date()
            version = operations.import_urdb_tariff(
                actor=None, record=record, valid_from=valid_from, label=options["label"], now=now
            )
            self.stdout.write(
                f"已导入电价 {version.tariff.code} 第 {version.version} 版，自 {version.valid_from} 起 / "
                f"Imported tariff {version.tariff.code} version {version.version} from {version.valid_from}"
            )
