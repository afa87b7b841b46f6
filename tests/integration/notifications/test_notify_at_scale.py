"""A bill reminder to 1,000 recipients with mixed consents and opt-outs writes exactly the
messages they allow, dispatches each once and records each receipt."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gridcare.notifications.channels.base import ChannelKind, DeliveryReceipt
from gridcare.notifications.models import MessageEvent, OutboxMessage
from gridcare.notifications.operations import dispatch_due_messages, notify, opt_out, record_receipts

from .conftest import BILL_CONTEXT, Policies, RecipientFactory, RecordingAdapter

pytestmark = pytest.mark.django_db

CONSENT_MIX = (
    frozenset({ChannelKind.EMAIL, ChannelKind.SMS}),
    frozenset({ChannelKind.SMS}),
    frozenset({ChannelKind.EMAIL}),
    frozenset(),
)


def test_a_thousand_recipients_get_exactly_what_their_preferences_allow(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    recipients = [recipient_factory(number, consents=CONSENT_MIX[number % 4]) for number in range(1000)]
    for number in range(0, 1000, 10):  # every tenth recipient refused SMS (a 退订 reply)
        opt_out(
            recipient_key="",
            address=f"1380000{number:04d}",
            channel=ChannelKind.SMS,
            source="sms_reply",
            now=now,
        )

    written = notify(
        event="bill_reminder", recipients=recipients, context=BILL_CONTEXT, now=now, dedupe_key="2025-02"
    )

    expected_email = sum(1 for n in range(1000) if ChannelKind.EMAIL in CONSENT_MIX[n % 4])
    expected_sms = sum(1 for n in range(1000) if ChannelKind.SMS in CONSENT_MIX[n % 4] and n % 10)
    assert (expected_email, expected_sms) == (500, 450)
    assert [m.channel for m in written].count("email") == 500
    assert [m.channel for m in written].count("sms") == 450

    email, sms = RecordingAdapter(kind=ChannelKind.EMAIL), RecordingAdapter(kind=ChannelKind.SMS)
    adapters = {ChannelKind.EMAIL: email, ChannelKind.SMS: sms}
    moment = now
    while OutboxMessage.objects.filter(state="queued").exists():
        dispatch_due_messages(adapters=adapters, now=moment, limit=500)
        moment += timedelta(minutes=1)
    applied = record_receipts(
        receipts=[
            DeliveryReceipt(provider_message_id=f"sms-{m.message_id}", delivered=True, received_at=moment)
            for m in sms.sent
        ],
        now=moment,
    )

    assert (len(email.sent), len({m.message_id for m in email.sent})) == (500, 500)
    assert (len(sms.sent), len({m.message_id for m in sms.sent})) == (450, 450)
    assert applied == 450
    assert OutboxMessage.objects.filter(channel="sms", state="delivered").count() == 450
    assert OutboxMessage.objects.filter(channel="email", state="sent").count() == 500
    assert MessageEvent.objects.filter(to_state="delivered").count() == 450
