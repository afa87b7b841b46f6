"""The database side of the worker-kill test, run in its own process against the database the
worker uses: ``prepare N`` queues an urgent SMS for N customers; ``report`` prints the outbox's
states and the job attempts as JSON."""

from __future__ import annotations

import json
import sys
from collections import Counter

import django


def prepare(count: int) -> None:
    from django.utils import timezone

    from gridcare.jobs.models import PeriodicJob
    from gridcare.notifications.channels.base import ChannelKind
    from gridcare.notifications.operations import create_delivery_policy, create_notification_template, notify
    from gridcare.notifications.recipients import Recipient

    now = timezone.now()
    # Only the dispatch runs, and often: leftovers of the killed run are picked up quickly.
    PeriodicJob.objects.exclude(name="dispatch-notifications").update(enabled=False)
    PeriodicJob.objects.filter(name="dispatch-notifications").update(interval_seconds=1)
    create_notification_template(
        actor=None,
        event="outage_notice",
        channel=ChannelKind.SMS,
        language="zh-hans",
        subject="",
        body="{{ area }}于{{ starts_at }}至{{ ends_at }}停电（{{ reason }}）。",
        valid_from=now,
        now=now,
    )
    create_delivery_policy(
        actor=None,
        event="outage_notice",
        steps=[{"channels": ["sms"]}],
        urgent=True,
        legally_required=False,
        valid_from=now,
        now=now,
    )
    recipients = [
        Recipient(
            key=f"customer:{number}",
            addresses={ChannelKind.SMS: f"1390000{number:04d}"},
            consents=frozenset({ChannelKind.SMS}),
        )
        for number in range(count)
    ]
    context = {
        "customer_name": "张三",
        "account_no": "3100000001",
        "area": "城东供电所 解放路一带",
        "starts_at": "2026-12-03 08:00",
        "ends_at": "2026-12-03 17:00",
        "reason": "线路检修",
    }
    notify(event="outage_notice", recipients=recipients, context=context, now=now, dedupe_key="outage-7")


def report() -> None:
    from gridcare.jobs.models import JobAttempt
    from gridcare.notifications.models import OutboxMessage

    print(
        json.dumps(
            {
                "states": Counter(OutboxMessage.objects.values_list("state", flat=True)),
                "attempts": Counter(OutboxMessage.objects.values_list("attempts", flat=True)),
                "job_attempts": Counter(JobAttempt.objects.values_list("outcome", flat=True)),
            }
        )
    )


if __name__ == "__main__":
    django.setup()
    if sys.argv[1] == "prepare":
        prepare(int(sys.argv[2]))
    else:
        report()
