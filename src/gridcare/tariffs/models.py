"""Tariff catalog tables: a tariff (its code and names) and its versions, each valid over the
dates ``[valid_from, valid_to)``.

Tariffs are not org-scoped business records: the catalog is the province's price list (目录电价),
the same for every org unit, so it has no ``visible_to``; who may *change* it is a permission
(``tariffs.change``), who may read it is everyone who bills or quotes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridcare.tariffs.errors import TariffVersionImmutable


class TariffKind(models.TextChoices):
    GRIDCARE = "gridcare", _("GridCare tariff document")
    URDB = "urdb", _("OpenEI URDB record")


class Tariff(models.Model):
    """One tariff of the catalog, named by its code (``CN-BJ-RES-2012``, ``URDB-<label>``)."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=TariffKind.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class TariffVersion(models.Model):
    """One version of a tariff's rules, valid over ``[valid_from, valid_to)`` (``valid_to`` null:
    open). The document is the JSON the version was published with (a GridCare tariff document,
    or a URDB record for ``urdb`` tariffs) and its SHA-256 over canonical JSON.

    Saved versions are immutable: bills keep the version they used, so a change is a new version
    (which ends the open one), never an edit; only closing an open version is allowed."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    document = models.JSONField(_("document"))
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    source = models.CharField(_("source"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("tariff version")
        verbose_name_plural = _("tariff versions")
        ordering = ["tariff__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "version"], name="tariff_version_number"),
            models.UniqueConstraint(fields=["tariff", "valid_from"], name="tariff_version_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="tariff_version_valid_to_after_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.code} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Refused wherever the save comes from (admin, shell, a later operation): a version a
        # bill may have used never changes; closing an open version is the one update allowed.
        if not self._state.adding and kwargs.get("update_fields") != ["valid_to"]:
            raise TariffVersionImmutable(code=self.tariff.code, version=self.version)
        super().save(*args, **kwargs)
