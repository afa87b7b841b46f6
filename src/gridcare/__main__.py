"""The ``gridcare`` command: Django's management commands with GridCare's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command, e.g. ``gridcare seed --accounts 1000``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcare.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
