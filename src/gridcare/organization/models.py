"""The org unit tree. Every business record belongs to exactly one OrgUnit."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OrgLevel(models.TextChoices):
    PROVINCE = "province", _("Provincial company")
    CITY = "city", _("City company")
    COUNTY = "county", _("County company")
    STATION = "station", _("Supply station")


#: The level each level hangs under; the province is the root.
PARENT_LEVEL: dict[str, str | None] = {
    OrgLevel.PROVINCE: None,
    OrgLevel.CITY: OrgLevel.PROVINCE,
    OrgLevel.COUNTY: OrgLevel.CITY,
    OrgLevel.STATION: OrgLevel.COUNTY,
}


class AreaType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")
    REMOTE = "remote", _("Remote")


def visible_path_prefix(user: Any) -> str | None:
    """The path prefix of the org subtree ``user`` may see: ``""`` (everything) for an active
    superuser, their org unit's path for active users bound to one, ``None`` (nothing) otherwise."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    org_unit = getattr(user, "org_unit", None)
    return None if org_unit is None else str(org_unit.path)


def holds_permission(user: Any, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (a :class:`gridcare.identity.permissions.Permission`
    value), asked through Django's ``user.has_perm``, which identity's permission backend
    answers; this layer sits below identity and cannot import it."""
    has_perm = getattr(user, "has_perm", None)
    return bool(has_perm is not None and has_perm(str(permission)))


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def visible_to(self, user: Any) -> OrgUnitQuerySet:
        """The units the user may see: their own org unit and the units below it (all for a
        superuser, none for anyone not bound to an org unit)."""
        prefix = visible_path_prefix(user)
        if prefix is None:
            return self.none()
        return self.filter(path__startswith=prefix) if prefix else self

    def changeable_by(self, user: Any, permission: str) -> OrgUnitQuerySet:
        """The units whose records ``user`` may change with ``permission``: the visible ones
        when the user holds it, none otherwise (see :func:`holds_permission`)."""
        return self.visible_to(user) if holds_permission(user, permission) else self.none()


class OrgUnit(models.Model):
    """A supply company unit (供电单位). ``path`` is the materialized path of codes from the root,
    e.g. ``/37/3701/370102/``, so a subtree is one indexed prefix match."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    area_type = models.CharField(
        _("area type"), max_length=16, choices=AreaType.choices, default=AreaType.URBAN
    )

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=OrgLevel.PROVINCE) & Q(parent__isnull=True))
                | (~Q(level=OrgLevel.PROVINCE) & Q(parent__isnull=False)),
                name="orgunit_only_province_is_root",
                violation_error_message=_("Only a provincial company has no parent unit."),
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9A-Za-z]+$"),
                name="orgunit_code_alphanumeric",
                violation_error_message=_("An org unit code may hold only letters and digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OrgScopedQuerySet(models.QuerySet[Any]):
    """Queryset of business records that carry an ``org_unit``: ``visible_to`` keeps the rows
    inside the acting user's org subtree. Every business read goes through it."""

    org_unit_lookup = "org_unit"

    def visible_to(self, user: Any) -> OrgScopedQuerySet:
        """Rows the user may see: all for a superuser, their org unit's subtree for staff bound
        to an org unit, none otherwise."""
        prefix = visible_path_prefix(user)
        if prefix is None:
            return self.none()
        if not prefix:
            return self
        return self.filter(**{f"{self.org_unit_lookup}__path__startswith": prefix})

    def changeable_by(self, user: Any, permission: str) -> OrgScopedQuerySet:
        """Rows the user may change with ``permission``: the visible ones when the user holds
        the permission, none otherwise (read-only roles hold no change permission, so they get
        none). The one write gate, beside the one read gate :meth:`visible_to`."""
        return self.visible_to(user) if holds_permission(user, permission) else self.none()


class NumberSequence(models.Model):
    """A named counter that hands out business numbers (户号, customer numbers, later bill numbers).

    Allocation locks the row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE
    transactions serialize writers), so concurrent operations never receive the same number.
    It lives in the lowest Django app so every app above can number its records.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} = {self.last_value}"


def org_unit_field(**kwargs: Any) -> models.ForeignKey[OrgUnit, OrgUnit]:
    """The ``org_unit`` foreign key every business record carries."""
    return models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit"),
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


__all__ = [
    "PARENT_LEVEL",
    "AreaType",
    "NumberSequence",
    "OrgLevel",
    "OrgScopedQuerySet",
    "OrgUnit",
    "OrgUnitQuerySet",
    "holds_permission",
    "org_unit_field",
    "visible_path_prefix",
]
