"""``gridcare quote registers --input FILE``: a bill quote (电费试算) from register usage, as JSON;
``gridcare quote interval --urdb FILE --load CSV --start ISO --step-minutes N``: a URDB bill of a
load series (docs/urdb.md);
``gridcare quote late-fee --input FILE``: the late fees (电费违约金) of overdue bills, as JSON
(docs/late-fees.md).

Invalid input prints a message naming the field and exits with status 2 (docs/billing.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridcare.billing.interval_quotes import add_interval_arguments, run_interval_quote
from gridcare.billing.quotes import quote_registers, read_quote_json
from gridcare.kit.errors import GridCareError
from gridcare.payments.quotes import quote_late_fees, read_late_fee_quote_json  # late fees (issue 6)

#: The exit status of input the quote refuses.
INVALID_INPUT_STATUS = 2


class Command(BaseCommand):
    help = (
        "Bill quotes (电费试算). 'registers' bills register usage (kWh per period) by a catalog tariff; "
        "'interval' bills a load series by an OpenEI URDB tariff; "
        "'late-fee' quotes the late fees (电费违约金) of overdue bills."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        registers = subcommands.add_parser(
            "registers", help="Quote a bill from register usage; prints the lines and the total as JSON."
        )
        registers.add_argument(
            "--input", required=True, help="The quote request JSON file, or - for standard input."
        )
        interval = subcommands.add_parser(
            "interval",
            help="Bill a load series month by month on an OpenEI URDB tariff (NREL SAM semantics); JSON.",
        )
        add_interval_arguments(interval)
        late_fee = subcommands.add_parser(  # late fees (issue 6)
            "late-fee", help="Quote the late fees of overdue bills paid on a date; prints them as JSON."
        )
        late_fee.add_argument(
            "--input", required=True, help="The late-fee quote request JSON file, or - for standard input."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handlers = {"registers": self.registers, "interval": self.interval, "late-fee": self.late_fee}
        handlers[options["subcommand"]](**options)

    def interval(self, **options: Any) -> None:
        """Bill the load on the URDB tariff and print the months and the total (docs/urdb.md)."""
        try:
            run_interval_quote(options, self.stdout)
        except GridCareError as error:
            raise CommandError(
                f"{error.message('zh-hans')} / {error.message('en')}", returncode=INVALID_INPUT_STATUS
            ) from error

    def registers(self, **options: Any) -> None:
        """Read the request, quote it, print the JSON answer."""
        self._quote_json(options["input"], lambda text: quote_registers(data=read_quote_json(text)))

    def late_fee(self, **options: Any) -> None:
        """Read the late-fee quote request, quote it, print the JSON answer (docs/late-fees.md)."""
        self._quote_json(options["input"], lambda text: quote_late_fees(data=read_late_fee_quote_json(text)))

    def _quote_json(self, source: str, quote: Callable[[str], Any]) -> None:
        """Read the JSON request from ``source`` (a path, or ``-`` for standard input), answer it
        with ``quote`` and print the answer; a request that cannot be read or quoted exits 2."""
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                f"无法读取输入文件 / Cannot read the input: {error}", returncode=INVALID_INPUT_STATUS
            ) from error
        try:
            answer = quote(text)
        except GridCareError as error:
            raise CommandError(
                f"{error.message('zh-hans')} / {error.message('en')}", returncode=INVALID_INPUT_STATUS
            ) from error
        self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=2))
