"""Reads of the outbox for staff pages, org-scoped through ``OutboxMessage.objects.visible_to``.

A message belongs to the org unit the caller gave its recipient; messages without one
(one-time codes to portal users) are seen only by those who see the whole tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from gridcare.identity.access import sees_whole_org_tree
from gridcare.kit.clock import local_midnight
from gridcare.kit.masking import mask_middle, mask_mobile, mask_personal_text
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.events import ONE_TIME_CODE_EVENT
from gridcare.notifications.models import MessageEvent, OutboxMessage


def search_messages(
    *,
    user: Any,
    event: str = "",
    channel: str = "",
    state: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
) -> QuerySet[OutboxMessage]:
    """The visible messages matching the filters, newest first; dates are local days,
    ``created_to`` inclusive."""
    messages = OutboxMessage.objects.visible_to(user)
    if sees_whole_org_tree(user):
        messages = messages | OutboxMessage.objects.filter(org_unit__isnull=True)
    if event:
        messages = messages.filter(event=event)
    if channel:
        messages = messages.filter(channel=channel)
    if state:
        messages = messages.filter(state=state)
    if created_from:
        messages = messages.filter(created_at__gte=local_midnight(created_from))
    if created_to:
        messages = messages.filter(created_at__lt=local_midnight(created_to + timedelta(days=1)))
    return messages.order_by("-created_at", "-id")


@dataclass(frozen=True, kw_only=True)
class MessagePath:
    """Every message of one notification to one recipient (its policy steps and fallbacks, in
    order) with each message's history."""

    messages: list[OutboxMessage]
    history: dict[int, list[MessageEvent]]


def message_path(*, user: Any, message_id: int) -> MessagePath | None:
    """The path of the notification the visible message ``message_id`` belongs to, or ``None``
    when the user cannot see it."""
    message = search_messages(user=user).filter(pk=message_id).first()
    if message is None:
        return None
    messages = list(
        OutboxMessage.objects.filter(
            event=message.event, recipient_key=message.recipient_key, dedupe_key=message.dedupe_key
        )
        .select_related("template", "policy")
        .order_by("step_index", "id")
    )
    history: dict[int, list[MessageEvent]] = {each.pk: [] for each in messages}
    for entry in MessageEvent.objects.filter(message__in=messages).order_by("occurred_at", "id"):
        history[entry.message_id].append(entry)
    return MessagePath(messages=messages, history=history)


@dataclass(frozen=True, kw_only=True)
class DailyCount:
    day: date
    channel: str
    event: str
    state: str
    count: int


def daily_counts(*, user: Any, created_from: datetime, created_before: datetime) -> list[DailyCount]:
    """Messages written in ``[created_from, created_before)`` counted per local day, channel,
    event and current state."""
    rows = (
        search_messages(user=user)
        .filter(created_at__gte=created_from, created_at__lt=created_before)
        .annotate(day=TruncDate("created_at"))
        .values("day", "channel", "event", "state")
        .annotate(count=Count("id"))
        .order_by("-day", "channel", "event", "state")
    )
    return [DailyCount(**row) for row in rows]


def shown_address(*, message: OutboxMessage, unmasked: bool) -> str:
    """The message's address as a page shows it: whole for holders of ``pii.unmask``, else
    masked (mobiles ``138****5678``, e-mail ``c***@example.cn``, other ids in the middle)."""
    if unmasked:
        return message.address
    if message.channel in (ChannelKind.SMS, ChannelKind.MMS):
        return mask_mobile(message.address)
    if message.channel == ChannelKind.EMAIL:
        local, _, domain = message.address.partition("@")
        return f"{mask_middle(local, keep_start=1, keep_end=0)}@{domain}"
    return mask_middle(message.address, keep_start=2, keep_end=2)


def shown_body(*, message: OutboxMessage, unmasked: bool) -> str:
    """The message's text as a page shows it: one-time codes never (staff must not read a
    customer's code); others whole for holders of ``pii.unmask``, else with mobiles and ID
    numbers masked."""
    if message.event == ONE_TIME_CODE_EVENT:
        return ""
    return message.body if unmasked else mask_personal_text(message.body)
