"""The dispatcher's state machine: claim, send, record; gateways down; fallback once;
receipts; rate limits; crash recovery. The adapters here are the dispatcher's collaborators
(recording test doubles of the channel interface); the real channels have their own tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pytest_django.fixtures import Settings

from gridcare.notifications.channels.base import ChannelKind, DeliveryReceipt, OutgoingMessage, SendResult
from gridcare.notifications.models import MessageEvent, MessageState, OutboxMessage, UnmatchedReceipt
from gridcare.notifications.operations import DispatchSummary, dispatch_due_messages, notify, record_receipts

from .conftest import (
    BILL_CONTEXT,
    Policies,
    RecipientFactory,
    RecordingAdapter,
)

pytestmark = pytest.mark.django_db
OUTAGE_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "area": "解放路一带",
    "starts_at": "2025-03-12 08:00",
    "ends_at": "2025-03-12 17:00",
    "reason": "线路检修",
}


def _history(message: OutboxMessage) -> list[tuple[str, str]]:
    return list(MessageEvent.objects.filter(message=message).values_list("from_state", "to_state"))


def _outage(recipient_factory: RecipientFactory, now: datetime, count: int) -> list[OutboxMessage]:
    recipients = [
        recipient_factory(number, consents=frozenset({ChannelKind.MMS, ChannelKind.SMS}))
        for number in range(count)
    ]
    return notify(
        event="outage_notice", recipients=recipients, context=OUTAGE_CONTEXT, now=now, dedupe_key="o1"
    )


def test_due_messages_are_sent_once_with_their_id_and_recorded(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [sms] = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1, consents=frozenset({ChannelKind.SMS}))],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="b",
    )
    adapter = RecordingAdapter(kind=ChannelKind.SMS)

    first = dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now)
    second = dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now + timedelta(minutes=1))

    assert first == DispatchSummary(sent=1, failed=0, deferred=0, expired=0, fallbacks=0)
    assert second == DispatchSummary(sent=0, failed=0, deferred=0, expired=0, fallbacks=0)
    assert [(m.message_id, m.recipient, m.body) for m in adapter.sent] == [
        (str(sms.pk), "13800000001", "张三您好，户号3100000001本期电费128.50元，请于2025-03-25前缴纳。")
    ]
    sms.refresh_from_db()
    assert (sms.state, sms.provider_message_id, sms.sent_at, sms.attempts) == (
        "sent",
        f"sms-{sms.pk}",
        now,
        1,
    )
    assert _history(sms) == [("", "queued"), ("queued", "sending"), ("sending", "sent")]


def test_messages_in_quiet_hours_are_not_due(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    evening = now.replace(hour=22)
    notify(
        event="bill_reminder",
        recipients=[recipient_factory(1, consents=frozenset({ChannelKind.SMS}))],
        context=BILL_CONTEXT,
        now=evening,
        dedupe_key="b",
    )
    adapter = RecordingAdapter(kind=ChannelKind.SMS)

    assert dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=evening).sent == 0
    assert (
        dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=evening + timedelta(hours=10)).sent
        == 1
    )


def test_a_gateway_that_is_down_leaves_messages_queued_with_backoff(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [sms] = notify(
        event="bill_reminder",
        recipients=[recipient_factory(1, consents=frozenset({ChannelKind.SMS}))],
        context=BILL_CONTEXT,
        now=now,
        dedupe_key="b",
    )
    adapter = RecordingAdapter(kind=ChannelKind.SMS, down=True)

    summary = dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now)

    assert summary == DispatchSummary(sent=0, failed=0, deferred=1, expired=0, fallbacks=0)
    sms.refresh_from_db()
    assert (sms.state, sms.send_after, sms.attempts, sms.last_error) == (
        "queued",
        now + timedelta(seconds=60),
        1,
        "connection refused",
    )
    assert (
        dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now + timedelta(seconds=30)).deferred
        == 0
    )
    dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now + timedelta(seconds=60))
    sms.refresh_from_db()
    assert (sms.send_after, sms.attempts) == (now + timedelta(seconds=360), 2)

    adapter.down = False
    assert (
        dispatch_due_messages(adapters={ChannelKind.SMS: adapter}, now=now + timedelta(seconds=360)).sent == 1
    )
    sms.refresh_from_db()
    assert (sms.state, sms.attempts, len(adapter.sent)) == ("sent", 3, 1)


def test_mms_refused_for_a_third_falls_back_to_sms_once(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    _outage(recipient_factory, now, 9)
    refused = {f"1380000{number:04d}" for number in (0, 3, 6)}
    mms = RecordingAdapter(kind=ChannelKind.MMS, refuse=refused)
    sms = RecordingAdapter(kind=ChannelKind.SMS)
    adapters = {ChannelKind.MMS: mms, ChannelKind.SMS: sms}

    first = dispatch_due_messages(adapters=adapters, now=now)
    second = dispatch_due_messages(adapters=adapters, now=now + timedelta(minutes=1))
    third = dispatch_due_messages(adapters=adapters, now=now + timedelta(minutes=2))

    assert first == DispatchSummary(sent=6, failed=3, deferred=0, expired=0, fallbacks=3)
    assert second == DispatchSummary(sent=3, failed=0, deferred=0, expired=0, fallbacks=0)
    assert third == DispatchSummary(sent=0, failed=0, deferred=0, expired=0, fallbacks=0)
    assert sorted(message.recipient for message in sms.sent) == sorted(refused)
    fallback = OutboxMessage.objects.get(channel="sms", address="13800000003")
    assert fallback.fallback_of is not None
    assert (fallback.fallback_of.channel, fallback.fallback_of.state, fallback.step_index) == (
        "mms",
        "failed",
        1,
    )
    assert fallback.body == "解放路一带于2025-03-12 08:00至2025-03-12 17:00停电（线路检修）。"


def test_no_receipt_within_the_policy_minutes_expires_the_mms_and_sends_sms_once(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [first_mms, second_mms] = _outage(recipient_factory, now, 2)
    adapters = {
        ChannelKind.MMS: RecordingAdapter(kind=ChannelKind.MMS),
        ChannelKind.SMS: RecordingAdapter(kind=ChannelKind.SMS),
    }
    dispatch_due_messages(adapters=adapters, now=now)
    record_receipts(
        receipts=[
            DeliveryReceipt(provider_message_id=f"mms-{first_mms.pk}", delivered=True, received_at=now)
        ],
        now=now + timedelta(minutes=2),
    )

    early = dispatch_due_messages(adapters=adapters, now=now + timedelta(minutes=29))
    late = dispatch_due_messages(adapters=adapters, now=now + timedelta(minutes=30))
    later = dispatch_due_messages(adapters=adapters, now=now + timedelta(minutes=40))

    assert early == DispatchSummary(sent=0, failed=0, deferred=0, expired=0, fallbacks=0)
    assert late == DispatchSummary(sent=1, failed=0, deferred=0, expired=1, fallbacks=1)
    assert later == DispatchSummary(sent=0, failed=0, deferred=0, expired=0, fallbacks=0)
    first_mms.refresh_from_db()
    second_mms.refresh_from_db()
    assert (first_mms.state, first_mms.receipt_at) == ("delivered", now)
    assert second_mms.state == "expired"
    assert _history(second_mms)[-1] == ("sent", "expired")
    assert OutboxMessage.objects.filter(channel="sms").count() == 1


def test_failure_receipts_fail_the_message_and_write_the_fallback(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [mms] = _outage(recipient_factory, now, 1)
    dispatch_due_messages(adapters={ChannelKind.MMS: RecordingAdapter(kind=ChannelKind.MMS)}, now=now)
    receipt = DeliveryReceipt(
        provider_message_id=f"mms-{mms.pk}", delivered=False, received_at=now, error="UNDELIV"
    )

    assert record_receipts(receipts=[receipt, receipt], now=now) == 1

    mms.refresh_from_db()
    assert (mms.state, mms.last_error) == ("failed", "UNDELIV")
    assert list(OutboxMessage.objects.filter(fallback_of=mms).values_list("channel", "state")) == [
        ("sms", "queued")
    ]
    assert (
        record_receipts(
            receipts=[DeliveryReceipt(provider_message_id="unknown", delivered=True, received_at=now)],
            now=now,
        )
        == 0
    )


def test_claimed_messages_are_not_sent_by_a_second_dispatcher(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    _outage(recipient_factory, now, 3)
    from gridcare.notifications.operations import _claim_due_messages

    claimed = _claim_due_messages(channels=[ChannelKind.MMS], now=now, limit=2)
    other = RecordingAdapter(kind=ChannelKind.MMS)
    summary = dispatch_due_messages(adapters={ChannelKind.MMS: other}, now=now)

    assert [message.state for message in claimed] == ["sending", "sending"]
    assert summary.sent == 1
    assert [message.message_id for message in other.sent] == [
        str(pk)
        for pk in OutboxMessage.objects.exclude(pk__in=[m.pk for m in claimed]).values_list("pk", flat=True)
    ]


def test_a_claim_left_by_a_crashed_dispatcher_is_resent_with_the_same_id_after_the_timeout(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    _outage(recipient_factory, now, 1)
    from gridcare.notifications.operations import _claim_due_messages

    [crashed] = _claim_due_messages(channels=[ChannelKind.MMS], now=now, limit=10)
    adapter = RecordingAdapter(kind=ChannelKind.MMS)

    before = dispatch_due_messages(adapters={ChannelKind.MMS: adapter}, now=now + timedelta(minutes=9))
    after = dispatch_due_messages(adapters={ChannelKind.MMS: adapter}, now=now + timedelta(minutes=10))

    assert (before.sent, after.sent) == (0, 1)
    assert [message.message_id for message in adapter.sent] == [str(crashed.pk)]
    crashed.refresh_from_db()
    assert (crashed.state, crashed.attempts) == ("sent", 2)
    assert _history(crashed) == [
        ("", "queued"),
        ("queued", "sending"),
        ("sending", "queued"),
        ("queued", "sending"),
        ("sending", "sent"),
    ]


def test_rate_limits_cap_messages_per_channel_per_minute(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime, settings: Settings
) -> None:
    settings.NOTIFICATIONS = {"RATE_LIMITS_PER_MINUTE": {"mms": 2}}
    _outage(recipient_factory, now, 5)
    adapter = RecordingAdapter(kind=ChannelKind.MMS)
    adapters = {ChannelKind.MMS: adapter}

    counts = [
        dispatch_due_messages(adapters=adapters, now=now).sent,
        dispatch_due_messages(adapters=adapters, now=now + timedelta(seconds=30)).sent,
        dispatch_due_messages(adapters=adapters, now=now + timedelta(seconds=61)).sent,
        dispatch_due_messages(adapters=adapters, now=now + timedelta(seconds=122)).sent,
    ]

    assert counts == [2, 0, 2, 1]
    assert len({message.message_id for message in adapter.sent}) == 5


def test_queued_messages_past_their_lifetime_expire(now: datetime, db: None) -> None:
    from gridcare.notifications.otp import NotificationOtpSender

    NotificationOtpSender().send(mobile="13800000001", message="验证码 123456，5分钟内有效。", now=now)
    summary = dispatch_due_messages(adapters={}, now=now + timedelta(minutes=5))

    assert summary.expired == 1
    assert OutboxMessage.objects.get().state == MessageState.EXPIRED


class BrokenForOneRecipient(RecordingAdapter):
    """Raises a plain error (an adapter's bug, not a gateway outage) for one recipient."""

    def send(self, message: OutgoingMessage) -> SendResult:
        if message.recipient == "13800000001":
            raise KeyError("submit_sm_resp")
        return super().send(message)


def test_an_adapter_error_requeues_its_message_and_the_rest_of_the_batch_is_sent(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    _outage(recipient_factory, now, 3)
    adapter = BrokenForOneRecipient(kind=ChannelKind.MMS)

    summary = dispatch_due_messages(adapters={ChannelKind.MMS: adapter}, now=now)

    assert summary == DispatchSummary(sent=2, failed=0, deferred=1, expired=0, fallbacks=0)
    broken = OutboxMessage.objects.get(address="13800000001")
    assert (broken.state, broken.claim_token, broken.last_error) == ("queued", "", "'submit_sm_resp'")
    assert broken.send_after == now + timedelta(seconds=60)
    assert _history(broken)[-1] == ("sending", "queued")


def test_a_receipt_kept_while_its_message_was_being_recorded_is_applied_by_the_next_dispatch(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [mms, *_] = _outage(recipient_factory, now, 1)
    dispatch_due_messages(adapters={ChannelKind.MMS: RecordingAdapter(kind=ChannelKind.MMS)}, now=now)
    # What a gateway callback racing the recording leaves (PostgreSQL: it could not see the
    # uncommitted "sent" row, so it kept the receipt).
    UnmatchedReceipt.objects.create(
        provider_message_id=f"mms-{mms.pk}", delivered=False, error="UNDELIV", received_at=now
    )

    summary = dispatch_due_messages(adapters={}, now=now + timedelta(seconds=5))

    mms.refresh_from_db()
    assert (mms.state, mms.last_error) == ("failed", "UNDELIV")
    assert summary.fallbacks == 1
    assert not UnmatchedReceipt.objects.exists()


def test_a_receipt_before_its_message_is_recorded_is_kept_and_applied_when_it_is_sent(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    [mms, *_] = _outage(recipient_factory, now, 1)
    early = DeliveryReceipt(provider_message_id=f"mms-{mms.pk}", delivered=True, received_at=now)
    assert record_receipts(receipts=[early], now=now) == 0
    assert UnmatchedReceipt.objects.count() == 1

    dispatch_due_messages(adapters={ChannelKind.MMS: RecordingAdapter(kind=ChannelKind.MMS)}, now=now)

    mms.refresh_from_db()
    assert mms.state == "delivered"
    assert not UnmatchedReceipt.objects.exists()
    assert record_receipts(receipts=[early], now=now) == 0  # repeated: ignored, not kept
    assert not UnmatchedReceipt.objects.exists()
