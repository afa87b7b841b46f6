"""SMS and MMS through an HTTP SMS gateway (JSON over HTTPS, HMAC-signed, idempotent).

The request (docs/channels.md has the full contract)::

    POST {url}
    Content-Type: application/json
    Idempotency-Key: <message_id>
    X-GridCare-Key-Id: <key id>
    X-GridCare-Timestamp: <unix seconds>
    X-GridCare-Signature: hex(HMAC-SHA256(secret, "<timestamp>.<body>"))

    {"message_id": ..., "kind": "sms"|"mms", "to": ..., "from": ..., "subject": ..., "text": ...}

2xx with ``{"id": "<gateway id>"}`` is accepted; 4xx is a refusal (``{"error": ...}``); 5xx or no
answer leaves the message queued (ChannelUnavailable). The gateway must treat a repeated
Idempotency-Key as the same message, which makes a resend after a crash harmless (exactly once at
the gateway). Receipts come back by callback, signed the same way: :func:`parse_receipt_callback`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)

SIGNATURE_HEADER = "X-GridCare-Signature"
TIMESTAMP_HEADER = "X-GridCare-Timestamp"
KEY_ID_HEADER = "X-GridCare-Key-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"


class InvalidCallback(Exception):
    """A receipt callback whose signature, timestamp or body is not valid."""


@dataclass(frozen=True, kw_only=True)
class HttpSmsSettings:
    """The gateway's endpoint and the key the requests are signed with."""

    url: str
    key_id: str
    secret: str
    sender: str
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.url).scheme not in {"http", "https"}:
            raise ValueError(f"The SMS gateway URL must be http or https: {self.url!r}")


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def parse_receipt_callback(
    *, body: bytes, timestamp: str, signature: str, secret: str, now: datetime, window_seconds: int = 300
) -> DeliveryReceipt:
    """The receipt in a gateway callback (``{"id", "status": "delivered"|"failed", "error"}``).

    Raises :class:`InvalidCallback` when the signature does not match, the timestamp is outside
    ``window_seconds`` of ``now``, or the body is not a receipt."""
    if not hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature):
        raise InvalidCallback("The receipt callback's signature does not match.")
    try:
        sent_at = int(timestamp)
        payload = json.loads(body)
        provider_message_id = str(payload["id"])
        status = payload["status"]
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidCallback(f"The receipt callback is malformed: {error}") from error
    if abs(now.timestamp() - sent_at) > window_seconds:
        raise InvalidCallback("The receipt callback's timestamp is outside the allowed window.")
    if status not in {"delivered", "failed"}:
        raise InvalidCallback(f"Unknown receipt status {status!r}.")
    return DeliveryReceipt(
        provider_message_id=provider_message_id,
        delivered=status == "delivered",
        received_at=now,
        error=str(payload.get("error", "")),
    )


class HttpSmsAdapter:
    """Sends SMS (or MMS, by ``kind``) through an HTTP gateway; receipts arrive by callback."""

    def __init__(self, *, settings: HttpSmsSettings, kind: ChannelKind = ChannelKind.SMS) -> None:
        if kind not in {ChannelKind.SMS, ChannelKind.MMS}:
            raise ValueError(f"The HTTP SMS adapter sends SMS or MMS, not {kind}.")
        self.kind = kind
        self._settings = settings

    def send(self, message: OutgoingMessage) -> SendResult:
        """POST ``message`` with its id as the idempotency key."""
        body = json.dumps(
            {
                "message_id": message.message_id,
                "kind": str(self.kind),
                "to": message.recipient,
                "from": self._settings.sender,
                "subject": message.subject,
                "text": message.body,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in HttpSmsSettings
            self._settings.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                IDEMPOTENCY_HEADER: message.message_id,
                KEY_ID_HEADER: self._settings.key_id,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret=self._settings.secret, timestamp=timestamp, body=body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self._settings.timeout_seconds) as response:  # noqa: S310 - the configured gateway URL (scheme checked)  # nosec B310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code >= 500:
                raise ChannelUnavailable(f"SMS gateway error {error.code}") from error
            return SendResult(accepted=False, error=f"HTTP {error.code}: {_error_text(error.read())}")
        except (OSError, ValueError) as error:
            raise ChannelUnavailable(f"SMS gateway unreachable: {error}") from error
        return SendResult(accepted=True, provider_message_id=str(answer.get("id", "")))

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """None here: this gateway posts receipts to a callback (:func:`parse_receipt_callback`)."""
        return []


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error", ""))
    except (ValueError, AttributeError):
        return body.decode(errors="replace")


__all__ = [
    "IDEMPOTENCY_HEADER",
    "KEY_ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "HttpSmsAdapter",
    "HttpSmsSettings",
    "InvalidCallback",
    "parse_receipt_callback",
    "sign",
]
