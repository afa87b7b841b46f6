"""Notification tables: versioned templates and delivery policies, opt-outs, the outbox and
each outbox message's history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.notifications.channels.base import ChannelKind
from gridcare.notifications.rendering import check_template
from gridcare.organization.models import OrgScopedQuerySet

CHANNEL_CHOICES = [(kind.value, kind.value) for kind in ChannelKind]


class TemplateLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class NotificationTemplate(models.Model):
    """One version of the text of an event on a channel in a language, valid over
    ``[valid_from, valid_to)``. A message keeps the version it was rendered with; a change is a
    new version, never an edit of one in use."""

    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=CHANNEL_CHOICES)
    language = models.CharField(_("language"), max_length=8, choices=TemplateLanguage.choices)
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["event", "channel", "language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "language", "version"], name="notification_template_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event}/{self.channel}/{self.language} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Refused at save, wherever the save comes from (admin, operation, shell): a template
        # naming a variable its event does not provide never reaches the outbox.
        check_template(event=self.event, texts=(self.subject, self.body, self.html_body))
        super().save(*args, **kwargs)


class DeliveryPolicy(models.Model):
    """How one event reaches a recipient (one version, valid over ``[valid_from, valid_to)``).

    ``steps`` is data: a list of ``{"channels": [...], "fallback_after_minutes": N | null}``,
    tried in order. The channels of one step are sent in parallel (e-mail and SMS both); a
    message of a step that fails, or gets no receipt within ``fallback_after_minutes``, is
    followed once by the next step. ``urgent`` messages ignore quiet hours;
    ``legally_required`` messages (disconnection notices) are sent despite an opt-out — the
    exception is this explicit flag, nothing else."""

    event = models.CharField(_("event"), max_length=64)
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    steps = models.JSONField(_("steps"))
    urgent = models.BooleanField(_("urgent"), default=False)
    legally_required = models.BooleanField(_("legally required"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("delivery policy")
        verbose_name_plural = _("delivery policies")
        ordering = ["event", "-version"]
        constraints = [models.UniqueConstraint(fields=["event", "version"], name="delivery_policy_version")]

    def __str__(self) -> str:
        return f"{self.event} v{self.version}"


class RecipientOptOut(models.Model):
    """A recipient's refusal of a channel (or of every channel when ``channel`` is blank),
    keyed by the opaque recipient key the caller uses and/or the address it came from (a
    退订 SMS reply names only a mobile)."""

    recipient_key = models.CharField(_("recipient key"), max_length=64, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=254, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=CHANNEL_CHOICES, blank=True)
    source = models.CharField(_("source"), max_length=32)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at"]
        constraints = [
            # One row per refusal: a 退订 reply delivered twice, or handled by two workers, is one.
            models.UniqueConstraint(
                fields=["recipient_key", "address", "channel"], name="recipient_opt_out_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_key or '-'} {self.channel or '*'}"


class MessageState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


class OutboxMessage(models.Model):
    """One message to one recipient on one channel of one policy step, rendered when it was
    written (the template version is kept). Written in the caller's transaction by
    :func:`gridcare.notifications.operations.notify`; sent by the dispatcher."""

    event = models.CharField(_("event"), max_length=64)
    recipient_key = models.CharField(_("recipient key"), max_length=64)
    dedupe_key = models.CharField(_("deduplication key"), max_length=128)
    org_unit = models.ForeignKey(
        "organization.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: Blank for messages sent outside a policy (one-time codes: one urgent SMS, no opt-out).
    policy = models.ForeignKey(
        DeliveryPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    step_index = models.PositiveSmallIntegerField(_("step"))
    channel = models.CharField(_("channel"), max_length=16, choices=CHANNEL_CHOICES)
    address = models.CharField(_("address"), max_length=254)
    language = models.CharField(_("language"), max_length=8, choices=TemplateLanguage.choices)
    #: Blank for text composed by the caller (one-time codes arrive composed by identity.otp).
    template = models.ForeignKey(
        NotificationTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    #: The context the body was rendered with, kept so a fallback step renders the same data.
    context = models.JSONField(_("context"), default=dict)
    #: The recipient as the caller described it (addresses, consents, language), so a fallback
    #: step reaches the same recipient without asking the caller again.
    recipient = models.JSONField(_("recipient"), default=dict)
    #: The message whose failure or silence this one follows (the fallback path).
    fallback_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="fallbacks"
    )
    fallback_created = models.BooleanField(_("fallback created"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=MessageState.choices, default=MessageState.QUEUED
    )
    created_at = models.DateTimeField(_("created at"))
    send_after = models.DateTimeField(_("send after"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    #: When a sent message without a receipt is given up on and its fallback written (the
    #: policy step's ``fallback_after_minutes`` after sending); blank when the step has none.
    receipt_due_at = models.DateTimeField(_("receipt due at"), null=True, blank=True)
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The deduplication guard: one message per event, recipient, key, step and channel.
            models.UniqueConstraint(
                fields=["event", "recipient_key", "dedupe_key", "step_index", "channel"],
                name="outbox_message_dedupe",
            )
        ]
        indexes = [
            models.Index(fields=["state", "send_after"], name="outbox_due"),
            models.Index(fields=["state", "receipt_due_at"], name="outbox_receipt_due"),
            models.Index(fields=["channel", "sent_at"], name="outbox_channel_sent"),
            models.Index(fields=["channel", "provider_message_id"], name="outbox_provider_id"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event} {self.channel} {self.state}"


class MessageEvent(models.Model):
    """One transition of an outbox message (queued, claimed, sent, retried, delivered, …)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="history")
    occurred_at = models.DateTimeField(_("occurred at"))
    from_state = models.CharField(_("from state"), max_length=16, blank=True)
    to_state = models.CharField(_("to state"), max_length=16)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.from_state}→{self.to_state}"


class UnmatchedReceipt(models.Model):
    """A delivery receipt that arrived before its message was recorded as sent (another
    dispatcher's session took it, or its sender died between the gateway's answer and the
    recording). Kept until the message with that provider id is recorded as sent, then applied
    to it, so no receipt is lost and no fallback is written for a message that was delivered."""

    provider_message_id = models.CharField(_("provider message id"), max_length=128, db_index=True)
    delivered = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("unmatched receipt")
        verbose_name_plural = _("unmatched receipts")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.provider_message_id} {'delivered' if self.delivered else 'failed'}"


# Letters (issue 4) -------------------------------------------------------------------------------


class LetterBatch(models.Model):
    """One print run of letters (paper notices such as 停电通知书) of an org unit and the units
    below it: the PDF printed, kept as it was printed, and its SHA-256. Each letter of the
    batch is a :class:`LetterBatchEntry`; its message's ``provider_message_id`` is its page id
    (``<batch_no>-p<position>``)."""

    batch_no = models.CharField(_("batch number"), max_length=64, unique=True)
    org_unit = models.ForeignKey(
        "organization.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    letter_count = models.PositiveIntegerField(_("letters"))
    pdf = models.BinaryField(_("PDF"))
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter batch")
        verbose_name_plural = _("letter batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.batch_no


class LetterBatchEntry(models.Model):
    """A letter's place in its batch (``position`` is 1-based, the page id's number). A letter
    is printed in one batch only."""

    batch = models.ForeignKey(LetterBatch, on_delete=models.PROTECT, related_name="entries")
    message = models.OneToOneField(OutboxMessage, on_delete=models.PROTECT, related_name="letter_entry")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        verbose_name = _("letter of a batch")
        verbose_name_plural = _("letters of a batch")
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="letter_batch_entry_position")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} p{self.position}"


class ServiceMethod(models.TextChoices):
    """How a letter was served (送达方式)."""

    IN_PERSON = "in_person", _("Served in person")  # 直接送达
    LEFT_AT_PREMISES = "left_at_premises", _("Left at the premises")  # 留置送达
    POSTED = "posted", _("Posted at the premises")  # 张贴
    REGISTERED_MAIL = "registered_mail", _("Registered mail")  # 邮寄 (挂号信)


class LetterService(models.Model):
    """The service of one printed letter, recorded by the staff member who served it (or saw
    it served): when, how, and who received it. Recorded once per letter."""

    message = models.OneToOneField(OutboxMessage, on_delete=models.PROTECT, related_name="letter_service")
    served_at = models.DateTimeField(_("served at"))
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(_("service method"), max_length=24, choices=ServiceMethod.choices)
    receiver_name = models.CharField(_("received by"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("letter service")
        verbose_name_plural = _("letter services")
        ordering = ["-served_at", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.method} {self.served_at:%Y-%m-%d}"


class CallbackNonce(models.Model):
    """A nonce a gateway callback used (WeChat signs only its query string, so a signed URL
    could otherwise be replayed with another body): each is accepted once within the window."""

    source = models.CharField(_("source"), max_length=32)
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"), db_index=True)

    class Meta:
        verbose_name = _("callback nonce")
        verbose_name_plural = _("callback nonces")
        constraints = [models.UniqueConstraint(fields=["source", "nonce"], name="callback_nonce_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.nonce}"
