"""Every state change of the notification service: templates, opt-outs, writing the outbox
(:func:`notify`), dispatching it (:func:`dispatch_due_messages`) and recording receipts
(:func:`record_receipts`).

Delivery guarantee: a message is *claimed* (state ``sending``, a unique claim token) before its
adapter is called, and the result is recorded only under that token, so two dispatchers never
send the same message. A gateway that is down (:class:`ChannelUnavailable`) leaves the message
queued with a backoff. If the process dies between the gateway's answer and the recording, the
claim times out (``NOTIFICATIONS["CLAIM_TIMEOUT_SECONDS"]``) and the message is sent again with
the same ``message_id``: gateways that take it as an idempotency key (SMPP client reference,
WeChat ``client_msg_id``) drop the repeat; for the others delivery is at-least-once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Q

from gridcare.audit.operations import record_audit_event
from gridcare.identity.errors import MobileInvalid
from gridcare.identity.validators import validate_mobile
from gridcare.jobs.models import JobRun, JobStatus
from gridcare.jobs.operations import enqueue
from gridcare.kit.clock import to_local
from gridcare.notifications.channels.base import (
    ChannelAdapter,
    ChannelKind,
    ChannelUnavailable,
    DeliveryReceipt,
    OutgoingMessage,
)
from gridcare.notifications.config import notification_settings
from gridcare.notifications.errors import (
    ContextIncomplete,
    NoDeliveryPolicy,
    NoTemplate,
    UnknownEvent,
    UnsubscribeTokenInvalid,
)
from gridcare.notifications.events import EVENT_TYPES
from gridcare.notifications.models import (
    CallbackNonce,
    DeliveryPolicy,
    MessageEvent,
    MessageState,
    NotificationTemplate,
    OutboxMessage,
    RecipientOptOut,
    TemplateLanguage,
    UnmatchedReceipt,
)
from gridcare.notifications.recipients import Recipient
from gridcare.notifications.rendering import check_template, render_html, render_text

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "gridcare.notifications.unsubscribe"
#: Replies to an SMS that mean "stop sending me messages" (退订 and the carriers' short forms).
SMS_OPT_OUT_REPLIES = frozenset({"退订", "TD", "T", "N", "STOP", "UNSUBSCRIBE"})
#: How long a receipt whose message is not (yet) recorded as sent is kept for it.
UNMATCHED_RECEIPT_LIFETIME = timedelta(days=7)


# Templates -----------------------------------------------------------------------------------


@transaction.atomic
def create_notification_template(
    *,
    actor: Any,
    event: str,
    channel: ChannelKind,
    language: str,
    subject: str,
    body: str,
    html_body: str = "",
    valid_from: datetime,
    now: datetime,
) -> NotificationTemplate:
    """A new version of the template of ``event`` on ``channel`` in ``language``, valid from
    ``valid_from``; the previous open version ends there. A text naming a variable the event
    does not provide is refused (:class:`TemplateUsesUnknownVariable`)."""
    check_template(event=event, texts=(subject, body, html_body))
    previous = (
        NotificationTemplate.objects.select_for_update()
        .filter(event=event, channel=channel, language=language)
        .order_by("-version")
        .first()
    )
    if previous is not None and previous.valid_to is None:
        previous.valid_to = valid_from
        previous.save(update_fields=["valid_to"])
    template = NotificationTemplate.objects.create(
        event=event,
        channel=channel,
        language=language,
        version=(previous.version + 1) if previous else 1,
        valid_from=valid_from,
        subject=subject,
        body=body,
        html_body=html_body,
        created_by=actor,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="create_notification_template",
        target=template,
        occurred_at=now,
        changes={"event": event, "channel": str(channel), "language": language, "version": template.version},
    )
    return template


@transaction.atomic
def create_delivery_policy(
    *,
    actor: Any,
    event: str,
    steps: Sequence[Mapping[str, Any]],
    urgent: bool,
    legally_required: bool,
    valid_from: datetime,
    now: datetime,
) -> DeliveryPolicy:
    """A new version of the delivery policy of ``event`` (see :class:`DeliveryPolicy` for
    ``steps``); the previous open version ends at ``valid_from``."""
    if event not in EVENT_TYPES:
        raise UnknownEvent(field="event", event=event)
    normalized = [
        {
            "channels": [str(ChannelKind(channel)) for channel in step["channels"]],
            "fallback_after_minutes": step.get("fallback_after_minutes"),
        }
        for step in steps
    ]
    previous = DeliveryPolicy.objects.select_for_update().filter(event=event).order_by("-version").first()
    if previous is not None and previous.valid_to is None:
        previous.valid_to = valid_from
        previous.save(update_fields=["valid_to"])
    policy = DeliveryPolicy.objects.create(
        event=event,
        version=(previous.version + 1) if previous else 1,
        valid_from=valid_from,
        steps=normalized,
        urgent=urgent,
        legally_required=legally_required,
        created_at=now,
    )
    record_audit_event(
        actor=actor,
        action="create_delivery_policy",
        target=policy,
        occurred_at=now,
        changes={"event": event, "version": policy.version, "steps": normalized, "urgent": urgent}
        | {"legally_required": legally_required},
    )
    return policy


def current_policy(*, event: str, now: datetime) -> DeliveryPolicy:
    """The policy version of ``event`` valid at ``now``."""
    policy = (
        DeliveryPolicy.objects.filter(event=event, valid_from__lte=now)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=now))
        .order_by("-version")
        .first()
    )
    if policy is None:
        raise NoDeliveryPolicy(event=event)
    return policy


def current_template(*, event: str, channel: str, language: str, now: datetime) -> NotificationTemplate:
    """The template version of ``event`` on ``channel`` valid at ``now`` in ``language``, or in
    Chinese when there is none in ``language``."""
    valid = (
        NotificationTemplate.objects.filter(event=event, channel=channel, valid_from__lte=now)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=now))
        .order_by("-version")
    )
    template = (
        valid.filter(language=language).first() or valid.filter(language=TemplateLanguage.ZH_HANS).first()
    )
    if template is None:
        raise NoTemplate(event=event, channel=channel)
    return template


# Opt-outs ------------------------------------------------------------------------------------


def unsubscribe_token(*, recipient_key: str, channel: ChannelKind) -> str:
    """The signed token of an unsubscribe link (e-mail footers)."""
    return signing.dumps({"recipient": recipient_key, "channel": str(channel)}, salt=UNSUBSCRIBE_SALT)


@transaction.atomic
def opt_out(
    *, recipient_key: str, address: str, channel: ChannelKind | None, source: str, now: datetime
) -> RecipientOptOut:
    """Record that the recipient refuses ``channel`` (every channel when ``None``); the same
    refusal recorded before is returned as it is (a 退订 reply the gateway delivered twice)."""
    # get_or_create re-reads after a concurrent insert hits the unique constraint.
    refusal, created = RecipientOptOut.objects.get_or_create(
        recipient_key=recipient_key,
        address=address,
        channel=str(channel) if channel else "",
        defaults={"source": source, "created_at": now},
    )
    if not created:
        return refusal
    record_audit_event(
        actor=None,
        action="opt_out_of_notifications",
        target=refusal,
        occurred_at=now,
        changes={"recipient_key": recipient_key, "channel": refusal.channel or "*", "source": source},
    )
    return refusal


def _unsubscribe_url(*, recipient_key: str, channel: ChannelKind) -> str:
    """The unsubscribe link of an e-mail to ``recipient_key`` (blank for other channels)."""
    if channel != ChannelKind.EMAIL or not recipient_key:
        return ""
    token = unsubscribe_token(recipient_key=recipient_key, channel=channel)
    return f"{notification_settings().site_url}/notifications/unsubscribe/{token}/"


def opt_out_by_token(*, token: str, now: datetime) -> RecipientOptOut:
    """Opt out as the unsubscribe link ``token`` says; a forged or damaged token is refused."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as error:
        raise UnsubscribeTokenInvalid() from error
    return opt_out(
        recipient_key=data["recipient"],
        address="",
        channel=ChannelKind(data["channel"]),
        source="unsubscribe_link",
        now=now,
    )


def record_sms_reply(*, mobile: str, text: str, now: datetime) -> bool:
    """Handle an incoming SMS from ``mobile`` (as the gateway gives it: ``8613800000005``,
    ``+86…`` or 11 digits): a 退订 reply opts that mainland mobile out of SMS and MMS. Whether
    the reply was an opt-out (a sender that is no mainland mobile is not one)."""
    sender = national_mobile(mobile)
    if sender is None or text.strip().upper() not in SMS_OPT_OUT_REPLIES:
        return False
    with transaction.atomic():
        for channel in (ChannelKind.SMS, ChannelKind.MMS):
            opt_out(recipient_key="", address=sender, channel=channel, source="sms_reply", now=now)
    return True


def national_mobile(number: str) -> str | None:
    """The 11-digit mainland mobile in a gateway's sender number (``86``/``0086``/``+86``
    prefixes removed), or ``None`` when it is none."""
    digits = number.strip().removeprefix("+")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    try:
        return validate_mobile(digits)
    except MobileInvalid:
        return None


#: How far a gateway callback's timestamp may be from our clock.
CALLBACK_WINDOW = timedelta(minutes=5)


def accept_callback_nonce(*, source: str, nonce: str, timestamp: str, now: datetime) -> bool:
    """Whether a signed gateway callback is fresh: its ``timestamp`` (Unix seconds) within
    :data:`CALLBACK_WINDOW` of ``now`` and its ``nonce`` not used before by ``source`` (it is
    recorded now). Nonces older than the window are forgotten."""
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return False
    if not nonce or len(nonce) > 64 or abs(now - sent_at) > CALLBACK_WINDOW:
        return False
    CallbackNonce.objects.filter(seen_at__lt=now - 2 * CALLBACK_WINDOW).delete()
    _, created = CallbackNonce.objects.get_or_create(source=source, nonce=nonce, defaults={"seen_at": now})
    return created


def _opted_out(*, recipient: Recipient, channel: ChannelKind) -> bool:
    address = recipient.addresses.get(channel, "")
    who = Q(recipient_key=recipient.key) if recipient.key else Q(pk__in=[])
    if address:
        who |= Q(address=address)
    return RecipientOptOut.objects.filter(who, Q(channel="") | Q(channel=channel)).exists()


# Writing the outbox --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Delivery:
    policy: DeliveryPolicy
    event: str
    dedupe_key: str
    context: dict[str, str]
    #: Templates looked up during one call, by (channel, language): one query each, not one
    #: per recipient.
    templates: dict[tuple[str, str], NotificationTemplate] = field(default_factory=dict)

    def template(self, *, channel: str, language: str, now: datetime) -> NotificationTemplate:
        key = (channel, language)
        if key not in self.templates:
            self.templates[key] = current_template(
                event=self.event, channel=channel, language=language, now=now
            )
        return self.templates[key]


def next_send_time(*, now: datetime, urgent: bool) -> datetime:
    """When a message written at ``now`` may go: at once if urgent or outside quiet hours, else
    at the end of the quiet hours (local time, Asia/Shanghai)."""
    if urgent:
        return now
    config = notification_settings()
    local = to_local(now)
    start, end = config.quiet_hours_start, config.quiet_hours_end
    clock = local.time()
    quiet = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not quiet:
        return now
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return end_today if end_today > local else end_today + timedelta(days=1)


def _write_step(
    *,
    delivery: _Delivery,
    recipient: Recipient,
    first_step: int,
    fallback_of: OutboxMessage | None,
    now: datetime,
) -> list[OutboxMessage]:
    """The messages of the first step from ``first_step`` with a channel the recipient can be
    reached on and allows (opt-out and consent are ignored for legally required policies)."""
    policy = delivery.policy
    for step_index in range(first_step, len(policy.steps)):
        channels = [
            ChannelKind(channel)
            for channel in policy.steps[step_index]["channels"]
            if recipient.addresses.get(ChannelKind(channel))
            and (
                policy.legally_required
                or (
                    ChannelKind(channel) in recipient.consents
                    and not _opted_out(recipient=recipient, channel=ChannelKind(channel))
                )
            )
        ]
        if channels:
            return [
                _write_message(
                    delivery=delivery,
                    recipient=recipient,
                    step_index=step_index,
                    channel=channel,
                    fallback_of=fallback_of,
                    now=now,
                )
                for channel in channels
            ]
    return []


def _write_message(
    *,
    delivery: _Delivery,
    recipient: Recipient,
    step_index: int,
    channel: ChannelKind,
    fallback_of: OutboxMessage | None,
    now: datetime,
) -> OutboxMessage:
    template = delivery.template(channel=channel, language=recipient.language, now=now)
    context: dict[str, object] = dict(delivery.context)
    context["unsubscribe_url"] = _unsubscribe_url(recipient_key=recipient.key, channel=channel)
    message = OutboxMessage.objects.create(
        event=delivery.event,
        recipient_key=recipient.key,
        dedupe_key=delivery.dedupe_key,
        org_unit_id=recipient.org_unit_id,
        policy=delivery.policy,
        step_index=step_index,
        channel=channel,
        address=recipient.addresses[channel],
        language=template.language,
        template=template,
        subject=render_text(source=template.subject, context=context),
        body=render_text(source=template.body, context=context),
        html_body=render_html(source=template.html_body, context=context),
        # The link itself is kept with the e-mail's data: its List-Unsubscribe header names it.
        context={**delivery.context, "unsubscribe_url": context["unsubscribe_url"]}
        if context["unsubscribe_url"]
        else delivery.context,
        recipient=recipient.as_data(),
        fallback_of=fallback_of,
        created_at=now,
        send_after=next_send_time(now=now, urgent=delivery.policy.urgent),
    )
    detail = f"fallback of #{fallback_of.pk}" if fallback_of else ""
    MessageEvent.objects.create(message=message, occurred_at=now, to_state=MessageState.QUEUED, detail=detail)
    return message


@transaction.atomic
def notify(
    *,
    event: str,
    recipients: Iterable[Recipient],
    context: Mapping[str, object],
    now: datetime,
    dedupe_key: str,
) -> list[OutboxMessage]:
    """Write the first policy step's messages of ``event`` for each recipient to the outbox, in
    the caller's transaction, rendered with ``context`` (the event's variables, same for every
    recipient; per-recipient values come from separate calls). A recipient who already has a
    message of this event and ``dedupe_key`` gets nothing new. The written messages."""
    event_type = EVENT_TYPES.get(event)
    if event_type is None:
        raise UnknownEvent(field="event", event=event)
    missing = sorted(event_type.variables - context.keys())
    if missing:
        raise ContextIncomplete(event=event, variables=", ".join(missing))
    delivery = _Delivery(
        policy=current_policy(event=event, now=now),
        event=event,
        dedupe_key=dedupe_key,
        context={name: str(value) for name, value in context.items() if name in event_type.variables},
    )
    written: list[OutboxMessage] = []
    recipient_count = 0
    for recipient in recipients:
        recipient_count += 1
        if OutboxMessage.objects.filter(
            event=event, recipient_key=recipient.key, dedupe_key=dedupe_key
        ).exists():
            continue
        written += _write_step(
            delivery=delivery, recipient=recipient, first_step=0, fallback_of=None, now=now
        )
    record_audit_event(
        actor=None,
        action="notify",
        target=None,
        object_type="notifications.event",
        object_id=f"{event}:{dedupe_key}",
        occurred_at=now,
        changes={"event": event, "policy_version": delivery.policy.version}
        | {"recipients": recipient_count, "messages": len(written)},
    )
    if written:
        _wake_dispatcher(now=now)
    return written


@transaction.atomic
def queue_composed_message(
    *, event: str, recipient: Recipient, channel: ChannelKind, body: str, lifetime: timedelta, now: datetime
) -> OutboxMessage:
    """Queue a text the caller composed itself, outside any policy: urgent (no quiet hours),
    not subject to opt-out (one-time codes the recipient just asked for), expiring after
    ``lifetime``. Each call is a new message (its dedupe key is random)."""
    message = OutboxMessage.objects.create(
        event=event,
        recipient_key=recipient.key,
        dedupe_key=uuid.uuid4().hex,
        org_unit_id=recipient.org_unit_id,
        step_index=0,
        channel=channel,
        address=recipient.addresses[channel],
        language=recipient.language,
        body=body,
        recipient=recipient.as_data(),
        created_at=now,
        send_after=now,
        expires_at=now + lifetime,
    )
    MessageEvent.objects.create(
        message=message, occurred_at=now, to_state=MessageState.QUEUED, detail="composed"
    )
    _wake_dispatcher(now=now)
    return message


def _wake_dispatcher(*, now: datetime) -> None:
    """Queue a dispatch run for when the caller's transaction commits, so new messages (a
    one-time code above all) go out at once instead of at the next periodic dispatch."""
    # Imported here: the task module imports this one (it calls dispatch_due_messages).
    from gridcare.notifications.tasks import dispatch_notifications

    def wake() -> None:
        # A run that has not started yet will send these too: a burst of notifications (or
        # of one-time codes) wakes one run, not one gateway session each.
        waiting = JobRun.objects.filter(task_path=dispatch_notifications.module_path, status=JobStatus.READY)
        if not waiting.exists():
            enqueue(dispatch_notifications, now=now)

    transaction.on_commit(wake)


# Dispatching ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DispatchSummary:
    """What one dispatch call did: messages handed to gateways and accepted, refused, left
    queued because a gateway was down, expired, and fallback messages written."""

    sent: int
    failed: int
    deferred: int
    expired: int
    fallbacks: int

    @property
    def claimed(self) -> int:
        """Messages this call took from the queue (sent, refused or deferred)."""
        return self.sent + self.failed + self.deferred


def _transition(
    *, message: OutboxMessage, to_state: str, now: datetime, detail: str = "", **changes: Any
) -> None:
    from_state = message.state
    message.state = to_state
    for name, value in changes.items():
        setattr(message, name, value)
    message.save(update_fields=["state", *changes])
    MessageEvent.objects.create(
        message=message, occurred_at=now, from_state=from_state, to_state=to_state, detail=detail
    )


def _write_fallback(*, message: OutboxMessage, now: datetime) -> int:
    """Write the next policy step after ``message`` (once per step, even when several parallel
    messages of the step fail). The number of messages written."""
    if message.policy is None or message.fallback_created:
        return 0
    OutboxMessage.objects.filter(pk=message.pk).update(fallback_created=True)
    message.fallback_created = True
    later_exists = OutboxMessage.objects.filter(
        event=message.event,
        recipient_key=message.recipient_key,
        dedupe_key=message.dedupe_key,
        step_index__gt=message.step_index,
    ).exists()
    if later_exists:
        return 0
    delivery = _Delivery(
        policy=message.policy, event=message.event, dedupe_key=message.dedupe_key, context=message.context
    )
    written = _write_step(
        delivery=delivery,
        recipient=Recipient.from_data(message.recipient),
        first_step=message.step_index + 1,
        fallback_of=message,
        now=now,
    )
    return len(written)


def _advance_waiting_messages(*, now: datetime) -> tuple[int, int]:
    """Expire queued messages past their lifetime and sent messages whose receipt is overdue
    (writing their fallback), and give timed-out claims back to the queue. (expired, fallbacks)"""
    expired = fallbacks = 0
    with transaction.atomic():
        for message in OutboxMessage.objects.select_for_update().filter(
            state=MessageState.QUEUED, expires_at__lte=now
        ):
            _transition(
                message=message,
                to_state=MessageState.EXPIRED,
                now=now,
                detail="lifetime over",
                finished_at=now,
            )
            expired += 1
        stale_claims = OutboxMessage.objects.select_for_update().filter(
            state=MessageState.SENDING, claimed_at__lte=now - notification_settings().claim_timeout
        )
        for message in stale_claims:
            _transition(
                message=message,
                to_state=MessageState.QUEUED,
                now=now,
                detail="claim timed out: sent again with the same message id (at-least-once)",
                claim_token="",
                send_after=now,
            )
        overdue = OutboxMessage.objects.select_for_update().filter(
            state=MessageState.SENT, receipt_due_at__lte=now, fallback_created=False
        )
        for message in overdue:
            policy_steps = message.policy.steps if message.policy else []
            minutes = policy_steps[message.step_index]["fallback_after_minutes"] if policy_steps else 0
            _transition(
                message=message,
                to_state=MessageState.EXPIRED,
                now=now,
                detail=f"no receipt within {minutes} minutes",
                finished_at=now,
            )
            expired += 1
            fallbacks += _write_fallback(message=message, now=now)
        fallbacks += _apply_kept_receipts(now=now)
        UnmatchedReceipt.objects.filter(received_at__lt=now - UNMATCHED_RECEIPT_LIFETIME).delete()
    return expired, fallbacks


def _apply_kept_receipts(*, now: datetime) -> int:
    """Apply kept receipts whose messages are now recorded as sent: a receipt kept while its
    message's recording was still uncommitted in another transaction (a gateway calling back
    within milliseconds) is applied here. The number of fallback messages written."""
    recorded = OutboxMessage.objects.filter(state__in=[MessageState.SENT, MessageState.EXPIRED]).exclude(
        provider_message_id=""
    )
    kept = UnmatchedReceipt.objects.select_for_update().filter(
        provider_message_id__in=recorded.values("provider_message_id")
    )
    fallbacks = 0
    for receipt in kept.order_by("received_at", "id"):
        message = (
            recorded.select_for_update()
            .filter(provider_message_id=receipt.provider_message_id)
            .order_by("-sent_at", "-id")
            .first()
        )
        if message is not None:
            fallbacks += _apply_unmatched_receipt(message=message, kept=receipt, now=now)
    return fallbacks


def _claim_due_messages(*, channels: Iterable[ChannelKind], now: datetime, limit: int) -> list[OutboxMessage]:
    """Claim up to ``limit`` due queued messages of ``channels`` within each channel's rate
    limit: state ``sending`` under a fresh claim token. Rows are locked and locked rows
    skipped (PostgreSQL), or the transaction is IMMEDIATE (SQLite), so no two dispatchers
    claim the same message."""
    config = notification_settings()
    token = uuid.uuid4().hex
    claimed_ids: list[int] = []
    with transaction.atomic():
        for channel in channels:
            room = limit - len(claimed_ids)
            rate_limit = config.rate_limits_per_minute.get(str(channel))
            if rate_limit is not None:
                recent = OutboxMessage.objects.filter(
                    Q(sent_at__gt=now - timedelta(minutes=1)) | Q(state=MessageState.SENDING), channel=channel
                ).count()
                room = min(room, max(rate_limit - recent, 0))
            if room <= 0:
                continue
            due = (
                OutboxMessage.objects.select_for_update(
                    skip_locked=connection.features.has_select_for_update_skip_locked
                )
                .filter(state=MessageState.QUEUED, channel=channel, send_after__lte=now)
                .order_by("send_after", "id")
                .values_list("pk", flat=True)[:room]
            )
            claimed_ids += list(due)
        OutboxMessage.objects.filter(pk__in=claimed_ids, state=MessageState.QUEUED).update(
            state=MessageState.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
        MessageEvent.objects.bulk_create(
            MessageEvent(
                message_id=pk,
                occurred_at=now,
                from_state=MessageState.QUEUED,
                to_state=MessageState.SENDING,
                detail=f"claimed {token}",
            )
            for pk in claimed_ids
        )
    return list(OutboxMessage.objects.filter(claim_token=token, state=MessageState.SENDING).order_by("id"))


def _receipt_due_at(*, message: OutboxMessage, now: datetime) -> datetime | None:
    """When the fallback of ``message``, sent at ``now``, is written if no receipt came."""
    if message.policy is None:
        return None
    minutes = message.policy.steps[message.step_index].get("fallback_after_minutes")
    return None if minutes is None else now + timedelta(minutes=minutes)


def _backoff(*, attempts: int) -> timedelta:
    steps = notification_settings().retry_backoff
    return steps[min(attempts, len(steps)) - 1]


def _headers(*, message: OutboxMessage) -> dict[str, str]:
    """Channel headers of ``message``: an e-mail names its unsubscribe link (RFC 2369), so mail
    clients offer it beside the one in the text."""
    url = message.context.get("unsubscribe_url", "")
    return {"List-Unsubscribe": f"<{url}>"} if url else {}


def dispatch_due_messages(
    *, adapters: Mapping[ChannelKind, ChannelAdapter], now: datetime, limit: int = 100
) -> DispatchSummary:
    """Send up to ``limit`` due queued messages through ``adapters`` (one per channel kind)
    and record each result; first expire overdue messages and write their fallbacks. The
    jobs worker calls this periodically. See the module docstring for the guarantees."""
    expired, fallbacks = _advance_waiting_messages(now=now)
    sent = failed = deferred = 0
    for message in _claim_due_messages(channels=adapters, now=now, limit=limit):
        outgoing = OutgoingMessage(
            message_id=str(message.pk),
            channel=ChannelKind(message.channel),
            recipient=message.address,
            subject=message.subject,
            body=message.body,
            html_body=message.html_body,
            headers=_headers(message=message),
        )
        try:
            result = adapters[ChannelKind(message.channel)].send(outgoing)
        except Exception as error:  # an adapter's bug must not strand the rest of the batch
            if not isinstance(error, ChannelUnavailable):
                logger.exception("Adapter %s failed on message %s", message.channel, message.pk)
            with transaction.atomic():
                _transition(
                    message=message,
                    to_state=MessageState.QUEUED,
                    now=now,
                    detail=f"gateway unavailable: {error}"
                    if isinstance(error, ChannelUnavailable)
                    else f"adapter error {type(error).__name__}: {error}",
                    claim_token="",
                    send_after=now + _backoff(attempts=message.attempts),
                    last_error=str(error),
                )
            deferred += 1
            continue
        with transaction.atomic():
            if result.accepted:
                _transition(
                    message=message,
                    to_state=MessageState.SENT,
                    now=now,
                    detail=f"accepted as {result.provider_message_id}",
                    provider_message_id=result.provider_message_id,
                    sent_at=now,
                    receipt_due_at=_receipt_due_at(message=message, now=now),
                )
                fallbacks += _apply_unmatched_receipt(message=message, now=now)
                sent += 1
            else:
                _transition(
                    message=message,
                    to_state=MessageState.FAILED,
                    now=now,
                    detail=f"refused: {result.error}",
                    last_error=result.error,
                    finished_at=now,
                )
                failed += 1
                fallbacks += _write_fallback(message=message, now=now)
    return DispatchSummary(sent=sent, failed=failed, deferred=deferred, expired=expired, fallbacks=fallbacks)


@transaction.atomic
def record_receipts(
    *, receipts: Iterable[DeliveryReceipt], now: datetime, channels: Collection[ChannelKind] | None = None
) -> int:
    """Apply delivery receipts (from an adapter's ``collect_receipts``) to the messages with
    their provider ids: delivered, or failed (writing the fallback step). A late receipt of a
    message already expired for silence still records its delivery. A receipt whose message is
    not recorded as sent yet is kept (:class:`UnmatchedReceipt`) and applied when it is; a
    repeated receipt of a finished message is ignored, and so is one without a provider id.
    ``channels``: the channels the gateway that sent the receipts serves (its ids are its own).
    The number applied now."""
    applied = 0
    for receipt in receipts:
        if not receipt.provider_message_id:
            continue
        candidates = OutboxMessage.objects.select_for_update().filter(
            provider_message_id=receipt.provider_message_id,
            state__in=[MessageState.SENT, MessageState.EXPIRED],
        )
        if channels is not None:
            candidates = candidates.filter(channel__in=[str(channel) for channel in channels])
        message = candidates.order_by("-sent_at", "-id").first()
        if message is not None:
            _apply_receipt(message=message, receipt=receipt, now=now)
            applied += 1
            continue
        finished = OutboxMessage.objects.filter(
            provider_message_id=receipt.provider_message_id,
            state__in=[MessageState.DELIVERED, MessageState.FAILED],
        )
        if not finished.exists():
            UnmatchedReceipt.objects.create(
                provider_message_id=receipt.provider_message_id,
                delivered=receipt.delivered,
                error=receipt.error,
                received_at=receipt.received_at,
            )
    return applied


def _apply_receipt(*, message: OutboxMessage, receipt: DeliveryReceipt, now: datetime) -> int:
    """Record ``receipt`` on ``message``; the number of fallback messages written."""
    if receipt.delivered:
        _transition(
            message=message,
            to_state=MessageState.DELIVERED,
            now=now,
            detail="delivery receipt",
            receipt_at=receipt.received_at,
            finished_at=now,
        )
        return 0
    _transition(
        message=message,
        to_state=MessageState.FAILED,
        now=now,
        detail=f"failure receipt: {receipt.error}",
        receipt_at=receipt.received_at,
        last_error=receipt.error,
        finished_at=now,
    )
    return _write_fallback(message=message, now=now)


def _apply_unmatched_receipt(
    *, message: OutboxMessage, now: datetime, kept: UnmatchedReceipt | None = None
) -> int:
    """Apply ``kept`` (or the receipt kept for ``message``'s provider id, if there is one) to
    ``message``, just recorded as sent; the number of fallback messages written."""
    if kept is None:
        kept = (
            UnmatchedReceipt.objects.select_for_update()
            .filter(provider_message_id=message.provider_message_id)
            .order_by("received_at", "id")
            .first()
        )
    if kept is None:
        return 0
    kept.delete()
    receipt = DeliveryReceipt(
        provider_message_id=kept.provider_message_id,
        delivered=kept.delivered,
        received_at=kept.received_at,
        error=kept.error,
    )
    return _apply_receipt(message=message, receipt=receipt, now=now)
