"""A bill's usage explanation as stored: every value of the usage, digit for digit, as JSON data
(issued bills keep it, so its shape must not change with how it is computed)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType

import pytest

from gridcare.billing.engine.usage import (
    AccountUsage,
    MeterSpan,
    PointExplanation,
    ReadReference,
    RegisterAdvance,
    UsageFlag,
)
from gridcare.kit.exact_json import ExactJSONEncoder, exact_json_data


def test_the_usage_explanation_is_stored_as_exact_json_data() -> None:
    opening = ReadReference(
        read_id=7,
        read_at=datetime(2026, 9, 30, 16, 0, tzinfo=UTC),
        status="valid",
        registers=MappingProxyType({"import_active_total": Decimal("150.00")}),
    )
    closing = ReadReference(
        read_id=None,
        read_at=datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
        status="estimated",
        registers={"import_active_total": Decimal("450.00")},
    )
    span = MeterSpan(
        meter_id=3,
        meter_asset_no="M-0003",
        opening=opening,
        closing=closing,
        multiplier=1,
        registers=(
            RegisterAdvance(
                register="import_active_total",
                opening=Decimal("150.00"),
                closing=Decimal("450.00"),
                advance=Decimal("300.00"),
                energy=Decimal("300.000"),
            ),
        ),
    )
    point = PointExplanation(
        metering_point_id=11,
        code="MP-11",
        multiplier=1,
        spans=(span,),
        metered_kwh={"total": Decimal("300.000")},
        line_loss_kwh=Decimal("0"),
        transformer_loss_kwh=Decimal("0"),
        deductions=(),
        energy_kwh={"total": Decimal("300.000")},
        counted=True,
        flags=frozenset({UsageFlag.ROLLOVER, UsageFlag.ESTIMATED}),
    )
    usage = AccountUsage(
        account_id=5,
        energy_kwh={"total": Decimal("300.000")},
        reactive_forward_kvarh=Decimal("0"),
        reactive_reverse_kvarh=Decimal("0"),
        max_demand_kw=None,
        flags=frozenset({UsageFlag.ESTIMATED}),
        points=(point,),
    )

    assert exact_json_data(usage) == {
        "account_id": 5,
        "energy_kwh": {"total": "300.000"},
        "reactive_forward_kvarh": "0",
        "reactive_reverse_kvarh": "0",
        "max_demand_kw": None,
        "flags": ["estimated"],
        "points": [
            {
                "metering_point_id": 11,
                "code": "MP-11",
                "multiplier": 1,
                "spans": [
                    {
                        "meter_id": 3,
                        "meter_asset_no": "M-0003",
                        "opening": {
                            "read_id": 7,
                            "read_at": "2026-09-30T16:00:00+00:00",
                            "status": "valid",
                            "registers": {"import_active_total": "150.00"},
                        },
                        "closing": {
                            "read_id": None,
                            "read_at": "2026-10-31T16:00:00+00:00",
                            "status": "estimated",
                            "registers": {"import_active_total": "450.00"},
                        },
                        "multiplier": 1,
                        "registers": [
                            {
                                "register": "import_active_total",
                                "opening": "150.00",
                                "closing": "450.00",
                                "advance": "300.00",
                                "energy": "300.000",
                                "rolled_over": False,
                                "backwards": False,
                                "estimate_reversed": False,
                            }
                        ],
                        "maximum_demand_kw": None,
                    }
                ],
                "metered_kwh": {"total": "300.000"},
                "line_loss_kwh": "0",
                "transformer_loss_kwh": "0",
                "deductions": [],
                "energy_kwh": {"total": "300.000"},
                "counted": True,
                "flags": ["estimated", "rollover"],
            }
        ],
        "estimated_reads": [],
    }
    assert type(exact_json_data(usage)["points"][0]["flags"][0]) is str


def test_the_encoder_writes_dates_and_refuses_what_it_cannot_store_exactly() -> None:
    assert exact_json_data({"day": date(2026, 2, 28), "kwh": Decimal("0.0010")}) == {
        "day": "2026-02-28",
        "kwh": "0.0010",
    }
    with pytest.raises(TypeError, match="complex is not JSON serializable"):
        ExactJSONEncoder().encode({"value": complex(1, 2)})
