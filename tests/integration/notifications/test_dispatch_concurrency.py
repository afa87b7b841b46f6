"""Two dispatchers running at once (threads with their own connections) never hand the same
message to a gateway: claims lock rows and skip locked ones on PostgreSQL, and SQLite's
IMMEDIATE transactions serialize the claims."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection

from gridcare.notifications.channels.base import ChannelKind, DeliveryReceipt, OutgoingMessage, SendResult
from gridcare.notifications.models import OutboxMessage
from gridcare.notifications.operations import dispatch_due_messages, notify

from .conftest import Policies, RecipientFactory

OUTAGE_CONTEXT = {
    "customer_name": "张三",
    "account_no": "3100000001",
    "area": "解放路一带",
    "starts_at": "2025-03-12 08:00",
    "ends_at": "2025-03-12 17:00",
    "reason": "线路检修",
}


class SlowSharedAdapter:
    """Records every message handed to it by any thread, pausing at the first send so the other
    dispatcher claims while this one is still sending."""

    def __init__(self, kind: ChannelKind, barrier: threading.Barrier) -> None:
        self.kind = kind
        self.barrier = barrier
        self.lock = threading.Lock()
        self.sent: list[str] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        with self.lock:
            self.sent.append(message.message_id)
            first = len(self.sent) == 1
        if first:
            self.barrier.wait(timeout=10)
        return SendResult(accepted=True, provider_message_id=f"p-{message.message_id}")

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        return []


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_send_each_message_exactly_once(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one in-memory connection; PostgreSQL runs this")
    recipients = [recipient_factory(n, consents=frozenset({ChannelKind.MMS})) for n in range(40)]
    notify(event="outage_notice", recipients=recipients, context=OUTAGE_CONTEXT, now=now, dedupe_key="c")
    barrier = threading.Barrier(2)
    adapter = SlowSharedAdapter(ChannelKind.MMS, barrier)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            dispatch_due_messages(adapters={ChannelKind.MMS: adapter}, now=now, limit=25)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    def release() -> None:
        # The second dispatcher reaches the barrier once it has claimed (or found nothing).
        barrier.wait(timeout=10)

    first = threading.Thread(target=run)
    first.start()
    second = threading.Thread(target=lambda: (run(), release()))
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)

    assert errors == []
    assert len(adapter.sent) == 40
    assert len(set(adapter.sent)) == 40
    assert OutboxMessage.objects.filter(state="sent").count() == 40
