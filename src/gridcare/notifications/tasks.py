"""The notification service's background task: send the outbox through the configured gateways,
apply their delivery receipts, and act on replies (退订) — run by the jobs worker.

``notify`` and one-time codes queue a run when their transaction commits; the periodic job
``dispatch-notifications`` runs it too, for messages that became due later (quiet hours,
retries, fallbacks after a silent step) and for receipts that arrive after a run ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from gridcare.jobs.definitions import gridcare_task
from gridcare.jobs.operations import report_progress
from gridcare.notifications.channels.base import ChannelAdapter, ChannelKind, ChannelUnavailable
from gridcare.notifications.channels.configured import configured_adapter
from gridcare.notifications.channels.email import SmtpAdapter
from gridcare.notifications.channels.smpp import SmppAdapter
from gridcare.notifications.config import notification_settings
from gridcare.notifications.operations import dispatch_due_messages, record_receipts, record_sms_reply

logger = logging.getLogger(__name__)

#: SMS and MMS go through one SMSC: a receipt from either session may be of either channel.
SMSC_CHANNELS = frozenset({ChannelKind.SMS, ChannelKind.MMS})


@dataclass(kw_only=True)
class DispatchTotals:
    """What one dispatch run did, summed over its rounds."""

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    expired: int = 0
    fallbacks: int = 0
    receipts: int = 0
    replies: int = 0

    def as_data(self) -> dict[str, int]:
        """The totals as the run's JSON result."""
        return dict(vars(self))


def dispatch_until_idle(
    *,
    adapters: Mapping[ChannelKind, ChannelAdapter],
    clock: Callable[[], datetime],
    batch_size: int,
    max_rounds: int,
    receipt_wait_seconds: float,
) -> DispatchTotals:
    """Send due messages in batches of ``batch_size`` and apply the receipts and replies that
    come back, until nothing is due and no receipt is outstanding (waiting up to
    ``receipt_wait_seconds`` for those), or ``max_rounds`` batches were sent. A failure receipt
    writes the fallback step, which the next round sends."""
    totals = DispatchTotals()
    for _round in range(max_rounds):
        summary = dispatch_due_messages(adapters=adapters, now=clock(), limit=batch_size)
        totals.sent += summary.sent
        totals.failed += summary.failed
        totals.deferred += summary.deferred
        totals.expired += summary.expired
        totals.fallbacks += summary.fallbacks
        report_progress(
            done=totals.sent + totals.failed,
            total=None,
            message=f"sent {totals.sent}, refused {totals.failed}, deferred {totals.deferred}",
            now=clock(),
        )
        received = _collect_from_gateways(adapters=adapters, clock=clock, totals=totals, wait_seconds=0)
        if summary.claimed or received:
            continue
        # Nothing more to send now: wait for the receipts still outstanding, which may fail
        # messages and so queue their fallbacks for another round.
        if not _collect_from_gateways(
            adapters=adapters, clock=clock, totals=totals, wait_seconds=receipt_wait_seconds
        ):
            break
    return totals


def _collect_from_gateways(
    *,
    adapters: Mapping[ChannelKind, ChannelAdapter],
    clock: Callable[[], datetime],
    totals: DispatchTotals,
    wait_seconds: float,
) -> int:
    """Read receipts (and, from SMPP sessions, incoming replies) from each adapter and record
    them; the number of receipts and replies read."""
    read = 0
    for kind, adapter in adapters.items():
        try:
            receipts = adapter.collect_receipts(wait_seconds=wait_seconds)
        except ChannelUnavailable as error:
            # Receipts stay with the gateway (an SMSC keeps them for the next session).
            logger.warning("Receipts of %s not collected: %s", kind, error)
            continue
        if receipts:
            channels = SMSC_CHANNELS if isinstance(adapter, SmppAdapter) else frozenset({kind})
            totals.receipts += record_receipts(receipts=receipts, now=clock(), channels=channels)
            read += len(receipts)
        if isinstance(adapter, SmppAdapter):
            for incoming in adapter.take_incoming_messages():
                read += 1
                if record_sms_reply(mobile=incoming.sender, text=incoming.text, now=clock()):
                    totals.replies += 1
            try:
                # Only now, with both recorded: until then the SMSC keeps them for a next session.
                adapter.acknowledge()
            except ChannelUnavailable as error:
                logger.warning("Receipts of %s not acknowledged (they will come again): %s", kind, error)
    return read


def configured_dispatch_adapters() -> dict[ChannelKind, ChannelAdapter]:
    """An adapter for each channel named in ``NOTIFICATIONS["DISPATCH_CHANNELS"]``."""
    return {
        ChannelKind(name): configured_adapter(kind=ChannelKind(name))
        for name in notification_settings().dispatch_channels
    }


def _close(adapters: Mapping[ChannelKind, ChannelAdapter]) -> None:
    """End the sessions the adapters keep open (SMPP binds, SMTP connections)."""
    for adapter in adapters.values():
        if isinstance(adapter, SmppAdapter | SmtpAdapter):
            adapter.close()


@gridcare_task(max_attempts=3, backoff_seconds=10)
def dispatch_notifications(*, batch_size: int = 200, max_rounds: int = 100) -> dict[str, int]:
    """Send the due outbox through the configured gateways and record receipts and replies
    (see :func:`dispatch_until_idle`). Safe to run in several workers at once: each message
    is claimed before it is sent."""
    adapters = configured_dispatch_adapters()
    try:
        totals = dispatch_until_idle(
            adapters=adapters,
            clock=timezone.now,
            batch_size=batch_size,
            max_rounds=max_rounds,
            receipt_wait_seconds=notification_settings().receipt_wait_seconds,
        )
    finally:
        _close(adapters)
    return totals.as_data()
