"""``gridcare audit verify``: walk the audit hash chain and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridcare.audit.queries import DEFAULT_CHUNK_SIZE, verify_audit_chain
from gridcare.kit.errors import GridCareError


class Command(BaseCommand):
    help = (
        "Audit log tools. 'verify' checks the hash chain and names the first edited, deleted or "
        "reordered event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        verify = subcommands.add_parser("verify", help="Check every link of the audit hash chain.")
        verify.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Events read per query (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            head = verify_audit_chain(chunk_size=options["chunk_size"])
        except GridCareError as error:
            raise CommandError(f"{error.message('zh-hans')} / {error.message('en')}") from error
        self.stdout.write(
            f"审计链完整，链头序号 {head.sequence}，哈希 {head.hash} / "
            f"Audit chain intact: head sequence {head.sequence}, hash {head.hash}"
        )
