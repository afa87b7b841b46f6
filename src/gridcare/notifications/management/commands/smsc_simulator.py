"""``gridcare smsc_simulator``: run the bundled SMPP 3.4 SMSC simulator (demo and manual tests)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridcare.notifications.simulators import smsc
from gridcare.notifications.simulators.smsc import FailureRules, digits, run_simulator


class Command(BaseCommand):
    help = (
        "Run a local SMSC simulator speaking SMPP 3.4: it accepts binds, returns message ids and "
        "sends delivery receipts, failing the numbers the failure rules select; a resubmit with a "
        "client reference it has seen gets the original id (logged), and receipts a client leaves "
        "unanswered are sent again on its next bind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=2775, help="Port to listen on (default 2775).")
        parser.add_argument(
            "--fail-sms-last-digits", default="", help='SMS to numbers ending in these digits fail, e.g. "9".'
        )
        parser.add_argument(
            "--fail-mms-last-digits", default="", help="MMS to numbers ending in these digits fail."
        )
        parser.add_argument(
            "--fail-mms-one-in",
            type=int,
            default=0,
            help="Fail MMS for one number in N, chosen by a hash of the number (3: a third).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rules = FailureRules(
            sms_fail_last_digits=digits(options["fail_sms_last_digits"]),
            mms_fail_last_digits=digits(options["fail_mms_last_digits"]),
            mms_fail_one_in=options["fail_mms_one_in"],
        )
        # Duplicate submits (a client resending after a crash) are worth seeing in the demo.
        events = logging.StreamHandler(self.stdout)
        events.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        simulator_logger = logging.getLogger(smsc.__name__)
        simulator_logger.addHandler(events)
        simulator_logger.setLevel(logging.INFO)
        self.stdout.write(
            f"SMSC simulator listening on {options['host']}:{options['port']} (Ctrl-C stops it)"
        )
        try:
            run_simulator(host=options["host"], port=options["port"], rules=rules)
        except KeyboardInterrupt:
            self.stdout.write("SMSC simulator stopped")
