"""Letters (paper notices such as 停电通知书 that must be served): every state change.

A letter is an outbox message on the ``letter`` channel. The dispatcher never sends it (letters
have no gateway); staff print every due letter of an org unit (and the units below it) as one
batch, :func:`print_letter_batch`: one PDF (:func:`configured_letter_adapter`), kept with its
SHA-256 in a :class:`LetterBatch`, each letter a :class:`LetterBatchEntry` and moved queued →
sent with its page id (``<batch_no>-p<position>``) as provider message id. Whoever serves a
letter records it, :func:`record_letter_served` (送达方式, receiver, time): sent → delivered.

A letter step with ``fallback_after_minutes`` expires unserved letters and writes the next step
as the dispatcher does for other channels; a letter served after that is still recorded as
delivered, as a late delivery receipt is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from gridcare.audit.operations import record_audit_event
from gridcare.identity.access import (
    denials_audited,
    ensure_changeable,
    ensure_permission,
    ensure_sees_whole_org_tree,
)
from gridcare.identity.permissions import Permission
from gridcare.kit.clock import to_local
from gridcare.notifications.channels.base import ChannelKind, OutgoingMessage
from gridcare.notifications.channels.configured import configured_letter_adapter
from gridcare.notifications.errors import (
    LetterAlreadyServed,
    LetterNotPrinted,
    NoLettersDue,
    NotALetter,
    ReceiverNameRequired,
    ServedBeforePrinted,
    ServedInFuture,
)
from gridcare.notifications.models import (
    LetterBatch,
    LetterBatchEntry,
    LetterService,
    MessageEvent,
    MessageState,
    OutboxMessage,
    ServiceMethod,
)
from gridcare.organization.models import OrgUnit
from gridcare.organization.operations import reserve_sequence_numbers


def move_message(
    *, message: OutboxMessage, to_state: str, now: datetime, detail: str, **changes: Any
) -> None:
    """Move ``message`` to ``to_state`` with ``changes`` and write its history row, as the
    dispatcher records its own transitions."""
    from_state = message.state
    message.state = to_state
    for name, value in changes.items():
        setattr(message, name, value)
    message.save(update_fields=["state", *changes])
    MessageEvent.objects.create(
        message=message, occurred_at=now, from_state=from_state, to_state=to_state, detail=detail
    )


def due_letters(*, org_unit: OrgUnit, now: datetime) -> QuerySet[OutboxMessage]:
    """The queued letters of ``org_unit`` and the units below it that may go at ``now`` (not
    expired), in print order: by org unit, then as they were written."""
    return (
        OutboxMessage.objects.filter(
            channel=ChannelKind.LETTER,
            state=MessageState.QUEUED,
            send_after__lte=now,
            org_unit__path__startswith=org_unit.path,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("org_unit__path", "send_after", "id")
    )


def _receipt_due_at(*, message: OutboxMessage, now: datetime) -> datetime | None:
    """When an unserved letter printed at ``now`` is given up on: its policy step's
    ``fallback_after_minutes`` later, or never."""
    if message.policy is None:
        return None
    minutes = message.policy.steps[message.step_index].get("fallback_after_minutes")
    return None if minutes is None else now + timedelta(minutes=minutes)


@denials_audited
@transaction.atomic
def print_letter_batch(*, actor: Any, org_unit: OrgUnit, now: datetime) -> LetterBatch:
    """Print every due letter of ``org_unit`` and the units below it as one batch: one PDF,
    stored with its SHA-256; each letter moves queued → sent with its page id. The batch is
    numbered ``<org unit code>-<local date>-<number>`` (a number per org unit). Nothing due is
    refused (:class:`NoLettersDue`) and writes nothing.

    The letters stay locked while the PDF renders (a few seconds for hundreds of letters), so
    two print runs never print the same letter."""
    ensure_changeable(
        user=actor, permission=Permission.PRINT_LETTERS, org_unit=org_unit, operation="print_letter_batch"
    )
    letters = list(
        due_letters(org_unit=org_unit, now=now)
        .select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",))
        .select_related("policy")
    )
    if not letters:
        raise NoLettersDue(org_unit=org_unit.name)
    (number,) = reserve_sequence_numbers(name=f"letter_batch:{org_unit.code}")
    batch_no = f"{org_unit.code}-{to_local(now):%Y%m%d}-{number:04d}"
    adapter = configured_letter_adapter(batch_id=batch_no)
    page_ids = [
        adapter.send(
            OutgoingMessage(
                message_id=str(letter.pk),
                channel=ChannelKind.LETTER,
                recipient=letter.address,
                subject=letter.subject,
                body=letter.body,
            )
        ).provider_message_id
        for letter in letters
    ]
    pdf = adapter.render_batch()
    batch = LetterBatch.objects.create(
        batch_no=batch_no,
        org_unit=org_unit,
        created_by=actor,
        created_at=now,
        letter_count=len(letters),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    LetterBatchEntry.objects.bulk_create(
        LetterBatchEntry(batch=batch, message=letter, position=position)
        for position, letter in enumerate(letters, start=1)
    )
    for letter, page_id in zip(letters, page_ids, strict=True):
        move_message(
            message=letter,
            to_state=MessageState.SENT,
            now=now,
            detail=f"printed in batch {batch_no} as {page_id}",
            provider_message_id=page_id,
            sent_at=now,
            receipt_due_at=_receipt_due_at(message=letter, now=now),
            attempts=letter.attempts + 1,
        )
    record_audit_event(
        actor=actor,
        action="print_letter_batch",
        target=batch,
        occurred_at=now,
        changes={"batch_no": batch_no, "letters": len(letters), "pdf_sha256": batch.pdf_sha256},
    )
    return batch


def _minute(moment: datetime) -> str:
    """``moment`` as a refusal names it: Beijing time to the minute."""
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


@denials_audited
@transaction.atomic
def record_letter_served(
    *,
    actor: Any,
    message: OutboxMessage,
    method: ServiceMethod,
    receiver_name: str,
    served_at: datetime,
    note: str,
    now: datetime,
) -> LetterService:
    """Record that the printed letter ``message`` was served at ``served_at`` by ``method``
    (送达方式) to ``receiver_name`` (required when served in person): the letter moves to
    delivered with ``served_at`` as its receipt time. Refused: a message that is not a letter,
    a letter not printed yet or already served, a time of service in the future or before the
    letter was printed."""
    # Only the message row is locked: its org unit may be blank (an outer join).
    locked = (
        OutboxMessage.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=message.pk)
    )
    operation = "record_letter_served"
    if locked.org_unit is None:
        if actor is not None:
            ensure_permission(user=actor, permission=Permission.RECORD_LETTER_SERVED, operation=operation)
            ensure_sees_whole_org_tree(
                user=actor, permission=Permission.RECORD_LETTER_SERVED, operation=operation
            )
    else:
        ensure_changeable(
            user=actor,
            permission=Permission.RECORD_LETTER_SERVED,
            org_unit=locked.org_unit,
            operation=operation,
        )
    if locked.channel != ChannelKind.LETTER:
        raise NotALetter(message_id=locked.pk, channel=locked.channel)
    existing = LetterService.objects.filter(message=locked).first()
    if existing is not None:
        raise LetterAlreadyServed(message_id=locked.pk, served_at=_minute(existing.served_at))
    printed = LetterBatchEntry.objects.filter(message=locked).exists()
    if not printed or locked.sent_at is None or locked.state not in (MessageState.SENT, MessageState.EXPIRED):
        raise LetterNotPrinted(message_id=locked.pk, state=locked.state)
    if served_at > now:
        raise ServedInFuture(field="served_at", served_at=_minute(served_at))
    if served_at < locked.sent_at:
        raise ServedBeforePrinted(
            field="served_at",
            served_at=_minute(served_at),
            printed_at=_minute(locked.sent_at),
        )
    method = ServiceMethod(method)
    receiver_name = receiver_name.strip()
    if method == ServiceMethod.IN_PERSON and not receiver_name:
        raise ReceiverNameRequired(field="receiver_name")
    service = LetterService.objects.create(
        message=locked,
        served_at=served_at,
        served_by=actor,
        method=method,
        receiver_name=receiver_name,
        note=note.strip(),
        recorded_at=now,
    )
    move_message(
        message=locked,
        to_state=MessageState.DELIVERED,
        now=now,
        detail=f"served ({method.value})",
        receipt_at=served_at,
        finished_at=now,
    )
    record_audit_event(
        actor=actor,
        action="record_letter_served",
        target=locked,
        occurred_at=now,
        changes={
            "page": locked.provider_message_id,
            "method": method.value,
            "served_at": served_at.isoformat(),
            "receiver_name": receiver_name,
        },
    )
    return service


@denials_audited
@transaction.atomic
def export_letter_batch(*, actor: Any, batch: LetterBatch, now: datetime) -> bytes:
    """The batch's PDF as it was printed, for download; recorded as an export (the letters
    carry the recipients' names and addresses)."""
    ensure_changeable(
        user=actor,
        permission=Permission.PRINT_LETTERS,
        org_unit=batch.org_unit,
        operation="export_letter_batch",
    )
    pdf = bytes(LetterBatch.objects.values_list("pdf", flat=True).get(pk=batch.pk))
    record_audit_event(
        actor=actor,
        action="export_letter_batch",
        target=batch,
        occurred_at=now,
        changes={"batch_no": batch.batch_no, "letters": batch.letter_count, "pdf_sha256": batch.pdf_sha256},
    )
    return pdf


__all__ = [
    "due_letters",
    "export_letter_batch",
    "move_message",
    "print_letter_batch",
    "record_letter_served",
]
