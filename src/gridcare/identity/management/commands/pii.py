"""``gridcare pii status`` and ``gridcare pii rotate-key``: personal data keys at rest (ADR 0004)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from gridcare.identity import pii
from gridcare.identity.models import User
from gridcare.identity.operations import rotate_pii_key


class Command(BaseCommand):
    help = (
        "Personal data encryption. 'status' counts the values each key encrypts per column; "
        "'rotate-key' re-encrypts every value with the active (first) key, resumably, and with "
        "--rehash recomputes the keyed search hashes after the hash key changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("status", help="Values per key id, per encrypted column.")
        rotate = subcommands.add_parser("rotate-key", help="Re-encrypt every value with the active key.")
        rotate.add_argument(
            "--rehash", action="store_true", help="Also recompute every keyed hash with the current hash key."
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=pii.BATCH_SIZE,
            help=f"Rows per batch and transaction (default {pii.BATCH_SIZE}).",
        )
        rotate.add_argument(
            "--user", help="Username the audit event names as the actor (default: the system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "status":
            self._status()
        else:
            self._rotate(options)

    def _status(self) -> None:
        ring = pii.pii_key_ring()
        self.stdout.write(f"当前密钥 / Active key: {ring.active_key_id}  (ring: {', '.join(ring.key_ids)})")
        for label, counts in pii.key_usage(connection=connections[DEFAULT_DB_ALIAS]).items():
            described = ", ".join(f"{key_id}={count}" for key_id, count in sorted(counts.items())) or "—"
            self.stdout.write(f"  {label:<40} {described}")

    def _rotate(self, options: dict[str, Any]) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"没有此用户 / No active user {options['user']!r}.")
        rewritten = rotate_pii_key(
            actor=actor, now=timezone.now(), rehash=options["rehash"], batch_size=options["batch_size"]
        )
        for label, count in rewritten.items():
            self.stdout.write(f"  {label:<40} {count}")
        self.stdout.write(
            f"已改写 {sum(rewritten.values())} 个值 / Rewrote {sum(rewritten.values())} values "
            f"with key {pii.pii_key_ring().active_key_id}."
        )
