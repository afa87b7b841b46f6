"""``gridcare dunning run [--on DATE]`` and ``gridcare dunning check-orders``: what the periodic
jobs do, by hand (docs/dunning.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gridcare.kit.clock import local_date
from gridcare.payments.dunning import run_dunning
from gridcare.payments.supply_orders import (
    alarm_reconnection_breaches,
    configured_remote_switch,
    send_remote_switch_commands,
)


class Command(BaseCommand):
    help = (
        "Dunning (催费). 'run' takes the dunning steps due on a day (today by default; a rerun "
        "takes nothing twice); 'check-orders' sends pending remote-control commands and alarms "
        "reconnection orders past their limit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        run = subcommands.add_parser("run", help="Run the daily dunning.")
        run.add_argument("--on", help="The day, YYYY-MM-DD (default: today, Beijing time).")
        subcommands.add_parser("check-orders", help="Send remote commands; alarm late reconnections.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["subcommand"] == "run":
            try:
                on = date.fromisoformat(options["on"]) if options["on"] else local_date(now)
            except ValueError as error:
                raise CommandError(f"--on: {options['on']!r} is not a date YYYY-MM-DD") from error
            summary = run_dunning(on=on, now=now)
            sent = send_remote_switch_commands(interface=configured_remote_switch(), now=timezone.now())
            fields = ", ".join(f"{name} {value}" for name, value in summary.as_data().items())
            self.stdout.write(f"dunning {on.isoformat()}: {fields}, remote commands sent {sent}")
        else:
            sent = send_remote_switch_commands(interface=configured_remote_switch(), now=now)
            alarmed = alarm_reconnection_breaches(now=now)
            self.stdout.write(f"remote commands sent {sent}, reconnection breaches alarmed {alarmed}")
