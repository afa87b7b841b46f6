"""Django admin for metering: a view-only window on the records, scoped to the acting user's
org subtree.

Nothing is added, changed or deleted here, not even by a superuser: topology, metering points
and meters change only through :mod:`gridcare.metering.operations` (and the audited import),
which apply :mod:`gridcare.metering.rules` and record an audit event. An edit here would bypass
both — a CT ratio changed in place would silently rewrite the multiplier of every existing read.
Reads in particular are corrected by recording a new read, never by editing one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridcare.identity.permissions import Permission
from gridcare.metering.intervals import day_total, missing_count, unpack_day
from gridcare.metering.models import (
    Feeder,
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    TransformerArea,
)
from gridcare.organization.admin import OrgScopedAdmin, ViewOnlyAdmin
from gridcare.organization.models import OrgScopedQuerySet, OrgUnitQuerySet

#: Filters by org unit offer only the units of rows the user can see, not the whole tree.
ORG_UNIT_FILTER = ("org_unit", admin.RelatedOnlyFieldListFilter)


class MeteringAdmin(ViewOnlyAdmin, OrgScopedAdmin):
    """Org-scoped, view-only lists and pages; foreign-key choices limited to rows (and org units)
    the user may see."""

    view_permission = Permission.VIEW_METERING

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        related_queryset = db_field.related_model._default_manager.all()  # type: ignore[union-attr]
        if isinstance(related_queryset, OrgScopedQuerySet | OrgUnitQuerySet):
            kwargs["queryset"] = related_queryset.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Feeder)
class FeederAdmin(MeteringAdmin):
    list_display = ["code", "name", "voltage_kv", "org_unit"]
    search_fields = ["code", "name"]
    list_filter = ["voltage_kv"]
    list_select_related = ["org_unit"]


@admin.register(TransformerArea)
class TransformerAreaAdmin(MeteringAdmin):
    list_display = ["code", "name", "feeder", "capacity_kva", "org_unit"]
    search_fields = ["code", "name", "feeder__code"]
    list_filter = [ORG_UNIT_FILTER]
    list_select_related = ["feeder", "org_unit"]


@admin.register(MeteringPoint)
class MeteringPointAdmin(MeteringAdmin):
    list_display = [
        "code",
        "name",
        "account",
        "metering_arrangement",
        "ct_ratio",
        "pt_ratio",
        "multiplier",
        "transformer_area",
        "org_unit",
    ]
    search_fields = ["code", "name", "account__account_no", "account__name"]
    list_filter = ["metering_arrangement", "child_relation", ORG_UNIT_FILTER]
    list_select_related = ["account", "transformer_area", "org_unit"]
    # The database computes the multiplier; listed here so the detail page shows it.
    readonly_fields = ["multiplier"]


@admin.register(Meter)
class MeterAdmin(MeteringAdmin):
    list_display = [
        "asset_no",
        "meter_type",
        "manufacturer",
        "accuracy_class",
        "status",
        "status_changed_at",
        "org_unit",
    ]
    search_fields = ["asset_no", "manufacturer", "model"]
    list_filter = ["status", "meter_type", "accuracy_class", "has_time_of_use", "has_demand"]
    list_select_related = ["org_unit"]


@admin.register(MeterInstallation)
class MeterInstallationAdmin(MeteringAdmin):
    list_display = ["meter", "metering_point", "installed_at", "removed_at", "org_unit"]
    search_fields = ["meter__asset_no", "metering_point__code"]
    list_filter = [ORG_UNIT_FILTER]
    list_select_related = ["meter", "metering_point", "org_unit"]
    date_hierarchy = "installed_at"


@admin.register(MeterRead)
class MeterReadAdmin(MeteringAdmin):
    list_display = [
        "meter",
        "metering_point",
        "read_at",
        "source",
        "status",
        "reason",
        "import_active_total",
        "maximum_demand_kw",
    ]
    search_fields = ["meter__asset_no", "metering_point__code", "metering_point__account__account_no"]
    list_filter = ["source", "status", "reason"]
    list_select_related = ["meter", "metering_point"]
    date_hierarchy = "read_at"


@admin.register(IntervalReadDay)
class IntervalReadDayAdmin(MeteringAdmin):
    list_display = ["metering_point", "read_date", "quantity", "interval_minutes", "source"]
    search_fields = ["metering_point__code"]
    list_filter = ["quantity", "interval_minutes", "source"]
    list_select_related = ["metering_point"]
    date_hierarchy = "read_date"
    exclude = ["values", "missing"]
    readonly_fields = ["day_total", "missing_intervals", "unpacked_values"]

    @admin.display(description=_("day total"))
    def day_total(self, obj: IntervalReadDay) -> Decimal:
        return day_total(
            interval_minutes=obj.interval_minutes, values=bytes(obj.values), missing=bytes(obj.missing)
        )

    @admin.display(description=_("missing intervals"))
    def missing_intervals(self, obj: IntervalReadDay) -> int:
        return missing_count(interval_minutes=obj.interval_minutes, missing=bytes(obj.missing))

    @admin.display(description=_("values"))
    def unpacked_values(self, obj: IntervalReadDay) -> str:
        values = unpack_day(
            interval_minutes=obj.interval_minutes, values=bytes(obj.values), missing=bytes(obj.missing)
        )
        return " ".join("—" if value is None else str(value) for value in values)
