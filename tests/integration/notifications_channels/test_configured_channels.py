"""Adapters built from settings.NOTIFICATION_CHANNELS, and the smsc_simulator command as the demo runs it."""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from gridcare.notifications.channels.base import ChannelKind, OutgoingMessage
from gridcare.notifications.channels.configured import configured_adapter, configured_letter_adapter
from gridcare.notifications.channels.email import SmtpAdapter
from gridcare.notifications.channels.http_sms import HttpSmsAdapter
from gridcare.notifications.channels.smpp import SmppAdapter
from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator

from .conftest import RunningSmtpServer, free_port, pdf_objects

REPOSITORY = Path(__file__).resolve().parents[3]


def channels_with(**changes: dict[str, object]) -> dict[str, dict[str, object]]:
    channels = copy.deepcopy(settings.NOTIFICATION_CHANNELS)
    for name, values in changes.items():
        channels[name].update(values)
    return channels


def test_the_configured_email_adapter_sends_through_the_configured_server(
    smtp_server: RunningSmtpServer,
) -> None:
    with override_settings(
        NOTIFICATION_CHANNELS=channels_with(
            email={"HOST": "127.0.0.1", "PORT": smtp_server.port, "SENDER": "a@b.example"}
        )
    ):
        adapter = configured_adapter(kind=ChannelKind.EMAIL)
    result = adapter.send(
        OutgoingMessage(
            message_id="m1", channel=ChannelKind.EMAIL, recipient="c@d.example", subject="主题", body="正文"
        )
    )

    assert isinstance(adapter, SmtpAdapter)
    assert result.provider_message_id == "<m1@b.example>"
    assert [received["Subject"] for _, received in smtp_server.handler.messages] == ["主题"]


def test_the_sms_gateway_setting_chooses_smpp_or_http() -> None:
    with override_settings(NOTIFICATION_CHANNELS=channels_with(sms={"GATEWAY": "smpp"})):
        smpp = configured_adapter(kind=ChannelKind.MMS)
    with override_settings(
        NOTIFICATION_CHANNELS=channels_with(sms={"GATEWAY": "http", "HTTP_URL": "https://sms.example/send"})
    ):
        http = configured_adapter(kind=ChannelKind.SMS)

    assert (type(smpp), smpp.kind) == (SmppAdapter, ChannelKind.MMS)
    assert (type(http), http.kind) == (HttpSmsAdapter, ChannelKind.SMS)


def test_letters_get_the_configured_sender_block() -> None:
    with override_settings(NOTIFICATION_CHANNELS=channels_with(letter={"SENDER_LINES": "甲供电公司|营销部"})):
        adapter = configured_letter_adapter(batch_id="B7")
    result = adapter.send(
        OutgoingMessage(
            message_id="l1", channel=ChannelKind.LETTER, recipient="地址", subject="通知", body="正文"
        )
    )

    assert result.provider_message_id == "B7-p1"
    assert adapter.batch.letters[0].message_id == "l1"
    # "甲" appears only in the configured sender block: the printed PDF's fonts map it.
    assert b"<7532>" in pdf_objects(adapter.render_batch()).lower()
    with pytest.raises(ValueError, match="configured_letter_adapter"):
        configured_adapter(kind=ChannelKind.LETTER)


@pytest.fixture
def simulator_process() -> Iterator[int]:
    """``gridcare smsc_simulator`` in its own process, failing SMS to numbers ending in 9."""
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY / "src"),
        "DJANGO_SETTINGS_MODULE": "gridcare.settings",
    }
    process = subprocess.Popen(  # noqa: S603 - our own command
        [
            sys.executable,
            "-m",
            "gridcare",
            "smsc_simulator",
            "--port",
            str(port),
            "--fail-sms-last-digits",
            "9",
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_smsc_simulator_command_serves_smpp_with_its_failure_rules(simulator_process: int) -> None:
    with override_settings(
        NOTIFICATION_CHANNELS=channels_with(sms={"SMPP_HOST": "127.0.0.1", "SMPP_PORT": simulator_process})
    ):
        adapter = configured_adapter(kind=ChannelKind.SMS)
    assert isinstance(adapter, SmppAdapter)
    try:
        ok = adapter.send(
            OutgoingMessage(
                message_id="a", channel=ChannelKind.SMS, recipient="8613800000001", subject="", body="你好"
            )
        )
        failing = adapter.send(
            OutgoingMessage(
                message_id="b", channel=ChannelKind.SMS, recipient="8613800000009", subject="", body="你好"
            )
        )
        receipts = adapter.collect_receipts(wait_seconds=3)
    finally:
        adapter.close()

    assert {receipt.provider_message_id: receipt.delivered for receipt in receipts} == {
        ok.provider_message_id: True,
        failing.provider_message_id: False,
    }


@pytest.mark.parametrize(("tag", "received"), [("0x1401", 1), ("", 2)], ids=["client-reference", "none"])
def test_the_client_reference_setting_decides_whether_a_resend_is_deduplicated(
    smsc_factory: Callable[[FailureRules], SmscSimulator], tag: str, received: int
) -> None:
    simulator = smsc_factory(FailureRules())
    configured = channels_with(
        sms={"SMPP_HOST": "127.0.0.1", "SMPP_PORT": simulator.port, "SMPP_CLIENT_REFERENCE_TAG": tag}
    )
    message = OutgoingMessage(
        message_id="9", channel=ChannelKind.SMS, recipient="8613800000001", subject="", body="停电通知"
    )
    for _attempt in range(2):  # the same outbox message sent again after a crash
        with override_settings(NOTIFICATION_CHANNELS=configured):
            adapter = configured_adapter(kind=ChannelKind.SMS)
        try:
            assert adapter.send(message).accepted
        finally:
            assert isinstance(adapter, SmppAdapter)
            adapter.close()

    assert len(simulator.received_messages()) == received
