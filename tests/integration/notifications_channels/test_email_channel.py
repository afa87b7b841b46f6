"""The SMTP adapter against a real local SMTP server (aiosmtpd): headers, bodies, TLS, refusals."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from gridcare.notifications.channels.base import Attachment, ChannelKind, ChannelUnavailable, OutgoingMessage
from gridcare.notifications.channels.email import SmtpAdapter, SmtpSecurity, SmtpSettings

from .conftest import CollectingHandler, RunningSmtpServer, SelfSignedCertificate, free_port

SUBJECT = "【国网示范供电公司】2026年11月电费账单"
BODY = "尊敬的张三：您户号 0101234567 本月电费 ¥128.50 元，请于12月15日前缴纳。"
HTML_BODY = "<p>尊敬的张三：本月电费 <b>¥128.50</b> 元。</p>"


def bill_email(*, recipient: str = "zhangsan@example.com") -> OutgoingMessage:
    return OutgoingMessage(
        message_id="0f3c2a9e-bill-1",
        channel=ChannelKind.EMAIL,
        recipient=recipient,
        subject=SUBJECT,
        body=BODY,
        html_body=HTML_BODY,
        attachments=(
            Attachment(file_name="账单.pdf", content_type="application/pdf", content=b"%PDF-1.7 bill"),
        ),
        headers={"List-Unsubscribe": "<https://gridcare.example/unsubscribe/abc123>"},
    )


def plain_settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, sender="notice@gridcare.example", sender_name="国网示范供电公司"
    )


def test_the_received_message_has_the_headers_and_the_decoded_chinese_bodies(
    smtp_server: RunningSmtpServer,
) -> None:
    result = SmtpAdapter(settings=plain_settings(smtp_server.port)).send(bill_email())

    assert result.accepted is True
    assert result.provider_message_id == "<0f3c2a9e-bill-1@gridcare.example>"
    [(envelope, received)] = smtp_server.handler.messages
    assert (envelope.mail_from, envelope.rcpt_tos) == ("notice@gridcare.example", ["zhangsan@example.com"])
    assert received["Subject"] == SUBJECT
    assert received["Message-ID"] == "<0f3c2a9e-bill-1@gridcare.example>"
    assert received["List-Unsubscribe"] == "<https://gridcare.example/unsubscribe/abc123>"
    assert received["From"].addresses[0].display_name == "国网示范供电公司"
    assert received["To"] == "zhangsan@example.com"
    # On the wire the Chinese subject is RFC 2047-encoded, never raw 8-bit.
    raw = envelope.original_content or b""
    assert b"Subject: =?utf-8?" in raw
    assert all(byte < 128 for byte in raw)
    text_part = received.get_body(preferencelist=("plain",))
    html_part = received.get_body(preferencelist=("html",))
    assert text_part is not None
    assert html_part is not None
    assert text_part.get_content() == BODY + "\r\n"  # SMTP line endings
    assert html_part.get_content() == HTML_BODY + "\r\n"
    [attachment] = list(received.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content_type(), attachment.get_content()) == (
        "账单.pdf",
        "application/pdf",
        b"%PDF-1.7 bill",
    )


def test_a_resend_carries_the_same_message_id(smtp_server: RunningSmtpServer) -> None:
    adapter = SmtpAdapter(settings=plain_settings(smtp_server.port))
    adapter.send(bill_email())
    adapter.send(bill_email())

    assert [received["Message-ID"] for _, received in smtp_server.handler.messages] == [
        "<0f3c2a9e-bill-1@gridcare.example>",
        "<0f3c2a9e-bill-1@gridcare.example>",
    ]


def test_a_refused_recipient_is_not_accepted_and_nothing_is_delivered(smtp_server: RunningSmtpServer) -> None:
    result = SmtpAdapter(settings=plain_settings(smtp_server.port)).send(
        bill_email(recipient="nobody@refused.example")
    )

    assert (result.accepted, result.error) == (False, "SMTP 550: 5.1.1 No such mailbox")
    assert smtp_server.handler.messages == []


def test_a_server_that_is_down_makes_the_channel_unavailable() -> None:
    with pytest.raises(ChannelUnavailable):
        SmtpAdapter(settings=plain_settings(free_port())).send(bill_email())


def test_starttls_with_login_delivers(
    starttls_smtp_server: RunningSmtpServer, self_signed_certificate: SelfSignedCertificate
) -> None:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=starttls_smtp_server.port,
        sender="notice@gridcare.example",
        security=SmtpSecurity.STARTTLS,
        username="gridcare",
        password="s3cret",
        tls_context=self_signed_certificate.client_context(),
    )
    result = SmtpAdapter(settings=settings).send(bill_email())

    assert result.accepted is True
    [(_, received)] = starttls_smtp_server.handler.messages
    assert received["Subject"] == SUBJECT


def test_a_wrong_password_makes_the_channel_unavailable_and_delivers_nothing(
    starttls_smtp_server: RunningSmtpServer, self_signed_certificate: SelfSignedCertificate
) -> None:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=starttls_smtp_server.port,
        sender="notice@gridcare.example",
        security=SmtpSecurity.STARTTLS,
        username="gridcare",
        password="wrong",
        tls_context=self_signed_certificate.client_context(),
    )
    with pytest.raises(ChannelUnavailable, match="535"):
        SmtpAdapter(settings=settings).send(bill_email())
    assert starttls_smtp_server.handler.messages == []


def test_implicit_tls_delivers(self_signed_certificate: SelfSignedCertificate) -> None:
    handler = CollectingHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ssl_context=self_signed_certificate.server_context()
    )
    controller.start()
    try:
        settings = SmtpSettings(
            host="127.0.0.1",
            port=controller.port,
            sender="notice@gridcare.example",
            security=SmtpSecurity.SSL,
            tls_context=self_signed_certificate.client_context(),
        )
        result = SmtpAdapter(settings=settings).send(bill_email())
    finally:
        controller.stop()

    assert result.accepted is True
    assert [received["Subject"] for _, received in handler.messages] == [SUBJECT]


def test_a_header_with_a_line_break_is_refused_and_nothing_is_sent(smtp_server: RunningSmtpServer) -> None:
    injected = OutgoingMessage(
        message_id="m-2",
        channel=ChannelKind.EMAIL,
        recipient="zhangsan@example.com\r\nBcc: everyone@example.com",
        subject=SUBJECT,
        body=BODY,
    )

    result = SmtpAdapter(settings=plain_settings(smtp_server.port)).send(injected)

    assert result.accepted is False
    assert result.error.startswith("Invalid e-mail header: ")
    assert smtp_server.handler.messages == []
