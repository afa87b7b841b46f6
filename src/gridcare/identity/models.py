"""Users. Staff users are bound to one OrgUnit; portal users (网上营业厅) are bound to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.organization.models import OrgScopedQuerySet, OrgUnit


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    PORTAL = "portal", _("Portal customer")


class Role(models.TextChoices):
    """The marketing department's roles, seeded as auth groups named with these values."""

    BUSINESS_EXPANSION_CLERK = "业扩受理员", _("Business expansion clerk")
    METER_READER = "抄表员", _("Meter reader")
    BILLING_CLERK = "核算员", _("Billing clerk")
    CASHIER = "收费员", _("Cashier")
    ACCOUNT_MANAGER = "客户经理", _("Account manager")
    USAGE_INSPECTOR = "用电检查员", _("Usage inspector")
    SERVICE_DESK_AGENT = "95598座席", _("95598 service desk agent")
    MARKETING_SUPERVISOR = "营销主管", _("Marketing supervisor")
    AUDITOR = "审计员", _("Auditor")
    SYSTEM_ADMINISTRATOR = "系统管理员", _("System administrator")


class User(AbstractUser):
    """A person who logs in: marketing staff (bound to an org unit) or a portal customer."""

    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=UserKind.PORTAL, org_unit__isnull=True, is_staff=False)
                | Q(kind=UserKind.STAFF),
                name="user_portal_users_have_no_org_unit",
                violation_error_message=_("A portal customer cannot be bound to an org unit or be staff."),
            ),
        ]

    def roles(self) -> list[str]:
        """Names of the role groups this user holds."""
        return sorted(self.groups.values_list("name", flat=True))


# --- access (issue 3): four-eyes approvals (双人复核) --------------------------------------


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    #: Approved and not yet used: a grant (e.g. one unmasked export) waiting for its one use.
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")
    #: Approved and carried out (at once for most kinds; a grant when it was used).
    EXECUTED = "executed", _("Executed")


class ApprovalRequest(models.Model):
    """A sensitive operation waiting for a second user's approval (双人复核).

    ``kind`` names an entry of the registry in :mod:`gridcare.identity.approvals`, which says
    who may request and approve it and what approval does with ``payload``. The request
    belongs to ``org_unit``: its approver's org subtree must hold it. The approver is never
    the requester (also a database constraint).
    """

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        "identity.User", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    justification = models.CharField(_("justification"), max_length=500)
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        "identity.User",
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="approvalrequest_four_eyes",
                violation_error_message=_("A request cannot be decided by its requester."),
            ),
            models.CheckConstraint(
                condition=Q(status=ApprovalStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=ApprovalStatus.PENDING) & Q(decided_at__isnull=False)),
                name="approvalrequest_decided_unless_pending",
                violation_error_message=_("A request is decided exactly when it is no longer pending."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.status})"
