"""Real local gateways for the channel adapter tests: an SMTP server (aiosmtpd), the bundled SMSC
simulator, and HTTP stubs (http.server), each on a free port and torn down after its test."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import re
import socket
import ssl
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- PDF ----------------------------------------------------------------------------------------
def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (objects may sit in object streams)."""
    inflated = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return b"\n".join(inflated)


# -- SMTP -------------------------------------------------------------------------------------
@dataclass
class CollectingHandler:
    """Keeps every message the SMTP server accepts; refuses recipients at refused.example."""

    messages: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class SelfSignedCertificate:
    certificate_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate_path))
        return context


@pytest.fixture(scope="session")
def self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCertificate:
    """A certificate for 127.0.0.1 and localhost, signed by its own key (cryptography)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(tz=dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    certificate_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return SelfSignedCertificate(certificate_path=certificate_path, key_path=key_path)


@dataclass
class RunningSmtpServer:
    port: int
    handler: CollectingHandler


@pytest.fixture
def smtp_server() -> Iterator[RunningSmtpServer]:
    """A plain SMTP server on a free port."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield RunningSmtpServer(port=controller.port, handler=handler)
    finally:
        controller.stop()


@pytest.fixture
def starttls_smtp_server(self_signed_certificate: SelfSignedCertificate) -> Iterator[RunningSmtpServer]:
    """An SMTP server that requires STARTTLS and a login (user "gridcare", password "s3cret")."""
    handler = CollectingHandler()

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"gridcare"
            and auth_data.password == b"s3cret"
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=self_signed_certificate.server_context(),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield RunningSmtpServer(port=controller.port, handler=handler)
    finally:
        controller.stop()


# -- SMSC -------------------------------------------------------------------------------------
@pytest.fixture
def smsc_factory() -> Iterator[Callable[[FailureRules], SmscSimulator]]:
    """Starts SMSC simulators with the given failure rules; stops them all afterwards."""
    started: list[SmscSimulator] = []

    def start(rules: FailureRules) -> SmscSimulator:
        simulator = SmscSimulator(rules=rules)
        simulator.start_in_thread()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


# -- HTTP stubs -------------------------------------------------------------------------------
@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case (urllib sends "X-gridcare-signature")
    body: bytes


StubResponder = Callable[[RecordedRequest], tuple[int, dict[str, Any]]]


@dataclass
class RunningHttpStub:
    base_url: str
    requests: list[RecordedRequest]


@pytest.fixture
def http_stub_factory() -> Iterator[Callable[[StubResponder], RunningHttpStub]]:
    """Starts HTTP servers answering every request with ``responder``; records the requests."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(responder: StubResponder) -> RunningHttpStub:
        requests: list[RecordedRequest] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                )
                requests.append(request)
                status, payload = responder(request)
                encoded = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return RunningHttpStub(base_url=f"http://127.0.0.1:{server.server_address[1]}", requests=requests)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
