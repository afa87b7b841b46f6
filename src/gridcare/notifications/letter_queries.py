"""Reads of letter batches for staff pages, org-scoped through ``LetterBatch.objects.visible_to``
and ``OutboxMessage.objects.visible_to``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from gridcare.kit.masking import mask_middle
from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.models import LetterBatch, LetterBatchEntry, MessageState, OutboxMessage

#: Characters of a letter's address a masked view keeps (the province, city and district).
ADDRESS_KEPT_CHARACTERS = 6


def letter_batches(*, user: Any) -> QuerySet[LetterBatch]:
    """The visible batches, newest first, each with ``served_count`` (its letters recorded as
    served); the PDF itself is not loaded."""
    batches: QuerySet[LetterBatch] = (
        LetterBatch.objects.visible_to(user)
        .select_related("org_unit", "created_by")
        .defer("pdf")
        .annotate(served_count=Count("entries__message__letter_service"))
        .order_by("-created_at", "-id")
    )
    return batches


def letter_batch(*, user: Any, batch_id: int) -> LetterBatch | None:
    """The visible batch ``batch_id`` (without its PDF), or ``None``."""
    return letter_batches(user=user).filter(pk=batch_id).first()


def batch_letters(*, batch: LetterBatch) -> list[LetterBatchEntry]:
    """The letters of ``batch`` in page order, each with its message and its service if any."""
    return list(
        LetterBatchEntry.objects.filter(batch=batch)
        .select_related("message", "message__letter_service", "message__letter_service__served_by")
        .order_by("position")
    )


def waiting_letter_count(*, user: Any, now: datetime) -> int:
    """How many visible letters wait to be printed at ``now``."""
    return int(
        OutboxMessage.objects.visible_to(user)
        .filter(channel=ChannelKind.LETTER, state=MessageState.QUEUED, send_after__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .count()
    )


def letter_recipient_name(*, message: OutboxMessage) -> str:
    """The name the letter is addressed to: the ``customer_name`` its event provides (every
    event a letter carries has one)."""
    return str(message.context.get("customer_name", ""))


def shown_letter_address(*, message: OutboxMessage, unmasked: bool) -> str:
    """The letter's address block on one line (lines joined by `` / ``): whole for holders of
    ``pii.unmask``, else with all but its first six characters masked."""
    address = " / ".join(line.strip() for line in message.address.splitlines() if line.strip())
    if unmasked:
        return address
    return mask_middle(address, keep_start=ADDRESS_KEPT_CHARACTERS, keep_end=0)


__all__ = [
    "batch_letters",
    "letter_batch",
    "letter_batches",
    "letter_recipient_name",
    "shown_letter_address",
    "waiting_letter_count",
]
