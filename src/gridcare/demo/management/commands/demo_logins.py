"""``gridcare demo_logins``: print the demo utility's logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.urls import reverse

from gridcare.demo.queries import demo_logins


class Command(BaseCommand):
    help = (
        "Print the demo logins (username, password, TOTP secret, role, org unit) seeded by `gridcare seed`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo logins yet: run `gridcare seed --accounts N --seed S` first.")
            return
        header = ("username", "password", "TOTP secret", "role", "org unit / customer")
        rows = [
            header,
            *(
                (login.username, login.password, login.totp_secret or "-", login.role, login.where)
                for login in logins
            ),
        ]
        widths = [max(_width(row[column]) for row in rows) for column in range(len(header) - 1)]
        self.stdout.write(
            f"Demo logins (staff sign in at {reverse('web:login')}, "
            f"the portal customer at {reverse('portal:login')}):"
        )
        for row in rows:
            cells = [
                row[column] + " " * (widths[column] - _width(row[column])) for column in range(len(widths))
            ]
            self.stdout.write("  " + "  ".join([*cells, row[-1]]))
        self.stdout.write(
            "Logins with a TOTP secret pass a second step: add the secret to an authenticator app, "
            "or print the current code with `gridcare demo_totp USERNAME`."
        )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(character) > 0x2E80 else 1 for character in text)
