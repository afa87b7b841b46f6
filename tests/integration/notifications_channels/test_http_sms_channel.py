"""The HTTP SMS gateway adapter against a local stub gateway: signature, idempotency, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
)
from gridcare.notifications.channels.http_sms import (
    HttpSmsAdapter,
    HttpSmsSettings,
    InvalidCallback,
    parse_receipt_callback,
    sign,
)

from .conftest import RecordedRequest, RunningHttpStub, StubResponder, free_port

SECRET = "gateway-shared-secret"
StartStub = Callable[[StubResponder], RunningHttpStub]


def idempotent_gateway() -> StubResponder:
    """A gateway that checks the signature and answers a repeated Idempotency-Key with the same id."""
    ids_by_key: dict[str, str] = {}

    def respond(request: RecordedRequest) -> tuple[int, dict[str, str]]:
        expected = sign(secret=SECRET, timestamp=request.headers["x-gridcare-timestamp"], body=request.body)
        if request.headers["x-gridcare-signature"] != expected:
            return 401, {"error": "bad signature"}
        payload = json.loads(request.body)
        if payload["to"].endswith("0000"):
            return 422, {"error": "invalid number"}
        key = request.headers["idempotency-key"]
        ids_by_key.setdefault(key, f"GW{len(ids_by_key) + 1:04d}")
        return 200, {"id": ids_by_key[key]}

    return respond


def adapter_for(url: str, *, secret: str = SECRET, kind: ChannelKind = ChannelKind.SMS) -> HttpSmsAdapter:
    return HttpSmsAdapter(
        kind=kind,
        settings=HttpSmsSettings(
            url=url, key_id="gridcare-1", secret=secret, sender="95598", timeout_seconds=5
        ),
    )


def text(*, message_id: str, recipient: str = "8613800000001") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=message_id,
        channel=ChannelKind.SMS,
        recipient=recipient,
        subject="",
        body="您的验证码是 123456",
    )


def test_a_signed_request_is_accepted_and_a_resend_is_the_same_message_at_the_gateway(
    http_stub_factory: StartStub,
) -> None:
    stub = http_stub_factory(idempotent_gateway())
    adapter = adapter_for(f"{stub.base_url}/sms")

    first = adapter.send(text(message_id="otp-1"))
    resend = adapter.send(text(message_id="otp-1"))
    other = adapter.send(text(message_id="otp-2"))

    assert [(result.accepted, result.provider_message_id) for result in (first, resend, other)] == [
        (True, "GW0001"),
        (True, "GW0001"),
        (True, "GW0002"),
    ]
    request = stub.requests[0]
    assert (
        request.method,
        request.path,
        request.headers["idempotency-key"],
        request.headers["x-gridcare-key-id"],
    ) == (
        "POST",
        "/sms",
        "otp-1",
        "gridcare-1",
    )
    assert json.loads(request.body) == {
        "message_id": "otp-1",
        "kind": "sms",
        "to": "8613800000001",
        "from": "95598",
        "subject": "",
        "text": "您的验证码是 123456",
    }


def test_a_refused_number_is_not_accepted(http_stub_factory: StartStub) -> None:
    stub = http_stub_factory(idempotent_gateway())
    result = adapter_for(f"{stub.base_url}/sms").send(text(message_id="otp-1", recipient="8613800000000"))

    assert (result.accepted, result.provider_message_id, result.error) == (
        False,
        "",
        "HTTP 422: invalid number",
    )


def test_a_wrong_secret_is_refused_by_the_gateway(http_stub_factory: StartStub) -> None:
    stub = http_stub_factory(idempotent_gateway())
    result = adapter_for(f"{stub.base_url}/sms", secret="wrong").send(text(message_id="otp-1"))

    assert (result.accepted, result.error) == (False, "HTTP 401: bad signature")


def test_a_gateway_error_or_a_gateway_that_is_down_makes_the_channel_unavailable(
    http_stub_factory: StartStub,
) -> None:
    stub = http_stub_factory(lambda request: (503, {"error": "maintenance"}))
    with pytest.raises(ChannelUnavailable, match="503"):
        adapter_for(f"{stub.base_url}/sms").send(text(message_id="otp-1"))
    with pytest.raises(ChannelUnavailable, match="unreachable"):
        adapter_for(f"http://127.0.0.1:{free_port()}/sms").send(text(message_id="otp-1"))


NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def callback(payload: dict[str, str], *, timestamp: int) -> tuple[bytes, str, str]:
    body = json.dumps(payload).encode()
    return body, str(timestamp), sign(secret=SECRET, timestamp=str(timestamp), body=body)


def test_receipt_callbacks_are_parsed() -> None:
    body, timestamp, signature = callback(
        {"id": "GW0001", "status": "failed", "error": "absent subscriber"}, timestamp=int(NOW.timestamp())
    )

    receipt = parse_receipt_callback(
        body=body, timestamp=timestamp, signature=signature, secret=SECRET, now=NOW
    )

    assert receipt == DeliveryReceipt(
        provider_message_id="GW0001", delivered=False, received_at=NOW, error="absent subscriber"
    )


@pytest.mark.parametrize(
    ("payload", "age_seconds", "tamper", "message"),
    [
        ({"id": "GW0001", "status": "delivered"}, 0, True, "signature"),
        ({"id": "GW0001", "status": "delivered"}, 301, False, "window"),
        ({"id": "GW0001", "status": "maybe"}, 0, False, "Unknown receipt status"),
        ({"status": "delivered"}, 0, False, "malformed"),
    ],
)
def test_invalid_receipt_callbacks_are_refused(
    payload: dict[str, str], age_seconds: int, tamper: bool, message: str
) -> None:
    body, timestamp, signature = callback(payload, timestamp=int(NOW.timestamp()) - age_seconds)
    if tamper:
        body = body.replace(b"delivered", b"failed")
    with pytest.raises(InvalidCallback, match=message):
        parse_receipt_callback(body=body, timestamp=timestamp, signature=signature, secret=SECRET, now=NOW)
