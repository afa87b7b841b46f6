"""Helpers shared by the metering integration tests: the fixed clock, moments, register values
and the snapshot a refused operation must leave unchanged."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from gridcare.audit.models import AuditEvent
from gridcare.metering.models import (
    Feeder,
    IntervalReadDay,
    Meter,
    MeteringPoint,
    MeterInstallation,
    MeterRead,
    TransformerArea,
)
from gridcare.metering.rules import RegisterValues

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int = 9, month: int = 2) -> datetime:
    """A moment in February 2025 (or ``month``), Asia/Shanghai."""
    return datetime(2025, month, day, hour, 0, tzinfo=SHANGHAI)


def kwh(total: str, **others: str) -> RegisterValues:
    """Register values from strings: ``kwh("100.50", import_active_peak="40")``."""
    return RegisterValues(
        import_active_total=Decimal(total), **{name: Decimal(value) for name, value in others.items()}
    )


def snapshot() -> dict[str, object]:
    """Everything a refused metering operation must leave as it was."""
    return {
        "feeders": Feeder.objects.count(),
        "transformer_areas": TransformerArea.objects.count(),
        "metering_points": list(
            MeteringPoint.objects.order_by("pk").values_list("pk", "parent_id", "child_relation")
        ),
        "meters": list(Meter.objects.order_by("pk").values_list("pk", "status", "status_changed_at")),
        "installations": list(
            MeterInstallation.objects.order_by("pk").values_list(
                "pk", "meter_id", "metering_point_id", "removed_at", "removal_read_id"
            )
        ),
        "reads": MeterRead.objects.count(),
        "interval_days": list(IntervalReadDay.objects.order_by("pk").values_list("pk", "values", "missing")),
        "audit_events": AuditEvent.objects.count(),
    }
