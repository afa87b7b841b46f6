"""Users. Staff users are bound to one OrgUnit; portal users (网上营业厅) are bound to none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.identity.fields import EncryptedTextField, PiiHashField
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
    # Personal data: encrypted at rest, found by its keyed hash (ADR 0004).
    mobile = EncryptedTextField(_("mobile"), max_length=20, blank=True)
    mobile_hash = PiiHashField(
        _("mobile hash"), source="mobile", kind="mobile", blank=True, default="", db_index=True
    )
    # Staff authentication (issue 3): password age and forced change.
    password_changed_at = models.DateTimeField(
        _("password changed at"),
        null=True,
        blank=True,
        help_text=_("When the password was last set; its age counts from joining when empty."),
    )
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_("Set for a new user and after an administrator resets the password."),
    )

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


# --- Portal (网上营业厅) one-time codes and rate limits ------------------------------------


class OneTimeCodePurpose(models.TextChoices):
    PORTAL_LOGIN = "portal_login", _("Portal login")
    PORTAL_REGISTRATION = "portal_registration", _("Portal registration")
    # Issue 4: a portal user confirms a new mobile with a code sent to it.
    CONFIRM_MOBILE_CHANGE = "confirm_mobile_change", _("Confirm a mobile change")


class OneTimeCode(models.Model):
    """A 6-digit code sent to a mobile, stored only as a keyed hash.

    The mobile is kept as a keyed digest too, never in plain text. A login code names the
    portal user it logs in; a code nobody received (the mobile has no portal login) names none,
    so a stranger probing a mobile number meets the same behaviour either way.
    """

    purpose = models.CharField(_("purpose"), max_length=32, choices=OneTimeCodePurpose.choices)
    mobile_digest = models.CharField(_("mobile digest"), max_length=64)
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="onetimecode_expires_after_creation",
                violation_error_message=_("A one-time code must expire after it is created."),
            ),
        ]
        indexes = [models.Index(fields=["purpose", "mobile_digest", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M:%S}"


class RateLimitHit(models.Model):
    """One counted event (a code request, a failed login or binding) for a rate limit.

    Kept in the database so every server process counts the same events. The key (a mobile,
    an IP address, a user id) is kept as a keyed digest.
    """

    scope = models.CharField(_("scope"), max_length=64)
    key_digest = models.CharField(_("key digest"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred at"))

    class Meta:
        verbose_name = _("rate limit hit")
        verbose_name_plural = _("rate limit hits")
        indexes = [models.Index(fields=["scope", "key_digest", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.occurred_at:%Y-%m-%d %H:%M:%S}"


# --- Staff authentication: password age, forced change and history (issue 3, item 1) ---


class PasswordHistory(models.Model):
    """A password hash a user held, so that the last few cannot be chosen again."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("password hash"), max_length=128)
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("password history entry")
        verbose_name_plural = _("password history")
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["user", "-set_at"], name="passwordhistory_user_set_at")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.set_at:%Y-%m-%d %H:%M}"


# --- integrations (API tokens, request signing) ------------------------------------------------
# Appended by the integrations part of issue 3; see gridcare.identity.integrations.


class IntegrationKind(models.TextChoices):
    BANK = "bank", _("Bank")
    AMI = "ami", _("AMI collection system (用电信息采集)")
    SMS_GATEWAY = "sms_gateway", _("SMS gateway")
    PAYMENT_PROVIDER = "payment_provider", _("Payment provider")


class Integration(models.Model):
    """An outside system (bank, AMI collection, SMS gateway, payment provider) that calls the
    API with a token and signs its requests and files with its HMAC key.

    It acts through its own service user, bound to ``org_unit``: every read goes through
    ``visible_to(service_user)``, so it sees that unit's subtree only. What it may call is
    ``scopes`` (see :class:`gridcare.identity.integrations.ApiScope`), not roles.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=IntegrationKind.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    service_user = models.OneToOneField(
        User, verbose_name=_("service user"), on_delete=models.PROTECT, related_name="integration"
    )
    # The HMAC-SHA256 key of request and file signatures: a secret the server must read back,
    # so it is encrypted at rest with the personal-data key ring (rotated with it by
    # `gridcare pii rotate-key`). Read it only through integrations.integration_signing_key.
    signing_key = EncryptedTextField(_("signing key"), max_length=128)
    signing_key_hash = PiiHashField(
        _("signing key hash"), source="signing_key", kind="signing_key", blank=True, default=""
    )
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"^[a-z0-9][a-z0-9-]*$"),
                name="integration_name_slug",
                violation_error_message=_(
                    "An integration name holds lowercase letters, digits and hyphens only."
                ),
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True) | Q(is_active=False),
                name="integration_revoked_is_inactive",
                violation_error_message=_("A revoked integration cannot be active."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token of an integration: ``<token_id>.<secret>``. Only a keyed hash of the
    secret is stored; the token id finds the row in one indexed lookup."""

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.PROTECT, related_name="tokens"
    )
    token_id = models.CharField(_("token id"), max_length=32, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["integration", "-created_at"]

    def __str__(self) -> str:
        return self.token_id


class ApiNonce(models.Model):
    """A request nonce an integration has used: a second request with it is a replay. Nonces
    older than the signature window are purged (a request that old is refused anyway)."""

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.CASCADE, related_name="+"
    )
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("API nonce")
        verbose_name_plural = _("API nonces")
        constraints = [
            models.UniqueConstraint(fields=["integration", "nonce"], name="apinonce_once_per_integration"),
        ]
        indexes = [models.Index(fields=["integration", "seen_at"])]

    def __str__(self) -> str:
        return self.nonce


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
