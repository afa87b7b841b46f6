"""``gridcare serve``: the production web server (gunicorn), optionally over HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from gunicorn.app.base import BaseApplication

from gridcare.wsgi import application

DEFAULT_WORKERS = 2


class GridCareServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving GridCare's WSGI application with the given gunicorn settings."""

    def __init__(self, *, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = (
        "Serve GridCare with gunicorn. With --tls-cert and --tls-key it serves HTTPS only, and "
        "cookies are marked Secure and HSTS is sent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument(
            "--workers",
            type=int,
            default=DEFAULT_WORKERS,
            help=f"Worker processes (default {DEFAULT_WORKERS}).",
        )
        parser.add_argument("--tls-cert", type=Path, help="PEM certificate (chain) file: serve HTTPS.")
        parser.add_argument("--tls-key", type=Path, help="PEM private key file of the certificate.")

    def handle(self, *args: Any, **options: Any) -> None:
        certificate, key = options["tls_cert"], options["tls_key"]
        if (certificate is None) != (key is None):
            raise CommandError("Give both --tls-cert and --tls-key, or neither.")
        if options["workers"] < 1:
            raise CommandError("--workers must be 1 or more.")
        gunicorn_options: dict[str, object] = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["workers"],
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "gridcare",
        }
        if certificate is not None and key is not None:
            for path in (certificate, key):
                if not path.is_file():
                    raise CommandError(f"{path} is not a file.")
            gunicorn_options.update({"certfile": str(certificate), "keyfile": str(key)})
            # The workers fork from this process, so they serve with these settings: cookies
            # travel over HTTPS only (SecurityMiddleware adds HSTS on the secure requests).
            settings.GRIDCARE_SERVED_OVER_TLS = True
            settings.SESSION_COOKIE_SECURE = True
            settings.CSRF_COOKIE_SECURE = True
        scheme = "https" if certificate is not None else "http"
        self.stdout.write(f"GridCare serving at {scheme}://{options['host']}:{options['port']}/")
        self.stdout.flush()
        GridCareServer(options=gunicorn_options).run()
