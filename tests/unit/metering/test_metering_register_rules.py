"""check_registers_fit_meter and check_meter_can_be_read on unsaved meters (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gridcare.metering.errors import (
    MeterNotInstalled,
    MeterScrapped,
    RegisterBeyondDial,
    RegisterMissing,
    RegisterNegative,
    RegisterNotOnMeter,
    RegisterTooPrecise,
    RegisterValueInvalid,
    TimeOfUseExceedsTotal,
)
from gridcare.metering.models import Meter, MeterStatus, MeterType
from gridcare.metering.rules import RegisterValues, check_meter_can_be_read, check_registers_fit_meter


def meter(**fields: object) -> Meter:
    values: dict[str, object] = {
        "asset_no": "3710001000001",
        "meter_type": MeterType.THREE_PHASE,
        "manufacturer": "林洋能源",
        "accuracy_class": "1",
        "integer_digits": 6,
        "decimal_digits": 2,
        "status": MeterStatus.INSTALLED,
        "status_changed_at": datetime(2025, 1, 1, tzinfo=UTC),
    }
    values.update(fields)
    return Meter(**values)


def registers(total: str, **others: str) -> RegisterValues:
    return RegisterValues(
        import_active_total=Decimal(total), **{name: Decimal(value) for name, value in others.items()}
    )


FULL_METER = {"has_time_of_use": True, "has_export": True, "has_reactive": True, "has_demand": True}


def test_every_register_within_the_dial_is_accepted():
    check_registers_fit_meter(
        meter=meter(**FULL_METER),
        registers=registers(
            "999999.99",
            import_active_sharp="100000.00",
            import_active_peak="300000",
            import_active_flat="0.5",
            import_active_valley="599999.49",
            export_active_total="0",
            reactive_import_total="999999.99",
            reactive_export_total="12.30",
            maximum_demand_kw="99999999.9999",
        ),
    )


def test_negative_reading_is_refused_with_the_register_named():
    with pytest.raises(RegisterNegative) as refused:
        check_registers_fit_meter(meter=meter(), registers=registers("-0.01"))
    assert refused.value.field == "import_active_total"
    assert refused.value.message("zh-hans") == "电能表 3710001000001 的正向有功总示数 -0.01 不能为负数。"
    assert refused.value.message("en") == (
        "The import active total reading -0.01 of meter 3710001000001 cannot be negative."
    )


@pytest.mark.parametrize(
    ("integer_digits", "decimal_digits", "value", "dial_max"),
    [(6, 2, "1000000", "999999.99"), (4, 0, "10000", "9999"), (8, 1, "100000000.0", "99999999.9")],
)
def test_reading_beyond_the_dial_is_refused(integer_digits, decimal_digits, value, dial_max):
    with pytest.raises(RegisterBeyondDial) as refused:
        check_registers_fit_meter(
            meter=meter(integer_digits=integer_digits, decimal_digits=decimal_digits),
            registers=registers(value),
        )
    assert refused.value.message("en") == (
        f"The import active total reading {value} of meter 3710001000001 is beyond its dial "
        f"(at most {dial_max})."
    )


@pytest.mark.parametrize(("decimal_digits", "value"), [(2, "1.001"), (1, "1.25"), (0, "7.5")])
def test_more_decimals_than_the_dial_shows_are_refused(decimal_digits, value):
    with pytest.raises(RegisterTooPrecise) as refused:
        check_registers_fit_meter(meter=meter(decimal_digits=decimal_digits), registers=registers(value))
    assert refused.value.params["decimal_digits"] == decimal_digits


@pytest.mark.parametrize(("decimal_digits", "value"), [(2, "1.000"), (1, "1.20"), (0, "7.00")])
def test_trailing_zeros_are_not_extra_decimals(decimal_digits, value):
    check_registers_fit_meter(meter=meter(decimal_digits=decimal_digits), registers=registers(value))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_readings_are_refused(value):
    with pytest.raises(RegisterValueInvalid):
        check_registers_fit_meter(meter=meter(), registers=registers(value))


@pytest.mark.parametrize(
    ("register", "flag", "register_en"),
    [
        ("import_active_sharp", "has_time_of_use", "import active sharp"),
        ("import_active_peak", "has_time_of_use", "import active peak"),
        ("import_active_flat", "has_time_of_use", "import active flat"),
        ("import_active_valley", "has_time_of_use", "import active valley"),
        ("export_active_total", "has_export", "export active total"),
        ("reactive_import_total", "has_reactive", "reactive forward total"),
        ("reactive_export_total", "has_reactive", "reactive reverse total"),
        ("maximum_demand_kw", "has_demand", "maximum demand"),
    ],
)
def test_register_the_meter_lacks_is_refused(register, flag, register_en):
    values = registers("100", **{register: "1"})
    with pytest.raises(RegisterNotOnMeter) as refused:
        check_registers_fit_meter(meter=meter(), registers=values)
    assert refused.value.message("en") == (
        f"Meter 3710001000001 has no {register_en} register; that reading cannot be recorded."
    )
    check_registers_fit_meter(meter=meter(**{flag: True}), registers=values)


def test_maximum_demand_has_its_own_scale_not_the_energy_dial():
    demand_meter = meter(has_demand=True, integer_digits=4, decimal_digits=0)
    check_registers_fit_meter(meter=demand_meter, registers=registers("1", maximum_demand_kw="12345.6789"))
    with pytest.raises(RegisterTooPrecise):
        check_registers_fit_meter(meter=demand_meter, registers=registers("1", maximum_demand_kw="1.00001"))
    with pytest.raises(RegisterBeyondDial):
        check_registers_fit_meter(meter=demand_meter, registers=registers("1", maximum_demand_kw="100000000"))


def _tou(total: str, sharp: str, peak: str, flat: str, valley: str) -> RegisterValues:
    return registers(
        total,
        import_active_sharp=sharp,
        import_active_peak=peak,
        import_active_flat=flat,
        import_active_valley=valley,
    )


def test_time_of_use_sum_may_exceed_the_total_by_one_step_per_register():
    tou_meter = meter(has_time_of_use=True)
    # 4 registers × 0.01 kWh: a sum of 100.04 against a total of 100.00 is display truncation.
    check_registers_fit_meter(meter=tou_meter, registers=_tou("100.00", "10.01", "30.01", "40.01", "20.01"))
    with pytest.raises(TimeOfUseExceedsTotal) as refused:
        check_registers_fit_meter(
            meter=tou_meter, registers=_tou("100.00", "10.01", "30.01", "40.01", "20.02")
        )
    assert refused.value.message("en") == (
        "The time-of-use readings of meter 3710001000001 add up to 100.05, more than the import active "
        "total 100.00 (tolerance 0.04)."
    )
    assert refused.value.message("zh-hans") == (
        "电能表 3710001000001 的尖峰平谷示数之和 100.05 超过正向有功总示数 100.00（允许误差 0.04）。"
    )


def test_time_of_use_tolerance_counts_only_the_registers_given():
    tou_meter = meter(has_time_of_use=True, decimal_digits=1)
    partial = registers("50.0", import_active_peak="30.1", import_active_valley="20.1")
    check_registers_fit_meter(meter=tou_meter, registers=partial)
    with pytest.raises(TimeOfUseExceedsTotal) as refused:
        check_registers_fit_meter(
            meter=tou_meter,
            registers=registers("50.0", import_active_peak="30.2", import_active_valley="20.1"),
        )
    assert refused.value.params["tolerance"] == Decimal("0.2")


def test_time_of_use_sum_below_the_total_is_accepted():
    check_registers_fit_meter(
        meter=meter(has_time_of_use=True), registers=_tou("100.00", "0", "10.00", "10.00", "10.00")
    )


def test_time_of_use_sum_is_compared_modulo_the_dial_after_a_total_rollover():
    tou_meter = meter(has_time_of_use=True)
    # The total wrapped from 999999.99 to 1.00; the tariff registers (each below the dial) did not.
    check_registers_fit_meter(
        meter=tou_meter, registers=_tou("1.00", "300000.00", "400000.00", "300000.50", "0.49")
    )
    with pytest.raises(TimeOfUseExceedsTotal):
        check_registers_fit_meter(
            meter=tou_meter, registers=_tou("1.00", "300000.00", "400000.00", "300000.50", "0.60")
        )


def test_meter_can_be_read_only_once_installed_and_until_scrapped():
    check_meter_can_be_read(meter=meter(status=MeterStatus.INSTALLED))
    check_meter_can_be_read(meter=meter(status=MeterStatus.REMOVED))
    with pytest.raises(MeterNotInstalled):
        check_meter_can_be_read(meter=meter(status=MeterStatus.IN_STOCK))
    with pytest.raises(MeterScrapped) as refused:
        check_meter_can_be_read(meter=meter(status=MeterStatus.SCRAPPED))
    assert refused.value.message("en") == (
        "Meter 3710001000001 is scrapped: it cannot be read, installed or changed any more."
    )


def test_register_values_map_to_meter_read_fields():
    values = registers("1.5", maximum_demand_kw="2")
    assert values.as_model_fields() == {
        "import_active_total": Decimal("1.5"),
        "import_active_sharp": None,
        "import_active_peak": None,
        "import_active_flat": None,
        "import_active_valley": None,
        "export_active_total": None,
        "reactive_import_total": None,
        "reactive_export_total": None,
        "maximum_demand_kw": Decimal("2"),
    }


def test_missing_total_is_refused():
    values = RegisterValues(import_active_total=None)  # type: ignore[arg-type]
    with pytest.raises(RegisterMissing) as refused:
        check_registers_fit_meter(meter=meter(), registers=values)
    assert refused.value.message("zh-hans") == "电能表 3710001000001 的正向有功总示数不能为空。"


def test_float_is_refused_as_inexact():
    values = RegisterValues(import_active_total=12.5)  # type: ignore[arg-type]
    with pytest.raises(RegisterValueInvalid):
        check_registers_fit_meter(meter=meter(), registers=values)
