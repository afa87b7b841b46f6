"""Notification fixtures: templates and policies of three events, recipients, and a recording
adapter (the dispatcher's collaborator in its state-machine tests; the real channels are
tested with their real servers elsewhere)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from gridcare.notifications.channels.base import (
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
    SendResult,
)
from gridcare.notifications.models import DeliveryPolicy
from gridcare.notifications.operations import create_delivery_policy, create_notification_template
from gridcare.notifications.recipients import Recipient


@dataclass(frozen=True)
class Policies:
    bill_reminder: DeliveryPolicy
    arrears_notice: DeliveryPolicy
    outage_notice: DeliveryPolicy


@pytest.fixture
def policies(db: None, now: datetime) -> Policies:
    """bill_reminder: e-mail and SMS both, non-urgent; arrears_notice (disconnection): SMS,
    urgent and legally required; outage_notice: MMS, then SMS on failure or no receipt in 30
    minutes. Templates in Chinese for every channel used, and English for bill_reminder SMS."""
    for channel in (ChannelKind.SMS, ChannelKind.EMAIL):
        create_notification_template(
            actor=None,
            event="bill_reminder",
            channel=channel,
            language="zh-hans",
            subject="电费提醒",
            body=(
                "{{ customer_name }}您好，户号{{ account_no }}本期电费{{ amount }}元，"
                "请于{{ due_date }}前缴纳。"
            ),
            valid_from=now,
            now=now,
        )
    create_notification_template(
        actor=None,
        event="bill_reminder",
        channel=ChannelKind.SMS,
        language="en",
        subject="",
        body="Dear {{ customer_name }}, account {{ account_no }} owes {{ amount }} yuan by {{ due_date }}.",
        valid_from=now,
        now=now,
    )
    create_notification_template(
        actor=None,
        event="arrears_notice",
        channel=ChannelKind.SMS,
        language="zh-hans",
        subject="",
        body="{{ customer_name }}：户号{{ account_no }}欠费{{ amount }}元，将于{{ disconnect_date }}停电。",
        valid_from=now,
        now=now,
    )
    for channel in (ChannelKind.MMS, ChannelKind.SMS):
        create_notification_template(
            actor=None,
            event="outage_notice",
            channel=channel,
            language="zh-hans",
            subject="停电通知",
            body="{{ area }}于{{ starts_at }}至{{ ends_at }}停电（{{ reason }}）。",
            valid_from=now,
            now=now,
        )
    return Policies(
        bill_reminder=create_delivery_policy(
            actor=None,
            event="bill_reminder",
            steps=[{"channels": ["email", "sms"]}],
            urgent=False,
            legally_required=False,
            valid_from=now,
            now=now,
        ),
        arrears_notice=create_delivery_policy(
            actor=None,
            event="arrears_notice",
            steps=[{"channels": ["sms"]}],
            urgent=True,
            legally_required=True,
            valid_from=now,
            now=now,
        ),
        outage_notice=create_delivery_policy(
            actor=None,
            event="outage_notice",
            steps=[{"channels": ["mms"], "fallback_after_minutes": 30}, {"channels": ["sms"]}],
            urgent=True,
            legally_required=False,
            valid_from=now,
            now=now,
        ),
    )


RecipientFactory = Callable[..., Recipient]


@pytest.fixture
def recipient_factory() -> RecipientFactory:
    """``make(number, consents={...}, language="zh-hans")``: recipient ``customer:<number>``
    with mobile 1380000<number:04d> and e-mail c<number>@example.cn."""

    def make(
        number: int,
        *,
        consents: frozenset[ChannelKind] = frozenset(ChannelKind),
        language: str = "zh-hans",
        org_unit_id: int | None = None,
    ) -> Recipient:
        mobile = f"1380000{number:04d}"
        return Recipient(
            key=f"customer:{number}",
            addresses={
                ChannelKind.SMS: mobile,
                ChannelKind.MMS: mobile,
                ChannelKind.EMAIL: f"c{number}@example.cn",
            },
            consents=consents,
            language=language,
            org_unit_id=org_unit_id,
        )

    return make


BILL_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "amount": "128.50",
    "due_date": "2025-03-25",
}


@dataclass
class RecordingAdapter:
    """A channel adapter that records what it is handed: accepts every message (provider id
    ``<kind>-<message id>``), refuses the recipients in ``refuse``, or raises
    :class:`ChannelUnavailable` while ``down``."""

    kind: ChannelKind
    refuse: set[str] = field(default_factory=set)
    down: bool = False
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> SendResult:
        if self.down:
            raise ChannelUnavailable("connection refused")
        self.sent.append(message)
        if message.recipient in self.refuse:
            return SendResult(accepted=False, error="MMS not supported by handset")
        return SendResult(accepted=True, provider_message_id=f"{self.kind}-{message.message_id}")

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        return []
