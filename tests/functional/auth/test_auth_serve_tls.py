"""``gridcare serve --tls-cert --tls-key`` for real: gunicorn in a subprocess answers HTTPS with
the security headers, and a login sets a Secure session cookie."""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
PROJECT_DIR = Path(__file__).resolve().parents[3]
#: The Content-Security-Policy's directives (django-csp writes them in no fixed order).
EXPECTED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
}
#: Creates an org unit and a meter reader (no MFA, no forced change) in the served database.
CREATE_READER = """
from django.utils import timezone
from gridcare.identity.models import Role
from gridcare.identity.operations import create_staff_user
from gridcare.organization.operations import create_org_unit
unit = create_org_unit(code="37", name="Province", level="province", parent=None, area_type="urban",
                       actor=None, now=timezone.now())
create_staff_user(username="reader", password="Reader-Secret-2026", org_unit=unit, roles=[Role.METER_READER],
                  display_name="Reader", actor=None, now=timezone.now(), must_change_password=False)
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(tz=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = directory / "cert.pem", directory / "key.pem"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_file, key_file


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def gridcare(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "gridcare", *arguments],
        env=environment,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, ssl.SSLContext]]:
    """``gridcare serve`` over HTTPS on a free port, with its own SQLite database in tmp_path."""
    certificate, key = self_signed_certificate(tmp_path)
    environment = {
        **{name: value for name, value in os.environ.items() if name != "DATABASE_URL"},
        "GRIDCARE_VAR_DIR": str(tmp_path),
        "GRIDCARE_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
        "PYTHONPATH": str(PROJECT_DIR / "src"),
    }
    gridcare("migrate", "--no-input", environment=environment)
    gridcare("shell", "-c", CREATE_READER, environment=environment)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gridcare",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    command += ["--tls-cert", str(certificate), "--tls-key", str(key)]
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        command, env=environment, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        context = ssl.create_default_context(cafile=str(certificate))
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"gridcare serve did not start:\n{output}")
                time.sleep(0.2)
        yield port, context
    finally:
        server.terminate()
        server.wait(timeout=30)


def request(
    port: int,
    context: ssl.SSLContext,
    method: str,
    path: str,
    *,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection(HOST, port, context=context, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_serve_with_tls_answers_https_with_csp_hsts_and_a_secure_session_cookie(
    served: tuple[int, ssl.SSLContext],
) -> None:
    port, context = served

    page = request(port, context, "GET", "/login/")

    assert page.status == 200
    assert set(page.headers["Content-Security-Policy"].split("; ")) == EXPECTED_CSP
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    csrf_cookie = next(
        value for value in page.headers.get_all("Set-Cookie") or [] if value.startswith("csrftoken=")
    )
    assert "; Secure" in csrf_cookie
    csrf_token = re.match(r"csrftoken=([^;]+)", csrf_cookie).group(1)  # type: ignore[union-attr]

    login = request(
        port,
        context,
        "POST",
        "/login/",
        body=urlencode(
            {"username": "reader", "password": "Reader-Secret-2026", "csrfmiddlewaretoken": csrf_token}
        ),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_token}",
            "Origin": f"https://{HOST}:{port}",
            "Referer": f"https://{HOST}:{port}/login/",
        },
    )

    assert (login.status, login.headers["Location"]) == (302, "/")
    session_cookie = next(
        value for value in login.headers.get_all("Set-Cookie") or [] if value.startswith("sessionid=")
    )
    assert "; Secure" in session_cookie
    assert "; HttpOnly" in session_cookie
    assert "; SameSite=Lax" in session_cookie
