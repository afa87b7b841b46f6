"""E-mail over SMTP (smtplib): plain, STARTTLS or implicit TLS, with optional login.

Messages are multipart (text, and HTML when given) with attachments, encoded for UTF-8 subjects
and bodies (RFC 2047 headers, base64/quoted-printable parts). The Message-ID is derived from the
outbox ``message_id``, so a resend after a crash carries the same Message-ID and the receiving
side can recognise it; SMTP itself has no idempotency key (at-least-once, docs/channels.md).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from enum import StrEnum

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)


class SmtpSecurity(StrEnum):
    PLAIN = "plain"
    STARTTLS = "starttls"
    SSL = "ssl"


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """Where the SMTP server is, how to secure and log in, and who the mail is from."""

    host: str
    port: int
    sender: str
    sender_name: str = ""
    security: SmtpSecurity = SmtpSecurity.PLAIN
    username: str = ""
    password: str = ""
    timeout_seconds: float = 10.0
    #: The domain of the Message-IDs (``<message_id@domain>``); the sender's domain when empty.
    message_id_domain: str = ""
    #: The TLS context for STARTTLS and SSL; the system's default (verifying) context when None.
    tls_context: ssl.SSLContext | None = None


def message_id_header(*, message_id: str, domain: str) -> str:
    """The Message-ID header of an outbox message: the same for every resend of it."""
    return f"<{message_id}@{domain}>"


def build_email(*, message: OutgoingMessage, settings: SmtpSettings) -> EmailMessage:
    """The MIME message for ``message``: text (+ HTML alternative), attachments, headers."""
    # 7-bit transfer encodings (base64 / quoted-printable) so servers without 8BITMIME take it;
    # header lines up to RFC 5322's limit, so a long ASCII header (a List-Unsubscribe URL) is
    # not folded into encoded words that mail clients would not read as a URL.
    email = EmailMessage(policy=SMTP.clone(cte_type="7bit", max_line_length=998))
    domain = settings.message_id_domain or settings.sender.rpartition("@")[2]
    email["Message-ID"] = message_id_header(message_id=message.message_id, domain=domain)
    email["From"] = Address(display_name=settings.sender_name, addr_spec=settings.sender)
    email["To"] = message.recipient
    email["Subject"] = message.subject
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.body, charset="utf-8")
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        main_type, _, sub_type = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.content, maintype=main_type, subtype=sub_type, filename=attachment.file_name
        )
    return email


class SmtpAdapter:
    """Sends e-mail through one SMTP server, over one connection kept open between sends
    (reopened when the server has closed it); :meth:`close` ends it."""

    kind = ChannelKind.EMAIL

    def __init__(self, *, settings: SmtpSettings) -> None:
        self._settings = settings
        self._connection: smtplib.SMTP | None = None
        self._tls_context: ssl.SSLContext | None = None

    def send(self, message: OutgoingMessage) -> SendResult:
        """Send ``message``: refused (5xx) → not accepted; unreachable or 4xx → ChannelUnavailable."""
        try:
            email = build_email(message=message, settings=self._settings)
        except ValueError as error:
            # A header the message cannot carry (a line break in the address or a header value).
            return SendResult(accepted=False, error=f"Invalid e-mail header: {error}")
        try:
            self._send_on_open_connection(email=email, recipient=message.recipient)
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = next(iter(error.recipients.values()))
            return self._refusal(code=code, reason=reason)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            return self._refusal(code=error.smtp_code, reason=error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise ChannelUnavailable(
                f"SMTP server {self._settings.host}:{self._settings.port}: {error}"
            ) from error
        return SendResult(accepted=True, provider_message_id=str(email["Message-ID"]))

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """None: an SMTP server's acceptance is as far as e-mail delivery can be tracked."""
        return []

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open (the next send opens another)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            # Closing is a courtesy: a connection the server already dropped is closed all the same.
            connection.close()

    def _send_on_open_connection(self, *, email: EmailMessage, recipient: str) -> None:
        if self._connection is not None and not self._still_open(self._connection):
            self._connection = None
        if self._connection is None:
            self._connection = self._connect()
        # A connection lost during the send raises (ChannelUnavailable): whether the server
        # took the message is unknown, so it is sent again later (at least once).
        self._connection.send_message(email, from_addr=self._settings.sender, to_addrs=[recipient])

    @staticmethod
    def _still_open(connection: smtplib.SMTP) -> bool:
        """Whether the server still answers on ``connection`` (servers close idle ones): asked
        before sending, so a message is never half-sent on a connection already closed."""
        try:
            code, _ = connection.noop()
        except (OSError, smtplib.SMTPException):
            connection.close()
            return False
        return code == 250

    def _context(self) -> ssl.SSLContext:
        if self._tls_context is None:
            # Built once: loading the system's CA certificates takes tens of milliseconds.
            self._tls_context = self._settings.tls_context or ssl.create_default_context()
        return self._tls_context

    def _connect(self) -> smtplib.SMTP:
        settings = self._settings
        connection: smtplib.SMTP
        if settings.security is SmtpSecurity.SSL:
            connection = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=self._context()
            )
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        try:
            if settings.security is SmtpSecurity.STARTTLS:
                connection.starttls(context=self._context())
            if settings.username:
                connection.login(settings.username, settings.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _refusal(self, *, code: int, reason: bytes | str) -> SendResult:
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else reason
        if 400 <= code < 500:
            # A temporary refusal (greylisting, mailbox busy): try again later.
            raise ChannelUnavailable(f"SMTP temporary refusal {code}: {text}")
        return SendResult(accepted=False, error=f"SMTP {code}: {text}")


__all__ = ["SmtpAdapter", "SmtpSecurity", "SmtpSettings", "build_email", "message_id_header"]
