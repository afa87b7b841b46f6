"""The customer file (客户档案): thin tables with their database constraints.

Validation that SQL cannot express (身份证号 and 统一社会信用代码 checksums, the 户号 check digit,
GB/T 4754 codes) lives in :mod:`gridcare.customers.validators` and is run by the model's
``clean`` (admin, forms) and by every operation and import.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridcare.customers import validators
from gridcare.identity.fields import EncryptedTextField, PiiHashField
from gridcare.organization.models import OrgScopedQuerySet, org_unit_field


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ENTERPRISE = "enterprise", _("Enterprise")


class Customer(models.Model):
    """A person (identified by 身份证号) or an enterprise (by 统一社会信用代码)."""

    org_unit = org_unit_field()
    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # Personal data: encrypted at rest, found and kept unique by its keyed hash (ADR 0004).
    id_number = EncryptedTextField(
        _("resident ID number"),
        max_length=18,
        null=True,
        blank=True,
        validators=[validators.validate_id_number_field],
    )
    id_number_hash = PiiHashField(
        _("resident ID number hash"), source="id_number", kind="id_number", null=True
    )
    # The 统一社会信用代码 stays plaintext: it identifies a company, not a person, and is public
    # (printed on the business licence and listed in the national credit register).
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        null=True,
        blank=True,
        validators=[validators.validate_credit_code_field],
    )
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["customer_no"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=CustomerKind.PERSON, id_number__isnull=False, credit_code__isnull=True)
                    | Q(kind=CustomerKind.ENTERPRISE, credit_code__isnull=False, id_number__isnull=True)
                ),
                name="customer_identity_matches_kind",
                violation_error_message=_(
                    "A person needs a resident ID number and an enterprise a unified social credit code."
                ),
            ),
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=Q(id_number_hash__isnull=False),
                name="customer_unique_id_number_hash",
                violation_error_message=_("A customer with this resident ID number already exists."),
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(credit_code__isnull=False),
                name="customer_unique_credit_code",
                violation_error_message=_("A customer with this unified social credit code already exists."),
            ),
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.customer_no} {self.name}"


class Contact(models.Model):
    """A way to reach a customer, with consent recorded per channel."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("contact name"), max_length=100)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    # Personal data: encrypted at rest, searched by keyed hash (ADR 0004).
    mobile = EncryptedTextField(
        _("mobile"), max_length=11, blank=True, validators=[validators.validate_mobile_field]
    )
    mobile_hash = PiiHashField(
        _("mobile hash"), source="mobile", kind="mobile", blank=True, default="", db_index=True
    )
    landline = EncryptedTextField(_("landline"), max_length=20, blank=True)
    landline_hash = PiiHashField(
        _("landline hash"), source="landline", kind="landline", blank=True, default="", db_index=True
    )
    email = models.EmailField(_("email"), blank=True)
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True)
    consents_to_sms = models.BooleanField(_("consents to SMS"), default=False)
    consents_to_phone = models.BooleanField(_("consents to phone calls"), default=False)
    consents_to_email = models.BooleanField(_("consents to email"), default=False)
    consents_to_wechat = models.BooleanField(_("consents to WeChat"), default=False)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
                violation_error_message=_("A customer can have only one primary contact."),
            ),
            models.CheckConstraint(
                condition=~Q(mobile="", landline="", email="", wechat_openid=""),
                name="contact_has_a_channel",
                violation_error_message=_(
                    "A contact needs at least a mobile, landline, email or WeChat openid."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReadingRoute(models.Model):
    """A reading route (抄表段): the accounts one reader reads on the same reading day."""

    org_unit = org_unit_field()
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    reading_day = models.PositiveSmallIntegerField(
        _("reading day"), validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("meter reader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("reading route")
        verbose_name_plural = _("reading routes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reading_day__gte=1, reading_day__lte=28),
                name="readingroute_reading_day_1_to_28",
                violation_error_message=_("The reading day must be between 1 and 28."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UsageCategory(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential (居民生活)")
    GENERAL_COMMERCIAL = "general_commercial", _("General industrial and commercial (一般工商业)")
    LARGE_INDUSTRY = "large_industry", _("Large industry (大工业)")
    AGRICULTURE = "agriculture", _("Agricultural production (农业生产)")


class VoltageLevel(models.TextChoices):
    V220 = "220V", _("220 V")
    V380 = "380V", _("380 V")
    KV10 = "10kV", _("10 kV")
    KV20 = "20kV", _("20 kV")
    KV35 = "35kV", _("35 kV")
    KV110 = "110kV", _("110 kV")
    KV220 = "220kV", _("220 kV")


class PaymentMethod(models.TextChoices):
    POSTPAID = "postpaid", _("Postpaid")
    PREPAID = "prepaid", _("Prepaid")
    BANK_DEBIT = "bank_debit", _("Bank direct debit")


class AccountStatus(models.TextChoices):
    NORMAL = "normal", _("Normal (正常)")
    SUSPENDED = "suspended", _("Suspended (暂停)")
    CLOSED = "closed", _("Closed (销户)")


class Account(models.Model):
    """A service account (用电户) identified by its 户号."""

    org_unit = org_unit_field()
    account_no = models.CharField(
        _("account number"),
        max_length=10,
        unique=True,
        validators=[validators.validate_account_number_field],
        error_messages={"unique": _("An account with this account number already exists.")},
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="accounts"
    )
    name = models.CharField(_("account name"), max_length=200)
    service_address = models.CharField(_("service address"), max_length=300)
    usage_category = models.CharField(_("usage category"), max_length=32, choices=UsageCategory.choices)
    industry_code = models.CharField(
        _("industry code (GB/T 4754)"),
        max_length=5,
        blank=True,
        validators=[validators.validate_industry_code_field],
    )
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=VoltageLevel.choices)
    contract_capacity_kva = models.DecimalField(_("contract capacity (kVA)"), max_digits=10, decimal_places=2)
    tariff_code = models.CharField(_("tariff code"), max_length=32)
    payment_method = models.CharField(
        _("payment method"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.POSTPAID
    )
    reading_route = models.ForeignKey(
        ReadingRoute,
        verbose_name=_("reading route"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    reading_day = models.PositiveSmallIntegerField(_("reading day"))
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.NORMAL
    )
    status_effective_date = models.DateField(_("status effective date"))
    opened_date = models.DateField(_("opened on"))
    is_key_account = models.BooleanField(_("key account"), default=False)
    # The bank account for direct debit (代扣): the number is personal data, encrypted (ADR 0004).
    bank_name = models.CharField(_("bank name"), max_length=100, blank=True, default="")
    bank_account_no = EncryptedTextField(_("bank account number"), max_length=34, blank=True, default="")
    bank_account_no_hash = PiiHashField(
        _("bank account number hash"),
        source="bank_account_no",
        kind="bank_account_no",
        blank=True,
        default="",
        db_index=True,
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["account_no"]
        constraints = [
            models.CheckConstraint(
                condition=Q(account_no__regex=r"^[0-9]{10}$"),
                name="account_no_ten_digits",
                violation_error_message=_("The account number must be exactly 10 digits."),
            ),
            models.CheckConstraint(
                condition=Q(contract_capacity_kva__gte=0),
                name="account_capacity_not_negative",
                violation_error_message=_("The contract capacity cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(reading_day__gte=1, reading_day__lte=28),
                name="account_reading_day_1_to_28",
                violation_error_message=_("The reading day must be between 1 and 28."),
            ),
            models.CheckConstraint(
                condition=Q(status_effective_date__gte=models.F("opened_date")),
                name="account_status_not_before_opening",
                violation_error_message=_("A status cannot take effect before the account opened."),
            ),
        ]
        indexes = [
            models.Index(fields=["name"]),
            models.Index(fields=["org_unit", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_no} {self.name}"


class AccountStatusChange(models.Model):
    """The history of an account's status: each row is in force from ``effective_date``."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="status_changes"
    )
    status = models.CharField(_("status"), max_length=16, choices=AccountStatus.choices)
    effective_date = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account status change")
        verbose_name_plural = _("account status changes")
        ordering = ["account", "effective_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "effective_date"],
                name="accountstatuschange_one_per_day",
                violation_error_message=_("The account already has a status change on this date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.status} {self.effective_date}"


class AccountManagerAssignment(models.Model):
    """A 客户经理 assigned to a key account for ``[valid_from, valid_to)``."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="manager_assignments",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="managed_account_assignments",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("account manager assignment")
        verbose_name_plural = _("account manager assignments")
        ordering = ["account", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(valid_to__isnull=True),
                name="accountmanager_one_current_per_account",
                violation_error_message=_("The account already has a current account manager."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="accountmanager_period_not_empty",
                violation_error_message=_("An assignment must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.manager} [{self.valid_from}, {self.valid_to or ''})"


class ContactKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Phone call")
    MEETING = "meeting", _("Meeting")


class ContactLogEntry(models.Model):
    """A recorded contact with a customer (visit, call, meeting), with an optional follow-up."""

    org_unit = org_unit_field()
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="contact_log"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(_("summary"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    follow_up_date = models.DateField(_("follow-up due"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done at"), null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_done_at__isnull=True) | Q(follow_up_date__isnull=False),
                name="contactlog_done_needs_a_follow_up",
                violation_error_message=_("A follow-up can be done only if one was planned."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.kind} {self.occurred_at:%Y-%m-%d} {self.summary}"


class PortalLink(models.Model):
    """Links a portal (网上营业厅) user to the customer whose accounts they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="portal_link"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="portal_links"
    )

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"
