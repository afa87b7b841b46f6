"""One-time codes through the outbox: the :class:`~gridcare.identity.otp.OneTimeCodeSender`
that replaces the development outbox once the jobs worker dispatches messages."""

from __future__ import annotations

from datetime import datetime

from gridcare.identity.otp import CODE_LIFETIME, mobile_digest
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.events import ONE_TIME_CODE_EVENT
from gridcare.notifications.operations import queue_composed_message
from gridcare.notifications.recipients import Recipient


class NotificationOtpSender:
    """Queues the code's text as one urgent SMS, outside quiet hours and opt-outs (the
    recipient just asked for it), expiring with the code. Set ``GRIDCARE_OTP_SENDER`` to
    ``gridcare.notifications.otp.NotificationOtpSender`` where a worker dispatches the outbox."""

    def send(self, *, mobile: str, message: str, now: datetime) -> None:
        recipient = Recipient(
            key=f"mobile:{mobile_digest(mobile)[:32]}",
            addresses={ChannelKind.SMS: mobile},
            consents=frozenset({ChannelKind.SMS}),
        )
        queue_composed_message(
            event=ONE_TIME_CODE_EVENT,
            recipient=recipient,
            channel=ChannelKind.SMS,
            body=message,
            lifetime=CODE_LIFETIME,
            now=now,
        )
