"""Two dispatchers running at once (threads with their own connections) never hand the same
message to a gateway: a message claimed by a dispatcher still sending its batch is not
claimed again."""

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


class RecordingAdapter:
    """Records what it is handed; with ``hold`` set, the first send signals ``started`` and
    waits for ``proceed`` (a dispatcher stopped mid-batch while it holds its claims)."""

    def __init__(self, *, hold: bool) -> None:
        self.kind = ChannelKind.MMS
        self.hold = hold
        self.started = threading.Event()
        self.proceed = threading.Event()
        self.sent: list[str] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        self.sent.append(message.message_id)
        if self.hold and len(self.sent) == 1:
            self.started.set()
            self.proceed.wait(timeout=20)
        return SendResult(accepted=True, provider_message_id=f"p-{message.message_id}")

    def collect_receipts(self, *, wait_seconds: float) -> list[DeliveryReceipt]:
        return []


@pytest.mark.django_db(transaction=True)
def test_a_second_dispatcher_skips_what_a_running_one_claimed(
    policies: Policies, recipient_factory: RecipientFactory, now: datetime
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's test database is one in-memory connection; PostgreSQL runs this")
    recipients = [recipient_factory(n, consents=frozenset({ChannelKind.MMS})) for n in range(40)]
    notify(event="outage_notice", recipients=recipients, context=OUTAGE_CONTEXT, now=now, dedupe_key="c")
    running, second = RecordingAdapter(hold=True), RecordingAdapter(hold=False)
    errors: list[BaseException] = []

    def dispatch(adapter: RecordingAdapter, limit: int) -> None:
        try:
            dispatch_due_messages(adapters={ChannelKind.MMS: adapter}, now=now, limit=limit)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    first_thread = threading.Thread(target=dispatch, args=(running, 25))
    first_thread.start()
    assert running.started.wait(timeout=20)
    second_thread = threading.Thread(target=dispatch, args=(second, 100))
    second_thread.start()
    second_thread.join(timeout=30)
    running.proceed.set()
    first_thread.join(timeout=30)

    assert errors == []
    assert (len(running.sent), len(second.sent)) == (25, 15)
    assert set(running.sent).isdisjoint(second.sent)
    assert OutboxMessage.objects.filter(state="sent").count() == 40
