"""``gridcare demo_totp USERNAME``: print the current authenticator code of a demo login."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridcare.demo.errors import DemoTotpUnavailable
from gridcare.demo.queries import demo_totp_code


class Command(BaseCommand):
    help = (
        "Print the 6-digit code a demo login's authenticator shows now, for trying the demo "
        "without an authenticator app. Only with GRIDCARE_DEBUG=1 and only for demo logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="A demo login whose role needs MFA, e.g. admin.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp works only in a demo (GRIDCARE_DEBUG=1): codes are secrets.")
        try:
            code = demo_totp_code(username=options["username"], at=time.time())
        except DemoTotpUnavailable as error:
            raise CommandError(error.message("en")) from error
        self.stdout.write(code)
