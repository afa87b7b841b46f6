"""The ``gridcare`` command: Django's management commands with GridCare's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run a management command, e.g. ``gridcare seed --accounts 1000``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcare.settings")
    from django.core.management import execute_from_command_line

    from gridcare.audit.context import audit_context, command_source

    # Audit events the command records name it as their source (no request id, no IP).
    command_name = sys.argv[1] if len(sys.argv) > 1 else "help"
    with audit_context(source=command_source(command_name)):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
