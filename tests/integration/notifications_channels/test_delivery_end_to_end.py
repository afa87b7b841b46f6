"""The notification service end to end: events written to the outbox are sent by the worker's
dispatch task through the configured adapters to a real SMTP server (aiosmtpd) and the bundled
SMSC simulator, and their receipts come back into each message's history."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import DeliveryPolicy, MessageEvent, OutboxMessage, RecipientOptOut
from gridcare.notifications.operations import (
    create_delivery_policy,
    create_notification_template,
    notify,
    opt_out,
)
from gridcare.notifications.recipients import Recipient
from gridcare.notifications.simulators.smsc import FailureRules, SmscSimulator, number_hash_bucket
from gridcare.notifications.tasks import dispatch_notifications

from .conftest import RunningSmtpServer

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BILL_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "amount": "128.50",
    "due_date": "2026-12-25",
}
OUTAGE_CONTEXT = {
    "customer_name": "李四",
    "account_no": "3100000002",
    "area": "城东供电所 解放路一带",
    "starts_at": "2026-12-03 08:00",
    "ends_at": "2026-12-03 17:00",
    "reason": "线路检修",
}
ARREARS_CONTEXT = {
    "customer_name": "王五",
    "account_no": "3100000003",
    "amount": "356.20",
    "due_date": "2026-11-15",
    "disconnect_date": "2026-12-20",
}
#: Channel preferences cycled over the recipients: both, SMS only, e-mail only, neither.
CONSENT_MIX = (
    frozenset({ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.MMS}),
    frozenset({ChannelKind.SMS, ChannelKind.MMS}),
    frozenset({ChannelKind.EMAIL}),
    frozenset(),
)


def mobile(number: int) -> str:
    return f"1380000{number:04d}"


def customer(number: int, *, consents: frozenset[ChannelKind]) -> Recipient:
    return Recipient(
        key=f"customer:{number}",
        addresses={
            ChannelKind.SMS: mobile(number),
            ChannelKind.MMS: mobile(number),
            ChannelKind.EMAIL: f"c{number}@example.cn",
        },
        consents=consents,
    )


def template(*, event: str, channel: ChannelKind, subject: str, body: str, now: datetime) -> None:
    create_notification_template(
        actor=None,
        event=event,
        channel=channel,
        language="zh-hans",
        subject=subject,
        body=body,
        valid_from=now,
        now=now,
    )


def policy(
    *, event: str, steps: list[dict[str, object]], legally_required: bool, now: datetime
) -> DeliveryPolicy:
    return create_delivery_policy(
        actor=None,
        event=event,
        steps=steps,
        urgent=True,
        legally_required=legally_required,
        valid_from=now,
        now=now,
    )


@contextmanager
def gateways(*, smtp_port: int, smsc_port: int, channels: str) -> Iterator[None]:
    """Settings pointing the configured adapters at the local servers."""
    configured = copy.deepcopy(settings.NOTIFICATION_CHANNELS)
    configured["email"].update({"HOST": "127.0.0.1", "PORT": smtp_port, "SECURITY": "plain"})
    configured["sms"].update({"GATEWAY": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_PORT": smsc_port})
    service = {
        **settings.NOTIFICATIONS,
        "DISPATCH_CHANNELS": channels.split(","),
        "RECEIPT_WAIT_SECONDS": 10,
        # The whole batch in one run (the per-minute limits are tested with the dispatcher).
        "RATE_LIMITS_PER_MINUTE": {},
    }
    with override_settings(NOTIFICATION_CHANNELS=configured, NOTIFICATIONS=service):
        yield


def states(*, channel: str) -> Counter[str]:
    return Counter(OutboxMessage.objects.filter(channel=channel).values_list("state", flat=True))


def test_a_bill_reminder_to_a_thousand_customers_sends_what_their_preferences_allow(
    smtp_server: RunningSmtpServer, smsc_factory: Callable[[FailureRules], SmscSimulator]
) -> None:
    now = timezone.now()
    reminder = (
        "{{ customer_name }}您好，户号{{ account_no }}本期电费{{ amount }}元，请于{{ due_date }}前缴纳。"
    )
    template(event="bill_reminder", channel=ChannelKind.SMS, subject="", body=reminder, now=now)
    email_body = reminder + "\n退订：{{ unsubscribe_url }}"
    template(event="bill_reminder", channel=ChannelKind.EMAIL, subject="电费提醒", body=email_body, now=now)
    policy(event="bill_reminder", steps=[{"channels": ["email", "sms"]}], legally_required=False, now=now)
    for number in range(0, 1000, 10):  # every tenth customer replied 退订 to an earlier SMS
        opt_out(
            recipient_key="", address=mobile(number), channel=ChannelKind.SMS, source="sms_reply", now=now
        )
    simulator = smsc_factory(FailureRules(sms_fail_last_digits=frozenset({"7"})))
    recipients = [customer(number, consents=CONSENT_MIX[number % 4]) for number in range(1000)]

    notify(event="bill_reminder", recipients=recipients, context=BILL_CONTEXT, now=now, dedupe_key="2026-11")
    with gateways(smtp_port=smtp_server.port, smsc_port=simulator.port, channels="email,sms"):
        result = dispatch_notifications.func()

    emailed = {f"c{n}@example.cn" for n in range(1000) if n % 4 in (0, 2)}
    texted = {mobile(n) for n in range(1000) if n % 4 in (0, 1) and n % 10 != 0}
    failing = {number for number in texted if number.endswith("7")}
    assert (len(emailed), len(texted), len(failing)) == (500, 450, 50)
    received_mail = Counter(
        address for envelope, _ in smtp_server.handler.messages for address in envelope.rcpt_tos
    )
    assert set(received_mail) == emailed
    assert set(received_mail.values()) == {1}
    received_sms = Counter(message.destination for message in simulator.received_messages())
    assert set(received_sms) == texted
    assert set(received_sms.values()) == {1}
    assert result == {
        "sent": 950,
        "failed": 0,
        "deferred": 0,
        "expired": 0,
        "fallbacks": 0,
        "receipts": 450,
        "replies": 0,
    }
    assert states(channel="email") == {"sent": 500}
    assert states(channel="sms") == {"delivered": 400, "failed": 50}

    _, first_mail = next(m for m in smtp_server.handler.messages if m[0].rcpt_tos == ["c0@example.cn"])
    email_message = OutboxMessage.objects.get(channel="email", address="c0@example.cn")
    assert first_mail["Subject"] == "电费提醒"
    assert first_mail["To"] == "c0@example.cn"
    first_envelope = next(e for e, _ in smtp_server.handler.messages if e.rcpt_tos == ["c0@example.cn"])
    assert b"\r\nList-Unsubscribe: <http://localhost:8000/notifications/unsubscribe/" in (
        first_envelope.original_content or b""
    )
    unsubscribe = first_mail["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://localhost:8000/notifications/unsubscribe/")
    assert unsubscribe.strip("<>") in first_mail.get_body(("plain",)).get_content()
    assert email_message.provider_message_id == first_mail["Message-ID"]
    assert (
        "张三您好，户号3100000001本期电费128.50元，请于2026-12-25前缴纳。"
        in first_mail.get_body(("plain",)).get_content()
    )

    failed = OutboxMessage.objects.get(channel="sms", address=mobile(17))
    assert failed.state == "failed"
    assert failed.last_error == "UNDELIV err:001"
    delivered = OutboxMessage.objects.get(channel="sms", address=mobile(1))
    assert [(e.from_state, e.to_state) for e in MessageEvent.objects.filter(message=delivered)] == [
        ("", "queued"),
        ("queued", "sending"),
        ("sending", "sent"),
        ("sent", "delivered"),
    ]
    assert delivered.receipt_at is not None
    assert delivered.provider_message_id in {
        message.message_ids[0]
        for message in simulator.received_messages()
        if message.destination == mobile(1)
    }


def test_mms_failing_for_a_third_of_the_numbers_reaches_each_of_them_by_sms_once(
    smtp_server: RunningSmtpServer, smsc_factory: Callable[[FailureRules], SmscSimulator]
) -> None:
    now = timezone.now()
    for channel in (ChannelKind.MMS, ChannelKind.SMS):
        template(
            event="outage_notice",
            channel=channel,
            subject="停电通知",
            body="{{ area }}于{{ starts_at }}至{{ ends_at }}停电（{{ reason }}）。",
            now=now,
        )
    policy(
        event="outage_notice",
        steps=[{"channels": ["mms"], "fallback_after_minutes": 30}, {"channels": ["sms"]}],
        legally_required=False,
        now=now,
    )
    simulator = smsc_factory(FailureRules(mms_fail_one_in=3))
    recipients = [customer(number, consents=CONSENT_MIX[0]) for number in range(300)]
    mms_failing = {mobile(n) for n in range(300) if number_hash_bucket(number=mobile(n), buckets=3) == 0}
    assert 80 < len(mms_failing) < 120  # about a third, always the same numbers

    notify(
        event="outage_notice", recipients=recipients, context=OUTAGE_CONTEXT, now=now, dedupe_key="outage-1"
    )
    with gateways(smtp_port=smtp_server.port, smsc_port=simulator.port, channels="sms,mms"):
        result = dispatch_notifications.func()

    received = simulator.received_messages()
    assert Counter(m.destination for m in received if m.is_mms) == Counter({mobile(n): 1 for n in range(300)})
    assert Counter(m.destination for m in received if not m.is_mms) == Counter(dict.fromkeys(mms_failing, 1))
    assert states(channel="mms") == {"delivered": 300 - len(mms_failing), "failed": len(mms_failing)}
    assert states(channel="sms") == {"delivered": len(mms_failing)}
    assert result["receipts"] == 300 + len(mms_failing)
    fallback = OutboxMessage.objects.get(channel="sms", address=sorted(mms_failing)[0])
    assert fallback.fallback_of is not None
    assert fallback.fallback_of.channel == "mms"
    assert fallback.fallback_of.address == fallback.address
    assert fallback.fallback_of.state == "failed"


def test_an_opted_out_customer_gets_only_the_notice_the_policy_marks_legally_required(
    smtp_server: RunningSmtpServer, smsc_factory: Callable[[FailureRules], SmscSimulator]
) -> None:
    now = timezone.now()
    template(
        event="bill_reminder",
        channel=ChannelKind.SMS,
        subject="",
        body="户号{{ account_no }}电费{{ amount }}元",
        now=now,
    )
    template(
        event="arrears_notice",
        channel=ChannelKind.SMS,
        subject="",
        body="{{ customer_name }}：户号{{ account_no }}欠费{{ amount }}元，将于{{ disconnect_date }}停电。",
        now=now,
    )
    reminder = policy(event="bill_reminder", steps=[{"channels": ["sms"]}], legally_required=False, now=now)
    disconnection = policy(
        event="arrears_notice", steps=[{"channels": ["sms"]}], legally_required=True, now=now
    )
    opted_out = customer(5, consents=CONSENT_MIX[1])
    opt_out(recipient_key=opted_out.key, address="", channel=None, source="customer_request", now=now)
    simulator = smsc_factory(FailureRules())

    notify(event="bill_reminder", recipients=[opted_out], context=BILL_CONTEXT, now=now, dedupe_key="2026-11")
    notify(
        event="arrears_notice", recipients=[opted_out], context=ARREARS_CONTEXT, now=now, dedupe_key="2026-11"
    )
    with gateways(smtp_port=smtp_server.port, smsc_port=simulator.port, channels="email,sms"):
        dispatch_notifications.func()

    assert (reminder.legally_required, disconnection.legally_required) == (False, True)
    assert [(m.destination, m.text) for m in simulator.received_messages()] == [
        (mobile(5), "王五：户号3100000003欠费356.20元，将于2026-12-20停电。")
    ]
    assert list(OutboxMessage.objects.values_list("event", "state")) == [("arrears_notice", "delivered")]


def test_an_opt_out_reply_through_the_smsc_stops_later_sms_to_that_mobile(
    smtp_server: RunningSmtpServer, smsc_factory: Callable[[FailureRules], SmscSimulator]
) -> None:
    now = timezone.now()
    template(
        event="bill_reminder",
        channel=ChannelKind.SMS,
        subject="",
        body="户号{{ account_no }}电费{{ amount }}元",
        now=now,
    )
    policy(event="bill_reminder", steps=[{"channels": ["sms"]}], legally_required=False, now=now)
    simulator = smsc_factory(FailureRules())
    simulator.inject_incoming(source="86" + mobile(5), text="退订")
    with gateways(smtp_port=smtp_server.port, smsc_port=simulator.port, channels="sms"):
        first = dispatch_notifications.func()
        notify(
            event="bill_reminder",
            recipients=[customer(5, consents=CONSENT_MIX[1]), customer(6, consents=CONSENT_MIX[1])],
            context=BILL_CONTEXT,
            now=now,
            dedupe_key="2026-12",
        )
        second = dispatch_notifications.func()

    assert (first["replies"], second["sent"]) == (1, 1)
    assert [m.destination for m in simulator.received_messages()] == [mobile(6)]
    assert sorted(RecipientOptOut.objects.values_list("address", "channel")) == [
        (mobile(5), "mms"),
        (mobile(5), "sms"),
    ]
