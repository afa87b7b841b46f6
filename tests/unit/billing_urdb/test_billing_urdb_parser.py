"""parse_urdb: the document forms it accepts, the values it reads, the fields it refuses by name."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from gridcare.billing.engine.urdb import (
    EnergyPeriod,
    Tier,
    UnsupportedUrdbFeature,
    UrdbInvalid,
    parse_urdb,
)


def test_reads_tiers_rates_with_adjustments_and_schedules(tou_tier_record: dict[str, Any]) -> None:
    tariff = parse_urdb(tou_tier_record)
    assert tariff.energy_periods == (
        EnergyPeriod(unit="kWh", tiers=(Tier(Decimal(100), Decimal("0.1")), Tier(None, Decimal("0.2")))),
        EnergyPeriod(unit="kWh", tiers=(Tier(Decimal(100), Decimal("0.3")), Tier(None, Decimal("0.5")))),
    )
    assert tariff.energy_weekday[0] == (0,) * 12 + (1,) * 12
    assert len(tariff.energy_weekend) == 12


def test_adj_is_added_to_the_rate(two_tier_record: dict[str, Any]) -> None:
    assert parse_urdb(two_tier_record).energy_periods[0].tiers[0] == Tier(Decimal(100), Decimal("0.105"))


@pytest.mark.parametrize(
    "wrap",
    [
        lambda record: record,
        lambda record: {"items": [record]},
        lambda record: json.dumps({"items": [record]}),
        lambda record: json.dumps(json.dumps({"items": [record]})),
        lambda record: {"ElectricTariff": {"urdb_response": record}},
    ],
    ids=["record", "api-response", "json-text", "json-text-of-json-text", "reopt-scenario"],
)
def test_accepts_every_document_form(two_tier_record: dict[str, Any], wrap: Any) -> None:
    assert parse_urdb(wrap(two_tier_record)) == parse_urdb(two_tier_record)


def test_demand_tables_fixed_and_minimums(flat_demand_record: dict[str, Any]) -> None:
    record = flat_demand_record | {
        "fixedchargefirstmeter": 12.5,
        "fixedchargeunits": "$/month",
        "minmonthlycharge": 30,
        "annualmincharge": 400,
    }
    tariff = parse_urdb(record)
    assert tariff.flat_demand_tables[1] == (
        Tier(Decimal(50), Decimal(12)),
        Tier(None, Decimal(9)),
    )
    assert tariff.flat_demand_months == (1,) + (0,) * 11
    assert (tariff.fixed_charge, tariff.fixed_charge_per_day) == (Decimal("12.5"), False)
    assert (tariff.monthly_minimum, tariff.annual_minimum) == (Decimal(30), Decimal(400))


def test_fixedmonthlycharge_and_yearly_mincharge() -> None:
    tariff = parse_urdb({"fixedmonthlycharge": 9, "mincharge": 100, "minchargeunits": "$/year"})
    assert (tariff.fixed_charge, tariff.monthly_minimum, tariff.annual_minimum) == (
        Decimal(9),
        Decimal(0),
        Decimal(100),
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"energyweekdayschedule": [[0] * 24] * 11},
            "field energyweekdayschedule: expected 12 months, found 11",
        ),
        (
            {"energyweekendschedule": [[0] * 24] * 11 + [[0] * 23 + [2]]},
            "energyweekendschedule[11][23]: period 2",
        ),
        (
            {"energyratestructure": [[{"max": 100, "rate": 0.1}, {"max": 50, "rate": 0.2}, {"rate": 0.3}]]},
            "energyratestructure[0][1].max: tier limits must increase",
        ),
        ({"energyratestructure": [[{"rate": "cheap"}]]}, "energyratestructure[0][0].rate: expected a number"),
        ({"items": []}, "items: expected exactly one record, found 0"),
    ],
)
def test_errors_name_the_field(two_tier_record: dict[str, Any], change: dict[str, Any], message: str) -> None:
    with pytest.raises(UrdbInvalid, match=re.escape(message)):
        parse_urdb(two_tier_record | change)


def test_schedules_are_required_with_periods() -> None:
    with pytest.raises(UrdbInvalid, match="field energyweekdayschedule: required"):
        parse_urdb({"energyratestructure": [[{"rate": 0.1}]]})


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"name": "nothing billable", "energyweekdayschedule": [[0] * 24] * 12}, "field (record): no rates"),
        (
            {"ElectricTariff": {"urdb_label": "5ed6c1a15457a3367add15ae"}},
            "field ElectricTariff.urdb_response",
        ),
        ([1, 2], "field (document): expected a JSON object"),
    ],
)
def test_documents_without_a_tariff_are_refused(document: object, message: str) -> None:
    with pytest.raises(UrdbInvalid, match=re.escape(message)):
        parse_urdb(document)


def test_not_json_is_refused() -> None:
    with pytest.raises(UrdbInvalid, match=r"field \(document\): not JSON"):
        parse_urdb("{nope")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"demandratchetpercentage": [0.8] * 12}, "demandratchetpercentage"),
        ({"coincidentratestructure": [[{"rate": 3}]]}, "coincidentratestructure"),
        ({"lookbackpercent": 0.5}, "lookbackpercent"),
        ({"demandunits": "kVA"}, "demandunits"),
        ({"fixedchargeunits": "$/year", "fixedchargefirstmeter": 10}, "fixedchargeunits"),
        ({"minchargeunits": "$/week", "mincharge": 10}, "minchargeunits"),
        (
            {
                "energyratestructure": [
                    [{"max": 5, "rate": 0.1, "unit": "kWh"}, {"rate": 0.2, "unit": "kWh daily"}]
                ]
            },
            r"energyratestructure\[0\]",
        ),
        ({"energyratestructure": [[{"rate": 0.1, "unit": "therms"}]]}, r"energyratestructure\[0\]\[0\].unit"),
        ({"energyratestructure": [[{"rate": 0.1, "sell": 0.05}]]}, r"energyratestructure\[0\]\[0\].sell"),
        (
            {"energyratestructure": [[{"max": 5, "rate": 0.1}, {"max": 9, "rate": 0.2}]]},
            r"energyratestructure\[0\]\[1\].max",
        ),
        (
            {"flatdemandstructure": [[{"max": 5, "rate": 1}]], "flatdemandmonths": [0] * 12},
            r"flatdemandstructure\[0\]\[0\].max",
        ),
    ],
)
def test_unsupported_features_are_refused_by_name(
    two_tier_record: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(UnsupportedUrdbFeature, match=f"field {field}"):
        parse_urdb(two_tier_record | change)


def test_units_are_read_whatever_their_case(two_tier_record: dict[str, Any]) -> None:
    record = {
        "energyratestructure": [[{"rate": 0.1, "unit": "KWH DAILY"}]],
        "demandratestructure": [[{"rate": 3, "unit": "kw"}]],
    }
    record |= {
        key: [[0] * 24] * 12
        for key in (
            "energyweekdayschedule",
            "energyweekendschedule",
            "demandweekdayschedule",
            "demandweekendschedule",
        )
    }
    tariff = parse_urdb(record)
    assert tariff.energy_periods[0].unit == "kWh daily"
    assert tariff.demand_periods == ((Tier(None, Decimal(3)),),)


def test_demand_in_other_units_is_refused() -> None:
    record = {"flatdemandstructure": [[{"rate": 3, "unit": "kVA"}]], "flatdemandmonths": [0] * 12}
    with pytest.raises(
        UnsupportedUrdbFeature, match=re.escape("field flatdemandstructure[0][0].unit: demand in 'kVA'")
    ):
        parse_urdb(record)


def test_zero_ratchets_change_nothing_and_are_accepted(two_tier_record: dict[str, Any]) -> None:
    assert parse_urdb(two_tier_record | {"demandratchetpercentage": [0] * 12}) == parse_urdb(two_tier_record)
