"""The vectorized engine refuses what the reference refuses, with the same field: a
power-factor tariff billed without the capacity or without any reactive energy."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from importlib.resources import files

import pytest

from gridcare.billing.engine.errors import BillInputInvalid
from gridcare.billing.engine.reference import RegisterBillInput, calculate_register_bill
from gridcare.billing.engine.tariff import BasicChargeMethod, parse_tariff_document
from gridcare.billing.engine.vectorized import register_bill_lines


def _two_part_bill() -> RegisterBillInput:
    text = files("gridcare.tariffs").joinpath("catalog", "DEMO-GD-LI-2P.json").read_text("utf-8")
    return RegisterBillInput(
        tariff=parse_tariff_document(json.loads(text)),
        period_start=date(2025, 2, 1),
        period_end=date(2025, 3, 1),
        energy_kwh={"sharp": Decimal(0), "peak": Decimal(100), "flat": Decimal(100), "valley": Decimal(100)},
        reactive_kvarh_forward=Decimal(90),
        basic_charge_method=BasicChargeMethod.CAPACITY,
        capacity_kva=Decimal(400),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity_kva": None, "basic_charge_method": None}, "capacity_kva"),
        ({"reactive_kvarh_forward": None}, "reactive_kvarh"),
    ],
)
def test_both_engines_refuse_a_power_factor_bill_without_its_inputs(
    changes: dict[str, object], field: str
) -> None:
    bill = _two_part_bill()
    tariff = (
        bill.tariff.model_copy(update={"basic_charge": None})
        if "basic_charge_method" in changes
        else bill.tariff
    )
    refused = replace(bill, tariff=tariff, **changes)  # type: ignore[arg-type]
    calculate_register_bill(bill=bill)  # the complete bill is billed
    with pytest.raises(BillInputInvalid) as by_reference:
        calculate_register_bill(bill=refused)
    with pytest.raises(BillInputInvalid) as by_vectorized:
        register_bill_lines(bills=[bill, refused])
    assert by_reference.value.field == by_vectorized.value.field == field
