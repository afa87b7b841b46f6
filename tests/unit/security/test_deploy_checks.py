"""``gridcare check --deploy`` in a production-like configuration: no security error, and only
the warnings docs/security.md accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.checks import ERROR, Tags, run_checks
from django.test.utils import override_settings

PROJECT = Path(__file__).resolve().parents[3]
STRONG_SECRET_KEY = "k3Y-9fJ2_qLx7Vw0pRt8ZsN4mB6cHd1uGe5yAo-Wi3Xv7Tj2Qn8Lr0Kp4Ms6Db9Fh"

#: Accepted in production (docs/security.md): the HSTS preload list serves public domains, and
#: GridCare runs on a utility's internal network (电力内网) under internal host names.
ACCEPTED_WARNINGS = frozenset({"security.W021"})

#: What a production deployment sets (TLS terminated at GridCare or at its proxy).
PRODUCTION_SETTINGS = {
    "DEBUG": False,
    "SECRET_KEY": STRONG_SECRET_KEY,
    "ALLOWED_HOSTS": ["gridcare.internal.example.cn"],
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
}

PRODUCTION_ENVIRONMENT = {
    "GRIDCARE_DEBUG": "0",
    "GRIDCARE_SECRET_KEY": STRONG_SECRET_KEY,
    "GRIDCARE_ALLOWED_HOSTS": "gridcare.internal.example.cn",
    "GRIDCARE_TLS": "1",
    # Test keys (not the demo key, which production refuses); real ones come from a key file.
    "GRIDCARE_PII_KEYS": "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "GRIDCARE_PII_HASH_KEY": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
}


def _clean_environment() -> dict[str, str]:
    """A process environment with none of the test run's settings (e.g. the browser tests'
    DJANGO_ALLOW_ASYNC_UNSAFE, which a deploy check rightly refuses)."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT / "src"),
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
    }


def test_production_settings_pass_the_security_deploy_checks() -> None:
    with override_settings(**PRODUCTION_SETTINGS):
        messages = run_checks(include_deployment_checks=True, tags=[Tags.security])

    assert [message.id for message in messages if message.level >= ERROR] == []
    assert {message.id for message in messages} == ACCEPTED_WARNINGS


def test_the_demo_configuration_is_what_the_deploy_checks_flag() -> None:
    """The same checks do fail the demo settings, so the test above can fail."""
    with override_settings(DEBUG=True, SESSION_COOKIE_SECURE=False):
        ids = {message.id for message in run_checks(include_deployment_checks=True, tags=[Tags.security])}

    assert {"security.W018", "security.W012"} <= ids


def test_gridcare_check_deploy_passes_with_a_production_environment() -> None:
    environment = {**_clean_environment(), **PRODUCTION_ENVIRONMENT}

    completed = subprocess.run(
        [sys.executable, "-m", "gridcare", "check", "--deploy", "--fail-level", "ERROR"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        check=False,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    reported = {
        line.split(")")[0].split("(")[1] for line in completed.stderr.splitlines() if line.startswith("?: (")
    }
    assert reported <= ACCEPTED_WARNINGS


def test_the_demo_secret_key_is_refused_in_production() -> None:
    environment = {**_clean_environment(), "GRIDCARE_DEBUG": "0"}

    completed = subprocess.run(
        [sys.executable, "-m", "gridcare", "check", "--deploy"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        check=False,
        timeout=120,
    )

    assert completed.returncode == 1
    assert "Set GRIDCARE_SECRET_KEY: the demo key is refused unless GRIDCARE_DEBUG=1." in completed.stderr
