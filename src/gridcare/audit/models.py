"""Append-only, hash-chained audit events and the chain head that serializes their writers.

The application never updates or deletes an event (the model and its queryset refuse it; on
PostgreSQL a trigger refuses it too, on SQLite a trigger refuses updates). Each event holds the
hash of the one before it (see :mod:`gridcare.audit.chain`), so ``gridcare audit verify`` finds
any row edited, deleted or reordered behind the application's back.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.audit.errors import AuditEventImmutable
from gridcare.organization.models import OrgScopedQuerySet


class AuditEventQuerySet(OrgScopedQuerySet):
    """Org-scoped reads; bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable()

    def delete(self) -> NoReturn:
        raise AuditEventImmutable()


class AuditEvent(models.Model):
    """One state change: who did what to which record, when, and what changed."""

    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    org_unit = models.ForeignKey(
        "organization.OrgUnit",
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict)
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    # --- request context (issue 3 hardening): where the change came from --------------------
    # The format the row's hash was taken in (see gridcare.audit.chain): 1 for rows written
    # before these columns existed, which hold no request context.
    chain_format = models.PositiveSmallIntegerField(_("chain format"), default=1)
    # The actor's own org unit when the event was recorded (org_unit is the record's).
    acting_org_unit = models.ForeignKey(
        "organization.OrgUnit",
        verbose_name=_("acting org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # "http" for a web request, "command:<name>" for a gridcare command; empty when unknown.
    source = models.CharField(_("source"), max_length=100, blank=True)

    # Events without an org unit (org tree changes, portal users) are visible to superusers only.
    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new event; an existing event is never saved again."""
        if not self._state.adding:
            raise AuditEventImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable()


class AuditChainHead(models.Model):
    """The single row holding the chain's last sequence and hash. Appending an event locks it
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions serialize writers),
    so two transactions can never link to the same predecessor."""

    sequence = models.PositiveBigIntegerField(_("sequence"), default=0)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"{self.sequence} {self.hash}"
