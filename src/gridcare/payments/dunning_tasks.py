"""Dunning's background tasks: the daily dunning run and the frequent supply-order check (remote
commands to send, reconnection limits passed). Both are seeded as periodic jobs."""

from __future__ import annotations

from django.utils import timezone

from gridcare.jobs.definitions import gridcare_task
from gridcare.kit.clock import local_date
from gridcare.payments.dunning import run_dunning
from gridcare.payments.supply_orders import (
    alarm_reconnection_breaches,
    configured_remote_switch,
    send_remote_switch_commands,
)


@gridcare_task(max_attempts=3, backoff_seconds=300)
def run_dunning_task() -> dict[str, int]:
    """Run today's dunning (safe to retry: steps already taken are not taken again), then send
    the remote commands of the orders it created."""
    now = timezone.now()
    summary = run_dunning(on=local_date(now), now=now)
    send_remote_switch_commands(interface=configured_remote_switch(), now=timezone.now())
    return summary.as_data()


@gridcare_task(max_attempts=3, backoff_seconds=30)
def check_supply_orders() -> dict[str, int]:
    """Send pending remote-control commands and raise the alarm for reconnection orders past
    their limit."""
    sent = send_remote_switch_commands(interface=configured_remote_switch(), now=timezone.now())
    alarmed = alarm_reconnection_breaches(now=timezone.now())
    return {"commands_sent": sent, "breaches_alarmed": alarmed}
