"""The one interface every channel adapter implements (e-mail, SMS, MMS, WeChat/app, letter).

The notification service hands an adapter an :class:`OutgoingMessage` and records what comes
back. Adapters know nothing of the database: they talk to one gateway. A gateway that cannot be
reached raises :class:`ChannelUnavailable` (the message stays queued and is retried); a gateway
that refuses the message returns a :class:`SendResult` with ``accepted=False``. Receipts that
arrive later (SMPP delivery receipts, WeChat callbacks) come back as :class:`DeliveryReceipt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    MMS = "mms"
    WECHAT = "wechat"
    LETTER = "letter"


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A file sent with a message (an MMS image, an e-mail's PDF)."""

    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One message for one recipient on one channel.

    ``message_id`` is the outbox row's stable key: adapters pass it to gateways that accept an
    idempotency key or client reference, so a retry after a crash is not sent twice there."""

    message_id: str
    channel: ChannelKind
    recipient: str
    subject: str
    body: str
    html_body: str = ""
    attachments: tuple[Attachment, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SendResult:
    """What the gateway answered: accepted with its own id, or refused with its reason."""

    accepted: bool
    provider_message_id: str = ""
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class DeliveryReceipt:
    """A later report of a sent message: delivered, or failed with the gateway's reason."""

    provider_message_id: str
    delivered: bool
    received_at: datetime
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class IncomingMessage:
    """A message a customer sent to us through a gateway (a mobile-originated SMS, e.g. a
    退订 reply), as the adapter read it."""

    sender: str
    text: str
    received_at: datetime


class ChannelUnavailable(Exception):
    """The gateway cannot be reached now: leave the message queued and retry later."""


class ChannelAdapter(Protocol):
    """Sends messages of one channel kind through one gateway."""

    kind: ChannelKind

    def send(self, message: OutgoingMessage) -> SendResult:
        """Hand ``message`` to the gateway; raise :class:`ChannelUnavailable` if it is down."""
        ...

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        """Delivery receipts that arrived (waiting up to ``wait_seconds``); none for channels
        without receipts (e-mail: accepted by the server is as far as it goes)."""
        ...


__all__ = [
    "Attachment",
    "ChannelAdapter",
    "ChannelKind",
    "ChannelUnavailable",
    "DeliveryReceipt",
    "IncomingMessage",
    "OutgoingMessage",
    "SendResult",
]
